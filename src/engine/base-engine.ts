/**
 * The inference engine's behaviour, shared by Node (engine.ts: paths, native tokenizer) and browsers (web-engine.ts:
 * URLs or files in memory, pure-JS tokenizer): generations, logits and perplexity over the Model interface. It
 * imports nothing from Node, and never parses files itself; the subclasses say where a model comes from.
 */
import type { BackendInfo } from '../backends/backend.js';
import { createBackend } from '../backends/registry.js';
import { BitNetModel } from '../model/bitnet.js';
import type { ModelConfig } from '../model/config.js';
import type { Logits, Model } from '../model/model.js';
import { reportingPieces, weightPieces, type LoadProgressCallback } from '../model/load-progress.js';
import { ContextLengthError } from '../errors.js';
import type { NumericsProfile } from '../model/numerics.js';
import { renderChat, type ChatMessage, type ModelChatTemplate } from '../tokenizer/chat-template.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { generate } from './generation.js';
import type { OpenedModel } from './open-model.js';
import { resolveOptions, type GenerateOptions } from './options.js';
import { perplexity, type PerplexityOptions, type PerplexityResult } from './perplexity.js';
import type { GenerationResult } from './result.js';
import { GenerationStream } from './stream.js';
import { chatApi, type ChatApi } from '../openai/chat-api.js';

export interface LoadOptions {
  /** Backend name, or 'auto' (default): the fastest available. */
  readonly backend?: string;
  /** Threads for backends that use them. */
  readonly threads?: number;
  /** 'hf' (default: per-token int8 activations, as transformers) or 'llamacpp' (Q8_K for TQ weights; docs/numerics.md). */
  readonly numerics?: NumericsProfile;
  /** 'exact' (default) or 'int8': a lossy, faster lm_head (wasm backend; docs/numerics.md "int8 lm_head"). */
  readonly lmHead?: 'exact' | 'int8';
  /**
   * Called as the weights are read and uploaded, with phase 'weights' and `done` of `total` pieces (embedding,
   * each layer, output norm, lm_head); `done` never decreases and the last call has `done === total`.
   */
  readonly onProgress?: LoadProgressCallback;
}

/** A prompt is text (tokenized with the model's tokenizer) or token ids used as they are. */
export type Prompt = string | { readonly tokenIds: readonly number[] };

/** What an engine is made of, once loaded. */
export interface EngineParts {
  readonly source: string;
  readonly model: Model;
  readonly tokenizer: Tokenizer;
  readonly defaults: GenerateOptions;
  readonly eosTokenIds: readonly number[];
  readonly chatTemplate: ModelChatTemplate | null;
}

/** A model's name from where it was loaded: the last path or URL segment, without `.gguf`. */
function modelName(source: string): string {
  const parts = source.split(/[\\/]/).filter((p) => p !== '');
  return (parts[parts.length - 1] ?? source).replace(/\.gguf$/, '');
}

/**
 * An engine over a loaded model. Use the subclass of your environment: `InferenceEngine` from 'bitnet-ts' (Node)
 * or from 'bitnet-ts/browser'; both add a static `load`.
 */
export class InferenceEngineBase {
  readonly model: Model;
  readonly tokenizer: Tokenizer;
  /** Where the model was loaded from. */
  readonly source: string;
  readonly backendInfo: BackendInfo;
  /** The model's chat template (null: the built-in 2B-4T format is used). */
  readonly chatTemplate: ModelChatTemplate | null;
  /**
   * `chat(messages, options)`: the assistant's reply (streamChat run to the end); `chat.completions.create(request)`:
   * the OpenAI / web-llm call, returning `chat.completion` objects or a stream of chunks (src/openai/chat-api.ts).
   */
  readonly chat: ChatApi;
  private readonly defaults: GenerateOptions;
  private readonly eosIds: ReadonlySet<number>;

  protected constructor(parts: EngineParts) {
    this.source = parts.source;
    this.model = parts.model;
    this.tokenizer = parts.tokenizer;
    this.backendInfo = parts.model.backendInfo;
    this.defaults = parts.defaults;
    this.eosIds = new Set(parts.eosTokenIds);
    this.chatTemplate = parts.chatTemplate;
    this.chat = chatApi(this, modelName(parts.source));
  }

