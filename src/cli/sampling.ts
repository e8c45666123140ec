/**
 * The generation flags `run` and `chat` share (-n, -t, --top-k, --top-p, --min-p, --repeat-penalty, -s, --greedy,
 * --stop), declared once and turned into the engine's GenerateOptions in one place.
 */
import type { Command } from 'commander';
import type { GenerateOptions } from '../engine/options.js';
import { collect, parseInteger, parseNumber } from './parse.js';

export interface SamplingCliOptions {
  maxTokens?: number;
  temperature?: number;
  topK?: number;
  topP?: number;
  minP?: number;
  repeatPenalty?: number;
  seed?: number;
  greedy?: boolean;
  stop?: string[];
}

/** Adds the generation flags to `cmd`; `maxTokensHelp` says what -n counts (a completion, a reply). */
export function samplingFlags(cmd: Command, maxTokensHelp: string): Command {
  return cmd
    .option('-n, --max-tokens <n>', maxTokensHelp, parseInteger(1))
    .option('-t, --temperature <t>', 'sampling temperature; 0 is greedy (default 0.8)', parseNumber)
    .option('--top-k <k>', 'keep the k most likely tokens; 0 disables (default 40)', parseInteger(0))
    .option('--top-p <p>', 'nucleus mass in (0, 1] (default 0.95)', parseNumber)
    .option('--min-p <p>', 'drop tokens below p x the top probability (default 0.05)', parseNumber)
    .option('--repeat-penalty <r>', 'repetition penalty, 1 disables (default 1)', parseNumber)
    .option('-s, --seed <n>', 'random seed for reproducible sampling', parseInteger(0))
    .option('--greedy', 'always pick the most likely token')
    .option('--stop <str>', 'stop before this string (repeatable)', collect);
}

/** The engine options the flags ask for (unset flags stay undefined, so the model's defaults apply). */
export function generateOptions(opts: SamplingCliOptions): GenerateOptions {
  return {
    maxTokens: opts.maxTokens,
    temperature: opts.temperature,
    topK: opts.topK,
    topP: opts.topP,
    minP: opts.minP,
    repetitionPenalty: opts.repeatPenalty,
    seed: opts.seed,
    greedy: opts.greedy,
    stop: opts.stop,
  };
}
