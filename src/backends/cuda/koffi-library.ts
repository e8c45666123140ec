/**
 * Shared libraries reached through koffi (the CUDA driver, NVRTC): koffi itself loaded on demand, and the first of
 * several library names that loads. Nothing here runs until the cuda backend is asked for.
 */

export class CudaError extends Error {}

export type Koffi = (typeof import('koffi'))['default'];
type Library = ReturnType<Koffi['load']>;

/** koffi, or CudaError saying why it did not load. */
export async function loadKoffi(): Promise<Koffi> {
  try {
    return (await import('koffi')).default;
  } catch (err) {
    throw new CudaError(`koffi did not load: ${(err as Error).message}`);
  }
}

/** The first of `names` that loads, and which one it was; CudaError listing every failure otherwise. */
export function findLibrary(koffi: Koffi, names: readonly string[]): { lib: Library; name: string } {
  const errors: string[] = [];
  for (const name of names) {
    try {
      return { lib: koffi.load(name), name };
    } catch (err) {
      errors.push(`${name}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  throw new CudaError(errors.join('; '));
}