  /**
   * Creates the backend, then opens the model with `open` and uploads its weights. The backend comes first, so an
   * unknown or unavailable one fails before any file is read; on any failure the backend is released.
   */
  protected static async assemble(options: LoadOptions, open: () => Promise<OpenedModel>): Promise<EngineParts> {
    const backend = await createBackend(options.backend ?? 'auto', { threads: options.threads, lmHead: options.lmHead });
    try {
      const opened = await open();
      const report = options.onProgress;
      const weights = report === undefined ? opened.weights : reportingPieces(opened.weights, 'weights', report);
      let model: BitNetModel;
      try {
        model = new BitNetModel(opened.config, weights, backend, { numerics: options.numerics });
      } finally {
        opened.close();
      }
      report?.({ phase: 'weights', done: weightPieces(opened.weights), total: weightPieces(opened.weights) });
      const { source, tokenizer, defaults, eosTokenIds, chatTemplate } = opened;
      return { source, model, tokenizer, defaults, eosTokenIds, chatTemplate };
    } catch (err) {
      backend.dispose();
      throw err;
    }
  }


  get config(): ModelConfig {
    return this.model.config;
  }

  /** Token ids of `text` (with BOS unless addSpecialTokens is false). */
  tokenize(text: string, options: { addSpecialTokens?: boolean } = {}): Promise<number[]> {
    return this.tokenizer.encode(text, options);
  }

  detokenize(ids: readonly number[], options: { skipSpecialTokens?: boolean } = {}): Promise<string> {
    return this.tokenizer.decode(ids, options);
  }

  /** Streams a completion; iterate it for chunks, or await `.result`. */
  stream(prompt: Prompt, options: GenerateOptions = {}): GenerationStream {
    const o = resolveOptions(options, this.defaults);
    const ids = this.promptIds(prompt, o.addSpecialTokens);
    const info = { promptTokenIds: [] as number[], seed: o.seed, backend: this.model.backendName, backendInfo: this.model.backendInfo };
    const source = async function* (engine: InferenceEngineBase) {
      const promptIds = await ids;
      info.promptTokenIds = promptIds;
      return yield* generate(engine.model, engine.tokenizer, promptIds, engine.eosIds, o);
    };
    return new GenerationStream(source(this), info);
  }

  /**
   * Renders a conversation with the model's chat template (or the built-in 2B-4T format), ending with the opening
   * of the assistant's turn; the result is a prompt whose special tokens are already in the text.
   */
  formatChat(messages: readonly ChatMessage[], options: { addGenerationPrompt?: boolean } = {}): string {
    const t = this.chatTemplate;
    return renderChat(messages, { template: t?.template ?? null, bosToken: t?.bosToken, eosToken: t?.eosToken, addGenerationPrompt: options.addGenerationPrompt ?? true });
  }

  /** Streams the assistant's reply to a conversation; the template supplies BOS, so none is added again. */
  streamChat(messages: readonly ChatMessage[], options: GenerateOptions = {}): GenerationStream {
    return this.stream(this.formatChat(messages), { addSpecialTokens: false, ...options });
  }

  /** Runs a completion to the end. Rejects with AbortError if `options.signal` fires. */
  async generate(prompt: Prompt, options: GenerateOptions = {}): Promise<GenerationResult> {
    const s = this.stream(prompt, options);
    for await (const _ of s) {
      // Chunks are collected by the stream itself; draining drives the result.
    }
    return s.result;
  }

  /** Logits of every prompt position, [T, vocab] (float64 on the reference backend). */
  async logits(prompt: Prompt, options: { addSpecialTokens?: boolean } = {}): Promise<Logits & { tokenIds: number[] }> {
    const ids = await this.promptIds(prompt, options.addSpecialTokens ?? true);
    if (ids.length > this.config.contextLength) throw new ContextLengthError(ids.length, this.config.contextLength);
    const cache = this.model.createCache(Math.max(1, ids.length));
    try {
      const logits = await this.model.forward(Int32Array.from(ids), cache, { logits: 'all' });
      return { ...logits, tokenIds: ids };
    } finally {
      cache.release();
    }
  }

  /** Perplexity of token ids, or of a text tokenized as BOS + its encoding (no special tokens) + EOS. */
  async perplexity(input: string | ArrayLike<number>, options: PerplexityOptions = {}): Promise<PerplexityResult> {
    const tokens = typeof input === 'string' ? await this.textToScoredTokens(input) : input;
    return perplexity(this.model, tokens, options);
  }

  private async textToScoredTokens(text: string): Promise<number[]> {
    const body = await this.tokenizer.encode(text, { addSpecialTokens: false });
    const bos = this.config.bosTokenId;
    const eos = this.config.eosTokenIds[0];
    return [...(bos === null ? [] : [bos]), ...body, ...(eos === undefined ? [] : [eos])];
  }

  private async promptIds(prompt: Prompt, addSpecialTokens: boolean): Promise<number[]> {
    if (typeof prompt === 'string') return this.tokenizer.encode(prompt, { addSpecialTokens });
    return [...prompt.tokenIds];
  }

  close(): void {
    this.model.dispose();
  }
}
