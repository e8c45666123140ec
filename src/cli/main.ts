#!/usr/bin/env node
/**
 * The `bitnet` command line. Front end over the public API only.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { backendNames } from '../backends/registry.js';
import { DEFAULT_MODEL_PATH } from '../engine/default-model.js';
import { EXIT_USAGE, reportError } from './io.js';
import { logitsCommand, type LogitsCliOptions } from './logits.js';
import { GGUF_TERNARY_TYPES } from '../convert/hf-to-gguf.js';
import { NUMERICS_PROFILES } from '../model/numerics.js';
import { convertCommand, type ConvertCliOptions } from './convert.js';
import { inspectCommand } from './inspect.js';
import { chatCommand, type ChatCliOptions } from './chat.js';
import { parseInteger } from './parse.js';
import { perplexityCommand, type PerplexityCliOptions } from './perplexity.js';
import { runCommand, type RunOptions } from './run.js';
import { samplingFlags } from './sampling.js';
import { serveCommand, type ServeCliOptions } from './serve.js';
import { synthCommand, type SynthCliOptions } from './synth.js';
import { SYNTH_SHAPE_NAMES, SYNTH_TYPES } from '../convert/synth.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** The options of every command that loads a model; `json` says what --json prints. */
function common(cmd: Command, json = 'print one JSON object on stdout'): Command {
  return cmd
    .option('-m, --model <path>', `model: a Hugging Face folder or a GGUF file (default: the shipped ${DEFAULT_MODEL_PATH})`)
    .option('-b, --backend <name>', `backend: auto or one of ${backendNames().join(', ')}`, 'auto')
    .option('--threads <n>', 'threads for backends that use them (default: the machine\'s cores)', parseInteger(1))
    .addOption(new Option('--numerics <profile>', 'activation quantisation: hf (per-token int8, as transformers) or llamacpp (Q8_K for TQ weights)').choices(NUMERICS_PROFILES).default('hf'))
    .addOption(new Option('--lm-head <precision>', 'lm_head: exact, or int8 (lossy, faster; wasm backend)').choices(['exact', 'int8']).default('exact'))
    .option('--json', json)
    .option('-q, --quiet', 'no progress on stderr')
    .option('-v, --verbose', 'say more on stderr (backend, model shape; progress as plain lines when stderr is not a terminal)');
}

function program(): Command {
  const p = new Command('bitnet')
    .description('BitNet b1.58 inference in TypeScript')
    .version(pkg.version)
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  samplingFlags(common(p.command('run')), 'most tokens to generate (default 256)')
    .description('generate a completion of PROMPT (or of stdin), streamed to stdout')
    .argument('[prompt]', 'prompt text; read from stdin when absent')
    .addOption(new Option('--no-bos', 'do not prepend the BOS token'))
    .action(async (prompt: string | undefined, opts: RunOptions) => {
      process.exitCode = await runCommand(prompt, opts);
    });

  samplingFlags(common(p.command('chat'), 'print each reply as one JSON object per line, not streamed'), 'most tokens per reply (default 256)')
    .description('chat with the model over its chat template: one line per turn, replies streamed (/help lists commands)')
    .option('--system <text>', 'system prompt (change it in the chat with /system TEXT)')
    .action(async (opts: ChatCliOptions) => {
      process.exitCode = await chatCommand(opts);
    });

  common(p.command('perplexity'))
    .description("perplexity in windows of fresh context (the oracle's definition)")
    .option('-f, --file <text>', 'UTF-8 text, scored as BOS + its tokens + EOS')
    .option('--tokens <file>', 'raw little-endian int32 token ids instead of text')
    .option('-n, --max-tokens <n>', 'predictions to score (default 20000)', parseInteger(1))
    .option('-w, --window <n>', 'positions per window (default 256)', parseInteger(1))
    .action(async (opts: PerplexityCliOptions) => {
      process.exitCode = await perplexityCommand(opts);
    });

  common(p.command('logits'))
    .description('write the float32 logits of every prompt position to a file')
    .requiredOption('-p, --prompt <text>', 'prompt text')
    .requiredOption('-o, --out <file>', 'output file: float32 little-endian [tokens, vocab]')
    .addOption(new Option('--no-bos', 'do not prepend the BOS token'))
    .action(async (opts: LogitsCliOptions) => {
      process.exitCode = await logitsCommand(opts);
    });
  common(p.command('serve'), 'print { url, model, backend } as one JSON line on stdout once listening')
    .description('serve the model over an OpenAI-compatible HTTP API (/v1/chat/completions, /v1/completions, /v1/models, /health)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port to listen on (0: any free port)', parseInteger(0), 8080)
    .option('--concurrency <n>', 'generations at once (default 1)', parseInteger(1))
    .option('--max-queue <n>', 'requests waiting beyond those; more get 429 (default 64)', parseInteger(0))
    .option('--max-tokens <n>', 'largest max_tokens a request may ask for (default: the context length)', parseInteger(1))
    .option('--body-limit <bytes>', 'largest request body (default 1048576)', parseInteger(1))
    .action(async (opts: ServeCliOptions) => {
      process.exitCode = await serveCommand(opts);
    });

  p.command('convert')
    .description('convert a Hugging Face BitNet folder to GGUF, losslessly')
    .argument('<hf-dir>', 'Hugging Face model folder (config.json, model.safetensors, tokenizer.json)')
    .addOption(new Option('--to <type>', 'ternary tensor type').choices(GGUF_TERNARY_TYPES).makeOptionMandatory())
    .requiredOption('-o, --out <file>', 'output .gguf file')
    .option('--json', 'print one JSON object on stdout')
    .option('-q, --quiet', 'no progress on stderr')
    .option('-v, --verbose', 'progress as plain lines when stderr is not a terminal')
    .action(async (dir: string, opts: ConvertCliOptions) => {
      process.exitCode = await convertCommand(dir, opts);
    });

  p.command('synth')
    .description('write a random BitNet GGUF of a named shape, for benchmarks and tests')
    .addOption(new Option('--shape <name>', 'model shape: 700m (bitnet_b1_58-large), 2b4t (bitnet-b1.58-2B-4T sizes), tiny').choices(SYNTH_SHAPE_NAMES).makeOptionMandatory())
    .addOption(new Option('--type <type>', 'projection tensor type').choices(SYNTH_TYPES).default('tq2_0'))
    .option('-s, --seed <n>', 'random seed; the same seed gives the same file byte for byte', parseInteger(0), 1)
    .requiredOption('-o, --out <file>', 'output .gguf file')
    .option('--json', 'print one JSON object on stdout')
    .option('-q, --quiet', 'no progress on stderr')
    .option('-v, --verbose', 'progress as plain lines when stderr is not a terminal')
    .action(async (opts: SynthCliOptions) => {
      process.exitCode = await synthCommand(opts);
    });

  p.command('inspect')
    .description('show what a GGUF file holds: architecture, hyper-parameters, tokenizer, tensors')
    .argument('<file>', 'a .gguf file')
    .option('--json', 'print one JSON object on stdout')
    .action(async (file: string, opts: { json?: boolean }) => {
      process.exitCode = await inspectCommand(file, opts);
    });
  return p;
}

async function main(argv: string[]): Promise<void> {
  const p = program();
  try {
    await p.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    process.exitCode = reportError(err, argv.includes('--json'));
  }
}

// A reader that goes away (`bitnet run … | head`) ends the command quietly, as Unix tools do, instead of an
// unhandled EPIPE with a stack trace; 141 is the shell's code for a process ended by SIGPIPE.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(141);
  throw err;
});

await main(process.argv);
