/**
 * Progress of long steps (loading weights, writing a GGUF, scoring perplexity) on stderr, as the library reports it
 * ({ phase, done, total }): a cli-progress bar when stderr is a terminal, plain lines with --verbose, else nothing.
 *
 * | stderr   | flags                  | shows                                  |
 * |----------|------------------------|----------------------------------------|
 * | any      | --quiet                | nothing                                |
 * | terminal | not --json             | a bar, redrawn in place                |
 * | any      | --verbose (otherwise)  | a line at every tenth of each phase    |
 * | any      | otherwise              | nothing (no bar text in logs or pipes) |
 */
import cliProgress from 'cli-progress';
import type { LoadProgress } from '../model/load-progress.js';
import type { CommonOptions } from './io.js';

export type { LoadProgress } from '../model/load-progress.js';

/** Where progress goes: process.stderr, or in tests any stream that says whether it is a terminal. */
export type ProgressStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export interface ProgressReporter {
  /** Shows `done` of `total` for `phase`; a new phase starts a new bar. */
  update(progress: LoadProgress): void;
  /** Ends the bar, leaving its last state on its own line (idempotent). */
  stop(): void;
}

export type ProgressFlags = Pick<CommonOptions, 'json' | 'quiet' | 'verbose'>;

/** How progress is shown for these flags on this stream. */
export function progressMode(opts: ProgressFlags, stream: ProgressStream = process.stderr): 'bar' | 'lines' | 'none' {
  if (opts.quiet === true) return 'none';
  if (stream.isTTY === true && opts.json !== true) return 'bar';
  return opts.verbose === true ? 'lines' : 'none';
}

/** A reporter for `label` (e.g. "loading tiny-bitnet"), in the mode the flags and the stream call for. */
export function progressReporter(label: string, opts: ProgressFlags, stream: ProgressStream = process.stderr): ProgressReporter {
  const mode = progressMode(opts, stream);
  if (mode === 'bar') return barReporter(label, stream);
  if (mode === 'lines') return lineReporter(label, stream);
  return { update: () => {}, stop: () => {} };
}

function barReporter(label: string, stream: ProgressStream): ProgressReporter {
  let bar: cliProgress.SingleBar | null = null;
  let phase: string | null = null;
  const stop = (): void => {
    bar?.stop();
    bar = null;
  };
  return {
    update(p) {
      if (bar === null || p.phase !== phase) {
        stop();
        phase = p.phase;
        bar = new cliProgress.SingleBar({
          stream,
          format: `bitnet: ${label} ${p.phase} [{bar}] {value}/{total} {percentage}% eta {eta_formatted}`,
          barsize: 30,
          hideCursor: false,
          gracefulExit: false,
          etaBuffer: 20,
        }, cliProgress.Presets.shades_classic);
        bar.start(p.total, p.done);
        return;
      }
      bar.setTotal(p.total);
      bar.update(p.done);
    },
    stop,
  };
}

function lineReporter(label: string, stream: ProgressStream): ProgressReporter {
  let phase: string | null = null;
  let shown = -1;
  return {
    update(p) {
      if (p.phase !== phase) {
        phase = p.phase;
        shown = -1;
      }
      const tenth = p.total > 0 ? Math.floor((10 * p.done) / p.total) : 10;
      if (tenth <= shown) return;
      shown = tenth;
      stream.write(`bitnet: ${label} ${p.phase} ${p.done}/${p.total}\n`);
    },
    stop: () => {},
  };
}
