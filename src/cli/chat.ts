/**
 * `bitnet chat`: a read-eval-print loop over the model's chat template (chat-session.ts). Each line is one user
 * turn; the reply streams to stdout (or, with --json, one JSON object per reply line). Commands: /reset, /system,
 * /help, /exit. Notices and errors go to stderr, so piped stdout holds replies only.
 *
 * Leaving and interrupting: /exit or end of input (Ctrl-D) exits 0. Ctrl-C while a reply streams stops that reply
 * (it is not kept) and the loop goes on. On a terminal, Ctrl-C at the prompt clears the line, or, on an empty line,
 * says how to leave; a second Ctrl-C in a row exits 0 (node's REPL does the same). When input is not a terminal,
 * SIGINT between replies exits 130.
 */
import { createInterface, type Interface } from 'node:readline';
import { resolveOptions } from '../engine/options.js';
import type { GenerationResult } from '../engine/result.js';
import { BitnetError } from '../errors.js';
import { ChatSession, CHAT_COMMANDS, parseChatInput } from './chat-session.js';
import { EXIT_INTERRUPTED, progress, reportError, type CommonOptions } from './io.js';
import { loadEngine } from './load.js';
import { generateOptions, type SamplingCliOptions } from './sampling.js';

/** `bitnet chat`'s flags: the common and sampling ones, and the opening system prompt. */
export interface ChatCliOptions extends CommonOptions, SamplingCliOptions {
  system?: string;
}

const EXIT_HINT = '(To exit, press Ctrl+C again or Ctrl+D or type /exit)';

/** Loads the model and runs the loop until /exit, end of input or an interrupt; returns the exit code. */
export async function chatCommand(opts: ChatCliOptions): Promise<number> {
  const options = generateOptions(opts);
  resolveOptions(options); // reject bad values before a model is loaded
  const engine = await loadEngine(opts);
  try {
    const session = new ChatSession(engine, options, opts.system ?? null);
    const interactive = process.stdin.isTTY === true && process.stdout.isTTY === true;
    if (interactive) progress(opts, `bitnet chat: ${engine.source} on ${engine.backendInfo.name}; /help lists commands, Ctrl-D or /exit leaves`);
    return await repl(session, opts, interactive);
  } finally {
    engine.close();
  }
}

/** One JSON line per reply (--json). */
function replyJson(r: GenerationResult): string {
  const { text, tokenIds, finishReason, seed, usage: u } = r;
  const usage = { promptTokens: u.promptTokens, generatedTokens: u.generatedTokens, prefillTokensPerSecond: u.prefillTokensPerSecond, decodeTokensPerSecond: u.decodeTokensPerSecond };
  return `${JSON.stringify({ role: 'assistant', text, tokenIds, finishReason, seed, usage })}\n`;
}

async function repl(session: ChatSession, opts: ChatCliOptions, interactive: boolean): Promise<number> {
  const rl: Interface = createInterface({
    input: process.stdin,
    ...(interactive ? { output: process.stdout, terminal: true, historySize: 200, removeHistoryDuplicates: true } : { terminal: false }),
  });
  rl.setPrompt('> ');
  const notice = (s: string): void => void process.stderr.write(`${s}\n`);
  let reply: AbortController | null = null;
  let exitCode = 0;
  let ctrlCOnce = false;
  // prompt() resumes the input, so it must not run once the interface is closed (Ctrl-D during a reply).
  let closed = false;
  rl.on('close', () => (closed = true));
  const prompt = (): void => {
    if (interactive && !closed) rl.prompt();
  };

  // On a terminal readline reads Ctrl-C as a key; elsewhere it arrives as the SIGINT signal.
  rl.on('SIGINT', () => {
    if (reply !== null) return void reply.abort(new Error('interrupted'));
    if (rl.line !== '') {
      rl.write(null, { ctrl: true, name: 'e' });
      rl.write(null, { ctrl: true, name: 'u' });
      ctrlCOnce = false;
      return;
    }
    if (ctrlCOnce) return void rl.close();
    ctrlCOnce = true;
    process.stdout.write('\n');
    notice(EXIT_HINT);
    prompt();
  });
  const onSignal = (): void => {
    if (reply !== null) return void reply.abort(new Error('interrupted'));
    exitCode = EXIT_INTERRUPTED;
    rl.close();
  };
  process.on('SIGINT', onSignal);

  try {
    prompt();
    for await (const line of rl) {
      if (exitCode === EXIT_INTERRUPTED) break; // lines read before SIGINT are not answered
      ctrlCOnce = false;
      const input = parseChatInput(line);
      if (input.kind === 'command') {
        if (input.name === 'exit' || input.name === 'quit') break;
        command(session, input.name, input.arg, notice);
      } else if (input.kind === 'say') {
        reply = new AbortController();
        try {
          await say(session, input.text, reply.signal, opts);
        } finally {
          reply = null;
        }
      }
      prompt();
    }
  } finally {
    process.off('SIGINT', onSignal);
    rl.close();
  }
  if (interactive && exitCode === 0) process.stdout.write('\n');
  return exitCode;
}

function command(session: ChatSession, name: string, arg: string, notice: (s: string) => void): void {
  if (name === 'reset') {
    session.reset();
    notice('(conversation cleared)');
  } else if (name === 'system') {
    session.setSystem(arg);
    notice(arg === '' ? '(no system prompt; conversation cleared)' : '(system prompt set; conversation cleared)');
  } else if (name === 'help') {
    notice(CHAT_COMMANDS.map(([c, what]) => `  ${c.padEnd(14)} ${what}`).join('\n'));
    notice('  Ctrl-C stops a reply; //text sends "/text" as a message');
  } else {
    notice(`unknown command /${name}; /help lists the commands`);
  }
}

/** One turn: stream (or print as JSON) the reply; a library error is reported and the loop goes on. */
async function say(session: ChatSession, text: string, signal: AbortSignal, opts: ChatCliOptions): Promise<void> {
  const json = opts.json === true;
  let r: GenerationResult;
  try {
    r = await session.turn(text, { signal, onText: json ? undefined : (t) => process.stdout.write(t) });
  } catch (err) {
    if (!(err instanceof BitnetError)) throw err;
    reportError(err, json);
    process.stderr.write('bitnet: the turn was not kept; /reset starts over\n');
    return;
  }
  if (json) process.stdout.write(replyJson(r));
  else process.stdout.write('\n');
  if (r.finishReason === 'abort') process.stderr.write('(reply stopped; not kept in the conversation)\n');
  else if (opts.verbose === true) {
    const u = r.usage;
    progress(opts, `bitnet: ${u.promptTokens} prompt tokens, ${u.generatedTokens} generated at ${u.decodeTokensPerSecond.toFixed(1)} tok/s (${r.finishReason}, seed ${r.seed})`);
  }
}
