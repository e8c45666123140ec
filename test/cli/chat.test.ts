/**
 * `bitnet chat` as a user pipes it: each stdin line a turn, replies on stdout. Every expected reply comes from the
 * library (engine.chat over the same conversation, backend, threads and seed), an independent path to the CLI's
 * REPL. Commands (/reset, /system, /exit), Ctrl-C (SIGINT) during a reply, and the REPL's turn function with an
 * AbortSignal are checked against fresh conversations.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatSession, parseChatInput } from '../../src/cli/chat-session.js';
import type { GenerateOptions } from '../../src/engine/options.js';
import { InferenceEngine } from '../../src/engine/engine.js';
import type { ChatMessage } from '../../src/tokenizer/chat-template.js';
import { CLI, runCli, type CliResult } from '../helpers/cli.js';

/** The shipped model on one wasm thread, in both the CLI and the library, so their floats match exactly. */
const BACKEND = ['-b', 'wasm', '--threads', '1'];
const Q1 = 'Who wrote the letter to the Senate?';
const Q2 = 'What did the President say about the war?';
const Q3 = 'Tell me about the river.';
const SYSTEM = 'You are a ship captain who answers in one sentence.';

let engine: InferenceEngine;
beforeAll(async () => {
  engine = await InferenceEngine.load(undefined, { backend: 'wasm', threads: 1 });
});
afterAll(() => engine.close());

const user = (content: string): ChatMessage => ({ role: 'user', content });
const assistant = (content: string): ChatMessage => ({ role: 'assistant', content });

/** The library's replies to `questions` asked in turn in one conversation (opening with `start`). */
async function conversation(questions: string[], options: GenerateOptions, start: ChatMessage[] = []): Promise<{ text: string; tokenIds: readonly number[] }[]> {
  const messages = [...start];
  const replies = [];
  for (const q of questions) {
    messages.push(user(q));
    const r = await engine.chat(messages, options);
    messages.push(assistant(r.text));
    replies.push(r);
  }
  return replies;
}

function jsonLines(r: CliResult): { text: string; tokenIds: number[]; finishReason: string; seed: number }[] {
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
}

describe('bitnet chat (stdin not a terminal: one turn per line)', () => {
  it('answers each line as engine.chat does for the same conversation (greedy, --json)', async () => {
    const want = await conversation([Q1, Q2, Q3], { greedy: true, maxTokens: 12 });
    const got = jsonLines(await runCli(['chat', ...BACKEND, '--greedy', '-n', '12', '--json'], `${Q1}\n${Q2}\n${Q3}\n`));
    expect(got.map((g) => g.tokenIds)).toEqual(want.map((w) => w.tokenIds));
    expect(got.map((g) => g.text)).toEqual(want.map((w) => w.text));
    expect(got.every((g) => g.finishReason === 'length')).toBe(true);
  });

  it('streams plain replies, one per line, and samples reproducibly with --seed', async () => {
    const want = await conversation([Q1, Q2], { seed: 7, temperature: 0.9, maxTokens: 10 });
    const r = await runCli(['chat', ...BACKEND, '-s', '7', '-t', '0.9', '-n', '10'], `${Q1}\n\n${Q2}\n`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(want.map((w) => `${w.text}\n`).join(''));
    expect(r.stderr).not.toMatch(/\x1b|\r/); // no prompt, bar or cursor codes when nothing is a terminal
  });

  it('/reset forgets the conversation: the next reply is a fresh conversation\'s', async () => {
    const o = { greedy: true, maxTokens: 12 };
    const [fresh] = await conversation([Q2], o);
    const [, withHistory] = await conversation([Q1, Q2], o);
    expect(withHistory.tokenIds).not.toEqual(fresh.tokenIds); // the history changes the reply, so the check means something
    const got = jsonLines(await runCli(['chat', ...BACKEND, '--greedy', '-n', '12', '--json'], `${Q1}\n/reset\n${Q2}\n`));
    expect(got).toHaveLength(2);
    expect(got[1].tokenIds).toEqual(fresh.tokenIds);
  });

  it('/system sets the system prompt and starts over; /reset keeps it; --system sets it from the start', async () => {
    const o = { greedy: true, maxTokens: 12 };
    const system = { role: 'system', content: SYSTEM };
    const [withSystem] = await conversation([Q1], o, [system]);
    const [without] = await conversation([Q1], o);
    expect(withSystem.tokenIds).not.toEqual(without.tokenIds);
    const got = jsonLines(await runCli(['chat', ...BACKEND, '--greedy', '-n', '12', '--json'], `${Q1}\n/system ${SYSTEM}\n${Q1}\n/reset\n${Q1}\n/system\n${Q1}\n`));
    expect(got.map((g) => g.tokenIds)).toEqual([without.tokenIds, withSystem.tokenIds, withSystem.tokenIds, without.tokenIds]);
    const flag = jsonLines(await runCli(['chat', ...BACKEND, '--greedy', '-n', '12', '--json', '--system', SYSTEM], `${Q1}\n`));
    expect(flag[0].tokenIds).toEqual(withSystem.tokenIds);
  });

  it('/exit leaves with 0 and ignores what follows; unknown commands are reported on stderr only', async () => {
    const r = await runCli(['chat', ...BACKEND, '--greedy', '-n', '4', '--json'], `/bogus\n/help\n${Q1}\n/exit\n${Q2}\n`);
    expect(jsonLines(r)).toHaveLength(1);
    expect(r.stderr).toMatch(/unknown command \/bogus/);
    expect(r.stderr).toMatch(/\/system TEXT/);
  });

  it('a turn that fails (prompt beyond the context) is reported and the session goes on', async () => {
    const long = 'the river '.repeat(800);
    const r = await runCli(['chat', ...BACKEND, '--greedy', '-n', '6', '--json'], `${long}\n${Q1}\n`);
    const [err, reply] = jsonLines(r) as unknown as [{ error: { code: string } }, { tokenIds: number[] }];
    expect(err.error.code).toBe('CONTEXT_LENGTH');
    expect(r.stderr).toMatch(/context holds 1024/);
    const [want] = await conversation([Q1], { greedy: true, maxTokens: 6 });
    expect(reply.tokenIds).toEqual(want.tokenIds);
  });

  it('rejects a bad sampling option before loading, with exit 2', async () => {
    const r = await runCli(['chat', '--top-p', '0'], `${Q1}\n`);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/topP/);
  });
});

