/**
 * Chat prompts: a model's Jinja chat template (GGUF `tokenizer.chat_template`, or tokenizer_config.json's
 * `chat_template`) rendered with @huggingface/jinja, the engine transformers.js uses, with the variables
 * transformers passes (`messages`, `add_generation_prompt`, `bos_token`, `eos_token`, `raise_exception`). When a
 * model has no template, the bitnet-b1.58-2B-4T format (formats §6.3) is used.
 *
 * Like transformers' `apply_chat_template`, the rendered text is meant to be encoded with `addSpecialTokens: false`:
 * whatever BOS the prompt needs is in the text (the fallback writes it; a template writes `bos_token` if it wants one).
 */
import { Environment, Interpreter, Template } from '@huggingface/jinja';
import { ChatTemplateError, TokenizerError } from '../errors.js';
import type { GgufMetadata } from '../formats/gguf/metadata.js';
import { readFolderText, type ModelFolder } from '../formats/model-folder.js';
import { specialTokens } from './gguf-tokenizer.js';

export interface ChatMessage {
  /** 'system', 'user', 'assistant', … as the template expects. */
  readonly role: string;
  readonly content: string;
}

export interface RenderChatOptions {
  /** Jinja template; null or absent means the bitnet-b1.58-2B-4T fallback (BITNET_2B4T_CHAT_TEMPLATE). */
  readonly template?: string | null;
  /** End with the opening of an assistant turn (`add_generation_prompt`). Default false, as in transformers. */
  readonly addGenerationPrompt?: boolean;
  /** `bos_token` as the template sees it. The fallback uses `<|begin_of_text|>` when absent. */
  readonly bosToken?: string;
  /** `eos_token` as the template sees it. */
  readonly eosToken?: string;
}

/**
 * The 2B-4T format of formats §6.3 as a template: BOS, then `Role: content<|eot_id|>` per message (role with its first
 * letter upper-cased, content trimmed), then `Assistant: ` with add_generation_prompt.
 */
export const BITNET_2B4T_CHAT_TEMPLATE =
  "{{ bos_token }}{% for message in messages %}{{ message['role'] | capitalize + ': ' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ 'Assistant: ' }}{% endif %}";

const LLAMA3_BOS = '<|begin_of_text|>';

/** What a template's `raise_exception(message)` throws, so that it can be told apart from engine errors. */
class RaisedByTemplate extends Error {}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/**
 * Elements that all `range()` calls of one render may produce together. A template comes with the model file, so
 * `range(10**9)` would allocate gigabytes and loop for minutes; Jinja's own sandbox caps one range at 100,000
 * (MAX_RANGE). One budget per render also bounds ranges nested in loops (`range(1000)` inside `range(1000)`).
 */
export const RANGE_BUDGET = 100_000;

/** Python's `range(stop)` / `range(start, stop[, step])`, drawing on a budget of RANGE_BUDGET elements per render. */
function budgetedRange(): (start: number, stop?: number, step?: number) => number[] {
  let left = RANGE_BUDGET;
  return (start, stop, step = 1) => {
    const [from, to] = stop === undefined ? [0, start] : [start, stop];
    if (step === 0) throw new Error('range() step must not be zero');
    const span = (to - from) / step;
    const n = span > 0 ? Math.ceil(span) : 0;
    if (n > left) throw new Error(`range() of ${n} elements is over the ${RANGE_BUDGET} a template may make in one render`);
    left -= n;
    const out: number[] = [];
    for (let i = from; out.length < n && (step > 0 ? i < to : i > to); i += step) out.push(i);
    return out;
  };
}

/** `strftime_now(format)` as templates use it (LLaMA-3.1 dates): %Y %m %d %b %B %H %M %%, C-locale month names. */
function strftimeNow(format: string): string {
  const d = new Date();
  const pad = (n: number): string => String(n).padStart(2, '0');
  return format.replace(/%[YmdbBHM%]/g, (t) =>
    t === '%Y' ? String(d.getFullYear())
      : t === '%m' ? pad(d.getMonth() + 1)
        : t === '%d' ? pad(d.getDate())
          : t === '%b' ? MONTHS[d.getMonth()].slice(0, 3)
            : t === '%B' ? MONTHS[d.getMonth()]
              : t === '%H' ? pad(d.getHours())
                : t === '%M' ? pad(d.getMinutes())
                  : '%',
  );
}

/**
 * Renders `messages` with the template (or the 2B-4T fallback). ChatTemplateError when it cannot.
 *
 * The globals are those `Template.render` of @huggingface/jinja sets (true/false/none in both spellings, range,
 * strftime_now), set here through its public Environment so that `raise_exception` can be ours: the library's own
 * throws a plain Error that could not be told apart from a rendering failure.
 */
