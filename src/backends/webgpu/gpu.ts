/**
 * Finding a WebGPU adapter: the browser's `navigator.gpu`, or in Node the optional `webgpu` package (Dawn). tfjs'
 * WebGPU backend looks for `navigator.gpu` itself, so in Node the package's GPU object and its GPU* constants are
 * installed on the globals where absent (Node 20 has no `navigator`). Nothing is touched until a backend is
 * asked for, and the answer is cached.
 */

export interface GpuAccess {
  readonly gpu: GPU;
  readonly adapter: GPUAdapter;
  /** CPU-emulated (SwiftShader, or the adapter says it is a fallback): usable, never picked automatically. */
  readonly software: boolean;
  readonly description: string;
  /** WGSL has dot4I8Packed (the `packed_4x8_integer_dot_product` language feature). */
  readonly dot4I8Packed: boolean;
}

const isNode = typeof process !== 'undefined' && process.versions?.node !== undefined;

/**
 * On Linux Dawn reaches GPUs through Vulkan; with no Vulkan driver manifest anywhere the loader would only print
 * warnings on stderr and find nothing, so that case is answered without loading Dawn at all.
 */
async function linuxWithoutVulkanDriver(): Promise<string | null> {
  if (process.platform !== 'linux') return null;
  if (process.env.VK_ICD_FILENAMES !== undefined || process.env.VK_DRIVER_FILES !== undefined) return null;
  const { readdir } = await import('node:fs/promises');
  const home = process.env.HOME ?? '';
  const dataDirs = (process.env.XDG_DATA_DIRS ?? '/usr/local/share:/usr/share').split(':');
  const dirs = ['/etc/vulkan/icd.d', `${home}/.local/share/vulkan/icd.d`, ...dataDirs.map((d) => `${d}/vulkan/icd.d`)];
  for (const dir of dirs) {
    const files = await readdir(dir).catch(() => [] as string[]);
    if (files.some((f) => f.endsWith('.json'))) return null;
  }
  return 'no WebGPU adapter (no Vulkan driver installed; set VK_ICD_FILENAMES to use one)';
}

async function findGpu(): Promise<GPU | string> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu !== undefined) return nav.gpu;
  if (!isNode) return 'this browser has no navigator.gpu (WebGPU is off or unsupported)';
  const noDriver = await linuxWithoutVulkanDriver();
  if (noDriver !== null) return noDriver;
  let pkg: { create(flags: string[]): GPU; globals: Record<string, unknown> };
  try {
    pkg = (await import('webgpu')) as unknown as typeof pkg;
  } catch (err) {
    return `the optional 'webgpu' package (Dawn for Node) did not load: ${(err as Error).message.split('\n')[0]}`;
  }
  const gpu = pkg.create([]);
  const g = globalThis as Record<string, unknown>;
  for (const [name, value] of Object.entries(pkg.globals)) if (!(name in g)) g[name] = value;
  if (g.navigator === undefined) g.navigator = {};
  const navigator = g.navigator as { gpu?: GPU };
  if (navigator.gpu === undefined) Object.defineProperty(navigator, 'gpu', { value: gpu, configurable: true, enumerable: true });
  return gpu;
}

let cached: Promise<GpuAccess | string> | null = null;

/** The adapter this process uses, or why there is none. */
export function gpuAccess(): Promise<GpuAccess | string> {
  cached ??= (async () => {
    const gpu = await findGpu();
    if (typeof gpu === 'string') return gpu;
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (adapter === null) return 'no WebGPU adapter';
    const info = adapter.info;
    const software = info.architecture === 'swiftshader' || (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
    const description = [info.vendor, info.architecture, info.description].filter((s) => s !== undefined && s !== '').join(' / ');
    const dot4I8Packed = gpu.wgslLanguageFeatures?.has('packed_4x8_integer_dot_product') ?? false;
    return { gpu, adapter, software, description, dot4I8Packed };
  })();
  return cached;
}
