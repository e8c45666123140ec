/**
 * `bitnet serve`: an OpenAI-compatible HTTP API over one loaded engine, on Fastify. Routes: POST /v1/chat/completions
 * and POST /v1/completions (`stream: true` answers with server-sent events ending in `data: [DONE]`), GET /v1/models,
 * GET /health. Bounded request bodies and max_tokens, a queue of bounded length in front of a fixed number of
 * concurrent generations, a client that disconnects cancels its generation, every error in OpenAI's error shape.
 * Closing the server (app.close(), as `bitnet serve` does on SIGTERM) stops every running and queued generation at
 * once instead of waiting for them: running ones end as an aborted run would (a non-streamed reply carries what
 * was generated; a stream gets an error event and ends), queued ones and new ones get 503.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { InferenceEngineBase } from '../engine/base-engine.js';
import type { GenerationStream } from '../engine/stream.js';
import { BitnetError, ContextLengthError } from '../errors.js';
import { Gate } from './gate.js';
import { asBody, chatMessages, completionPrompt, generationOptions, RequestError } from '../openai/requests.js';
import { chatChunk, chatCompletion, errorBody, finishReason, textChunk, textCompletion } from '../openai/responses.js';

export interface ServeOptions {
  /** Generations running at once (default 1: the backends already use every core). */
  readonly concurrency?: number;
  /** Requests waiting beyond those (default 64); more are refused with 429. */
  readonly maxQueue?: number;
  /** Largest max_tokens a request may ask for (default: the model's context length). */
  readonly maxTokens?: number;
  /** Largest request body in bytes (default 1 MiB). */
  readonly bodyLimit?: number;
  /** The model id reported by /v1/models and in responses. */
  readonly modelName: string;
}

export function createServer(engine: InferenceEngineBase, options: ServeOptions): FastifyInstance {
  const app = Fastify({ bodyLimit: options.bodyLimit ?? 1 << 20, logger: false });
  const gate = new Gate(options.concurrency ?? 1, options.maxQueue ?? 64);
  const limits = { maxTokens: options.maxTokens ?? engine.config.contextLength };
  const model = options.modelName;
  const created = Math.floor(Date.now() / 1000);

  app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    if (err instanceof RequestError) return reply.code(err.status).send(errorBody(err.message, err.type, err.param));
    if (err instanceof ContextLengthError) {
      // The field that made the sequence too long: the prompt of a text completion, the messages of a chat.
      const param = req.url.startsWith('/v1/completions') ? 'prompt' : 'messages';
      return reply.code(400).send(errorBody(err.message, 'invalid_request_error', param, 'context_length_exceeded'));
    }
    const status = err.statusCode ?? 500;
    if (status < 500) return reply.code(status).send(errorBody(err.message, 'invalid_request_error', null));
    return reply.code(500).send(errorBody(err instanceof BitnetError ? err.message : 'internal error', 'server_error', null));
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send(errorBody(`no route ${req.method} ${req.url}`, 'invalid_request_error', null, 'not_found')));

  app.get('/health', async () => ({ status: 'ok', model, backend: engine.backendInfo.name, ...gate.load }));
  app.get('/v1/models', async () => ({ object: 'list', data: [{ id: model, object: 'model', created, owned_by: 'bitnet-ts' }] }));

  // Fired when the server closes: every generation and every wait in the gate listens to it.
  const closing = new AbortController();
  app.addHook('preClose', (done) => {
    closing.abort();
    done();
  });
  const shuttingDown = (): RequestError => new RequestError(null, 'the server is shutting down', 503, 'server_error');

  /** Runs one generation under the gate; the client's disconnect, or the server closing, aborts it (or its wait). */
  async function generate(req: FastifyRequest, reply: FastifyReply, kind: 'chat' | 'text'): Promise<unknown> {
    const body = asBody(req.body);
    const { options: gen, stream } = generationOptions(body, limits);
    const messages = kind === 'chat' ? chatMessages(body) : null;
    const prompt = kind === 'text' ? completionPrompt(body) : null;
    if (closing.signal.aborted) throw shuttingDown();
    const abort = new AbortController();
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) abort.abort();
    });
    const onClosing = () => abort.abort();
    closing.signal.addEventListener('abort', onClosing, { once: true });
    let release: () => void;
    try {
      release = await gate.enter(abort.signal);
    } catch (err) {
      closing.signal.removeEventListener('abort', onClosing);
      throw closing.signal.aborted ? shuttingDown() : err;
    }
    try {
      const options = { ...gen, signal: abort.signal };
      const s: GenerationStream = messages !== null ? engine.streamChat(messages, options) : engine.stream(prompt as string, options);
      const id = `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomUUID()}`;
      if (!stream) {
        const r = await s.result;
        return kind === 'chat' ? chatCompletion(id, model, created, r) : textCompletion(id, model, created, r);
      }
      await streamEvents(reply, s, id, kind);
      return reply;
    } finally {
      closing.signal.removeEventListener('abort', onClosing);
      release();
    }
  }

  async function streamEvents(reply: FastifyReply, s: GenerationStream, id: string, kind: 'chat' | 'text'): Promise<void> {
    // The first chunk decides whether the request was acceptable (a too-long prompt fails before any token).
    const it = s[Symbol.asyncIterator]();
    let first: IteratorResult<{ text: string }>;
    try {
      first = await it.next();
    } catch (err) {
      await s.result.catch(() => undefined);
      throw err;
    }
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    const send = (data: unknown) => raw.write(`data: ${JSON.stringify(data)}\n\n`);
    if (kind === 'chat') send(chatChunk(id, model, created, { role: 'assistant', content: '' }, null));
    try {
      for (let r = first; r.done !== true; r = await it.next()) {
        if (raw.destroyed) break;
        send(kind === 'chat' ? chatChunk(id, model, created, { content: r.value.text }, null) : textChunk(id, model, created, r.value.text, null));
      }
      const result = await s.result;
      if (!raw.destroyed) {
        const finish = finishReason(result.finishReason);
        send(kind === 'chat' ? chatChunk(id, model, created, {}, finish) : textChunk(id, model, created, '', finish));
        raw.write('data: [DONE]\n\n');
      }
    } catch (err) {
      const message = closing.signal.aborted ? 'the server is shutting down' : err instanceof BitnetError ? err.message : 'internal error';
      if (!raw.destroyed) send(errorBody(message, 'server_error', null));
    } finally {
      raw.end();
    }
  }

  app.post('/v1/chat/completions', (req, reply) => generate(req, reply, 'chat'));
  app.post('/v1/completions', (req, reply) => generate(req, reply, 'text'));
  return app;
}
