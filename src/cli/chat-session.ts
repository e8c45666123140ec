/**
 * The conversation behind `bitnet chat`: a system prompt, the turns so far, and one turn at a time streamed from the
 * engine's chat template (engine.streamChat). It prints nothing; the REPL (chat.ts) decides what goes where.
 *
 * A turn that is aborted (its signal fired) or fails is not kept: the conversation is as it was before it, so the
 * next question gets the reply a fresh conversation with the same messages would.
 */
import type { GenerateOptions } from '../engine/options.js';
import type { GenerationResult } from '../engine/result.js';
import type { GenerationStream } from '../engine/stream.js';
import { AbortError } from '../errors.js';
import type { ChatMessage } from '../tokenizer/chat-template.js';

/** What a session needs of an engine (InferenceEngine has it). */
export interface ChatSessionEngine {
  streamChat(messages: readonly ChatMessage[], options?: GenerateOptions): GenerationStream;
}

export interface TurnOptions {
  /** Stops this reply; the turn resolves with finishReason 'abort' and is not kept. */
  readonly signal?: AbortSignal;
  /** Receives the reply's text as it is generated. */
  readonly onText?: (text: string) => void;
}

export class ChatSession {
  private system: string | null;
  private readonly turns: ChatMessage[] = [];

  /** `options` apply to every reply (sampling, seed, maxTokens per reply, stop strings). */
  constructor(private readonly engine: ChatSessionEngine, private readonly options: GenerateOptions = {}, system: string | null = null) {
    this.system = system === '' ? null : system;
  }

  /** The system prompt, or null. */
  get systemPrompt(): string | null {
    return this.system;
  }

  /** The conversation as the template sees it: the system message (if any), then user and assistant turns. */
  get messages(): ChatMessage[] {
    return [...(this.system === null ? [] : [{ role: 'system', content: this.system }]), ...this.turns];
  }

  /** Forgets every turn; the system prompt stays. */
  reset(): void {
    this.turns.length = 0;
  }

  /** Sets the system prompt (empty or null: none) and starts a new conversation. */
  setSystem(text: string | null): void {
    this.system = text === null || text === '' ? null : text;
    this.reset();
  }

  /** Asks `text` as the user; streams the reply to `onText` and keeps the turn unless it was aborted. */
  async turn(text: string, t: TurnOptions = {}): Promise<GenerationResult> {
    const user: ChatMessage = { role: 'user', content: text };
    const stream = this.engine.streamChat([...this.messages, user], { ...this.options, ...(t.signal !== undefined ? { signal: t.signal } : {}) });
    try {
      for await (const chunk of stream) t.onText?.(chunk.text);
    } catch (err) {
      if (!(err instanceof AbortError)) throw err;
    }
    const r = await stream.result;
    if (r.finishReason !== 'abort') this.turns.push(user, { role: 'assistant', content: r.text });
    return r;
  }
}

/** What a line typed at the chat prompt asks for. */
export type ChatInput =
  | { readonly kind: 'say'; readonly text: string }
  | { readonly kind: 'empty' }
  | { readonly kind: 'command'; readonly name: string; readonly arg: string };

/** The REPL's commands and what they do, for /help. */
export const CHAT_COMMANDS: readonly (readonly [string, string])[] = [
  ['/reset', 'forget the conversation (the system prompt stays)'],
  ['/system TEXT', 'set the system prompt (none if TEXT is empty) and start over'],
  ['/help', 'list these commands'],
  ['/exit', 'leave (also Ctrl-D, or Ctrl-C twice at an empty prompt)'],
];

/**
 * A line is a command when it starts with '/' and a letter (`/reset`, `/system Be brief.`); '//' sends the rest
 * of the line, starting with '/', as a message. Blank lines ask nothing.
 */
export function parseChatInput(line: string): ChatInput {
  const trimmed = line.trim();
  if (trimmed === '') return { kind: 'empty' };
  if (trimmed.startsWith('//')) return { kind: 'say', text: trimmed.slice(1) };
  const m = /^\/([A-Za-z]\w*)(?:\s+([\s\S]*))?$/.exec(trimmed);
  if (m !== null) return { kind: 'command', name: m[1].toLowerCase(), arg: (m[2] ?? '').trim() };
  return { kind: 'say', text: trimmed };
}
