/**
 * Loading the native addon (native/*.cc, built by node-gyp into build/Release when the package installs). Loaded
 * lazily with dynamic imports so that the browser bundle, which has this module too, never touches Node APIs.
 */

/** The addon's functions (native/addon.cc). Addresses are byte addresses as numbers (below 2^53 on every OS). */
export interface NativeAddon {
  features(): string[];
  setForceScalar(on: boolean): boolean;
  /** Zeroed, 64-byte-aligned native memory, freed when the ArrayBuffer is collected. */
  alloc(bytes: number): ArrayBuffer;
  address(view: ArrayBuffer | ArrayBufferView): number;
  /** Returns alloc()'s memory now (the ArrayBuffer is detached: its views read as empty, never freed memory). */
  free(buffer: ArrayBuffer): void;
  packTernary(dst: number, rowsLayout: Uint8Array, rows: number, cols: number): void;
  quantizeTable(table: number, storage: number, rows: number, cols: number, q: number, scales: number, rowBytes: number): void;
  createRunner(threads: number): object;
  run(runner: object, program: Float64Array, words: number): void;
  /** Joins the runner's threads; later runs throw. */
  destroyRunner(runner: object): void;
  /** Per-op timing of thread 0 (docs/native.md, "Where the time goes"); setProfiling clears it. */
  setProfiling(runner: object, on: boolean): void;
  profile(runner: object): NativeProfile;
}

/**
 * Where node-gyp leaves the addon, relative to this file in src/ or dist/ (both two levels below the root). Held in
 * a variable so that bundlers do not treat `new URL('…', import.meta.url)` as an asset of the browser bundle.
 */
const ADDON_RELATIVE = '../../../build/Release/bitnet_native.node';

/** The addon's path: BITNET_NATIVE_ADDON when set (a prebuilt binary elsewhere), else node-gyp's output. */
async function addonPath(): Promise<string> {
  const fromEnv = process.env.BITNET_NATIVE_ADDON;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return (await import('node:url')).fileURLToPath(new URL(ADDON_RELATIVE, import.meta.url));
}

export interface NativeProfile {
  readonly runs: number;
  readonly wallNs: number;
  readonly ops: readonly { readonly op: number; readonly records: number; readonly workNs: number; readonly barrierNs: number }[];
}

let loaded: Promise<NativeAddon> | undefined;

/** The addon, or a rejection whose message says why it cannot be used here. */
export function loadNativeAddon(): Promise<NativeAddon> {
  loaded ??= (async () => {
    if (typeof process === 'undefined' || process.versions?.node === undefined) throw new Error('the native backend needs Node.js');
    const { existsSync } = await import('node:fs');
    const path = await addonPath();
    if (!existsSync(path)) {
      throw new Error(`native addon not built (${path} is missing: installing bitnet-ts builds it with node-gyp, which needs a C++ compiler, python3 and make; \`npm run build:native\` retries)`);
    }
    const { createRequire } = await import('node:module');
    try {
      return createRequire(import.meta.url)(path) as NativeAddon;
    } catch (err) {
      throw new Error(`native addon ${path} did not load: ${(err as Error).message}`);
    }
  })();
  return loaded;
}