export function renderChat(messages: readonly ChatMessage[], options: RenderChatOptions = {}): string {
  const source = options.template ?? BITNET_2B4T_CHAT_TEMPLATE;
  const bosToken = options.bosToken ?? (options.template == null ? LLAMA3_BOS : undefined);
  let template: Template;
  try {
    template = new Template(source);
  } catch (err) {
    throw new ChatTemplateError('syntax', `chat template does not parse: ${(err as Error).message}`, { cause: err });
  }
  const variables: Record<string, unknown> = {
    true: true,
    false: false,
    none: null,
    True: true,
    False: false,
    None: null,
    range: budgetedRange(),
    strftime_now: strftimeNow,
    raise_exception: (message: unknown) => {
      throw new RaisedByTemplate(String(message));
    },
    messages: messages.map((m) => ({ role: m.role, content: m.content })),
    add_generation_prompt: options.addGenerationPrompt ?? false,
  };
  if (bosToken !== undefined) variables.bos_token = bosToken;
  if (options.eosToken !== undefined) variables.eos_token = options.eosToken;
  try {
    const env = new Environment();
    for (const [name, value] of Object.entries(variables)) env.set(name, value);
    return String(new Interpreter(env).run(template.parsed).value);
  } catch (err) {
    if (err instanceof RaisedByTemplate) throw new ChatTemplateError('raised', `chat template raised an exception: ${err.message}`, { cause: err });
    throw new ChatTemplateError('render', `chat template failed while rendering: ${(err as Error).message}`, { cause: err });
  }
}

/** A model's chat template and the token strings it refers to. */
export interface ModelChatTemplate {
  readonly template: string;
  readonly bosToken: string | undefined;
  readonly eosToken: string | undefined;
}

/** tokenizer_config.json's bos_token / eos_token: a string, or an AddedToken object with `content`. */
function tokenString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return undefined;
}

/**
 * The chat template of a Hugging Face model folder (on disk or in memory), from tokenizer_config.json's
 * `chat_template`: a string, or a list of `{ name, template }` of which the one named "default" is taken. Null when
 * the folder has no tokenizer_config.json or it has no chat_template; TokenizerError when the file or the field is
 * malformed.
 */
export function chatTemplateFromHfFolder(folder: ModelFolder): ModelChatTemplate | null {
  const name = 'tokenizer_config.json';
  if (!folder.has(name)) return null;
  const path = folder.pathOf(name);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFolderText(folder, name));
  } catch (err) {
    throw new TokenizerError(`${path}: not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new TokenizerError(`${path}: must be a JSON object`);
  // Own keys only: a key behind "__proto__" or "constructor" is not the file's.
  const config = parsed as Record<string, unknown>;
  const own = (key: string): unknown => (Object.hasOwn(config, key) ? config[key] : undefined);
  const raw = own('chat_template');
  if (raw === undefined || raw === null) return null;
  let template: string;
  if (typeof raw === 'string') {
    template = raw;
  } else if (Array.isArray(raw)) {
    const named = raw.find((t: unknown) => typeof t === 'object' && t !== null && (t as { name?: unknown }).name === 'default') as
      | { template?: unknown }
      | undefined;
    if (named === undefined) throw new TokenizerError(`${path}: 'chat_template' is a list of named templates with none named "default"`);
    if (typeof named.template !== 'string') throw new TokenizerError(`${path}: 'chat_template' entry "default" has no template string`);
    template = named.template;
  } else {
    throw new TokenizerError(`${path}: 'chat_template' must be a string or a list of {name, template}`);
  }
  return { template, bosToken: tokenString(own('bos_token')), eosToken: tokenString(own('eos_token')) };
}

/**
 * The chat template of a GGUF (`tokenizer.chat_template`), with BOS / EOS spelled as the vocabulary spells them;
 * null when the file has none.
 */
export function chatTemplateFromGguf(meta: GgufMetadata): ModelChatTemplate | null {
  const key = 'tokenizer.chat_template';
  if (!meta.has(key)) return null;
  let template: string;
  let tokens: string[];
  try {
    template = meta.string(key);
    tokens = meta.strings('tokenizer.ggml.tokens');
  } catch (err) {
    throw new TokenizerError(`cannot read the chat template: ${(err as Error).message}`, { cause: err });
  }
  const s = specialTokens(meta);
  return { template, bosToken: s.bos === null ? undefined : tokens[s.bos], eosToken: s.eos === null ? undefined : tokens[s.eos] };
}
