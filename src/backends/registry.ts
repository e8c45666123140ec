/**
 * The list of backends, in order of preference for automatic selection. A duplicate name is an error.
 */
import { BackendUnavailableError } from '../errors.js';
import type { Backend, BackendDescriptor, BackendOptions } from './backend.js';
import { cudaBackend } from './cuda/index.js';
import { nativeBackend } from './native/index.js';
import { referenceBackend } from './reference/index.js';
import { wasmBackend } from './wasm/index.js';
import { webgpuBackend } from './webgpu/index.js';

const registry: BackendDescriptor[] = [];

export function registerBackend(descriptor: BackendDescriptor): void {
  if (registry.some((d) => d.name === descriptor.name)) throw new Error(`backend '${descriptor.name}' is registered twice`);
  registry.push(descriptor);
}

// Preference order for 'auto': the fastest available first (CUDA, another hardware GPU, native CPU code, CPU
// WebAssembly SIMD, the oracle).
registerBackend(cudaBackend);
registerBackend(webgpuBackend);
registerBackend(nativeBackend);
registerBackend(wasmBackend);
registerBackend(referenceBackend);

export function backendNames(): string[] {
  return registry.map((d) => d.name);
}

/**
 * Creates the backend called `name`, or with 'auto' (the default) the first available one in preference order.
 * An unknown or unavailable name is a BackendUnavailableError that says why.
 */
export async function createBackend(name = 'auto', options: BackendOptions = {}): Promise<Backend> {
  if (name === 'auto') {
    for (const d of registry) {
      if ((await d.unavailableReason()) !== null) continue;
      if (d.autoSkipReason !== undefined && (await d.autoSkipReason()) !== null) continue;
      return d.create(options);
    }
    throw new BackendUnavailableError('auto', 'no registered backend is available');
  }
  const d = registry.find((b) => b.name === name);
  if (d === undefined) throw new BackendUnavailableError(name, `unknown backend (known: ${backendNames().join(', ')})`);
  const reason = await d.unavailableReason();
  if (reason !== null) throw new BackendUnavailableError(name, reason);
  return d.create(options);
}

/**
 * Why 'auto' passes over each backend before the one it picks: `{ name, reason }` for every backend ahead of
 * `chosen` in preference order that is unavailable here or skipped by 'auto' (what `--verbose` prints).
 */
export async function passedOver(chosen: string): Promise<{ name: string; reason: string }[]> {
  const out: { name: string; reason: string }[] = [];
  for (const d of registry) {
    if (d.name === chosen) break;
    const unavailable = await d.unavailableReason();
    if (unavailable !== null) out.push({ name: d.name, reason: `unavailable: ${unavailable}` });
    else if (d.autoSkipReason !== undefined) {
      const skip = await d.autoSkipReason();
      if (skip !== null) out.push({ name: d.name, reason: `skipped by auto: ${skip}` });
    }
  }
  return out;
}
