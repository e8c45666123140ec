/**
 * The CLI's I/O habits: results on stdout, progress and diagnostics on stderr, errors as exit codes
 * (0 success, 1 failure, 2 usage error, 130 interrupted).
 */
import { BitnetError, InvalidOptionError } from '../errors.js';

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

export interface CommonOptions {
  model?: string;
  backend?: string;
  numerics?: 'hf' | 'llamacpp';
  threads?: number;
  lmHead?: 'exact' | 'int8';
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

export function progress(opts: CommonOptions, message: string): void {
  if (opts.quiet !== true) process.stderr.write(`${message}\n`);
}

/** Prints an error the Unix way (and as JSON on stdout with --json) and returns the exit code. */
export function reportError(err: unknown, json: boolean): number {
  const usage = err instanceof InvalidOptionError;
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`bitnet: error: ${message}\n`);
  if (err instanceof Error && !(err instanceof BitnetError) && process.env.BITNET_DEBUG) process.stderr.write(`${err.stack}\n`);
  if (json) {
    const code = err instanceof BitnetError ? err.code : 'INTERNAL';
    process.stdout.write(`${JSON.stringify({ error: { code, message } })}\n`);
  }
  return usage ? EXIT_USAGE : EXIT_FAILURE;
}

/** Reads all of stdin as UTF-8 (for a prompt piped in). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