describe('Ctrl-C during a reply', () => {
  it('SIGINT while a reply streams stops that reply; the process answers the next line and exits 0 at EOF', async () => {
    const n = 400;
    const [next] = await conversation([Q2], { greedy: true, maxTokens: n });
    const [first] = await conversation([Q1], { greedy: true, maxTokens: n });
    expect(first.tokenIds).toHaveLength(n); // the reply we interrupt is long: the signal lands while it streams
    const child = spawn(process.execPath, [CLI, 'chat', ...BACKEND, '--greedy', '-n', String(n)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (!signalled) {
        signalled = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin.end(`${Q1}\n${Q2}\n`);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/reply stopped/);
    // The stopped reply is a strict prefix of the full one; the next is what a fresh conversation gets (not kept).
    const [stopped, rest] = [stdout.slice(0, stdout.length - next.text.length - 1), stdout.slice(stdout.length - next.text.length - 1)];
    expect(rest).toBe(`${next.text}\n`);
    expect(stopped.endsWith('\n')).toBe(true);
    expect(first.text.startsWith(stopped.slice(0, -1))).toBe(true);
    expect(stopped.length - 1).toBeLessThan(first.text.length);
  });

  it('SIGINT between replies (input not a terminal) exits 130', async () => {
    const child = spawn(process.execPath, [CLI, 'chat', ...BACKEND, '--greedy', '-n', '4'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (stdout.endsWith('\n')) child.kill('SIGINT'); // the first reply is done; stdin is still open
    });
    child.stdin.write(`${Q1}\n`);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(130);
  });

  it('the REPL turn with an AbortSignal: the stopped turn is not kept and the session stays usable', async () => {
    const o = { greedy: true, maxTokens: 40 };
    const session = new ChatSession(engine, o);
    const a1 = await session.turn(Q1);
    const stop = new AbortController();
    let seen = '';
    const aborted = await session.turn(Q2, { signal: stop.signal, onText: (t) => ((seen += t), stop.abort()) });
    expect(aborted.finishReason).toBe('abort');
    expect(aborted.text).toBe(seen);
    expect(session.messages).toEqual([user(Q1), assistant(a1.text)]);
    const a3 = await session.turn(Q3);
    const [, want3] = await conversation([Q1, Q3], o);
    expect(a3.tokenIds).toEqual(want3.tokenIds);
    session.reset();
    expect(session.messages).toEqual([]);
  });
});

describe('parseChatInput', () => {
  it('tells commands, messages and blank lines apart', () => {
    expect(parseChatInput('  hello  ')).toEqual({ kind: 'say', text: 'hello' });
    expect(parseChatInput('   ')).toEqual({ kind: 'empty' });
    expect(parseChatInput('/system  Be brief. ')).toEqual({ kind: 'command', name: 'system', arg: 'Be brief.' });
    expect(parseChatInput('/RESET')).toEqual({ kind: 'command', name: 'reset', arg: '' });
    expect(parseChatInput('//etc/hosts')).toEqual({ kind: 'say', text: '/etc/hosts' });
    expect(parseChatInput('/ not a command')).toEqual({ kind: 'say', text: '/ not a command' });
  });
});
