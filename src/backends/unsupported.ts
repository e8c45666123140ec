import { UnsupportedOpError } from '../errors.js';

/** Binds an op a backend cannot run: it throws, and is never routed to another backend behind the caller's back. */
export function unsupported(backend: string, op: string, reason: string): () => never {
  return () => {
    throw new UnsupportedOpError(backend, op, reason);
  };
}
