/**
 * `bitnet serve`: the OpenAI-compatible HTTP API (src/server/app.ts) on --host:--port, until SIGINT / SIGTERM, which
 * stop running generations rather than wait for them.
 * Progress on stderr; with --json one line on stdout once listening ({ url, model, backend }).
 */
import { basename } from 'node:path';
import { createServer } from '../server/app.js';
import { progress, type CommonOptions } from './io.js';
import { loadEngine } from './load.js';

export interface ServeCliOptions extends CommonOptions {
  host: string;
  port: number;
  concurrency?: number;
  maxQueue?: number;
  maxTokens?: number;
  bodyLimit?: number;
}

export async function serveCommand(opts: ServeCliOptions): Promise<number> {
  const engine = await loadEngine(opts);
  const modelName = basename(engine.source).replace(/\.gguf$/, '');
  const app = createServer(engine, { modelName, concurrency: opts.concurrency, maxQueue: opts.maxQueue, maxTokens: opts.maxTokens, bodyLimit: opts.bodyLimit });
  const url = await app.listen({ host: opts.host, port: opts.port });
  progress(opts, `bitnet: serving ${modelName} on ${url}/v1 (backend ${engine.backendInfo.name}); Ctrl-C to stop`);
  if (opts.json === true) process.stdout.write(`${JSON.stringify({ url, model: modelName, backend: engine.backendInfo.name })}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  // Running and queued generations are stopped, not awaited (app.ts); a second signal exits at once all the same.
  progress(opts, 'bitnet: stopping');
  process.once('SIGINT', () => process.exit(130));
  process.once('SIGTERM', () => process.exit(143));
  // Sockets a client opened and never used are not "idle" to Node and would hold close() open: cut them after a grace.
  const force = setTimeout(() => app.server.closeAllConnections(), 2000);
  force.unref();
  await app.close();
  clearTimeout(force);
  engine.close();
  return 0;
}
