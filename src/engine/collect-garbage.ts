/**
 * One full garbage collection, for Node's model loading. Loading leaves tens of megabytes of garbage behind: the
 * GGUF vocabulary as JavaScript strings, the tokenizer.json text built from it, the file's read buffers. V8 keeps
 * that memory committed until its heap grows again, so it sits in the process's RSS next to the model at the
 * process's peak (measured at the 2B-4T shape: ~40 MB of a 1.14 GB model's 20% headroom). Collecting once at the
 * end of a load costs a few milliseconds.
 *
 * Node has no collection call without `--expose-gc`; the flag is set only while one new context is made, so that
 * context's `gc` is the one function taken, and is cleared again at once: no `gc` appears in the program's global
 * scope or in contexts made later. Where `gc` already exists (node --expose-gc) that one is used and no flag is
 * touched. Set BITNET_COLLECT_GARBAGE=off to skip the collection.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collector: (() => void) | null | undefined;

function findCollector(): (() => void) | null {
  const own = (globalThis as { gc?: unknown }).gc;
  if (typeof own === 'function') return own as () => void;
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    return typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    return null;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}

/** Runs a full collection; false when this Node offers none or BITNET_COLLECT_GARBAGE=off. */
export function collectGarbage(): boolean {
  if (process.env.BITNET_COLLECT_GARBAGE === 'off') return false;
  collector ??= findCollector();
  if (collector === null) return false;
  collector();
  return true;
}
