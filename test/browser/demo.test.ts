/**
 * The demo page (demo/, what `npm run demo` serves) end to end in Debian's headless Chromium, driven by
 * playwright-core: the Vite dev server on a random loopback port, the page loads the shipped model on the best
 * backend it can run (webgpu, then wasm, then reference) and says which and why the others were skipped; a prompt
 * typed in with greedy settings streams, piece by piece, exactly the text the Node engine gives for the same prompt
 * (on the same CPU backend, or on the float64 reference for a GPU one). A screenshot goes to test-output/demo.png.
 * The production build (`npm run demo:build`) is served as static files and does the same on the wasm backend.
 * Without Chromium at CHROMIUM_PATH (default /usr/bin/chromium) the tests say they skipped.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceEngine } from '../../src/index.js';
import { golden } from '../helpers/golden.js';
import { startIsolatedServer } from '../helpers/isolated-server.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`skipped: no Chromium at ${CHROMIUM} (end-to-end test of the browser demo)`);

const ROOT = resolve(import.meta.dirname, '../..');
const OUTPUT = resolve(ROOT, 'test-output');
const PREFERENCE = ['webgpu', 'wasm', 'reference'];
/** Golden prompt 0: its oracle top-2 margins stay above 0.1 for 28 tokens, so float32 backends agree on them. */
const PROMPT = golden.prompts[0].text;
/** Tokens per run: fewer on the automatic choice, which may be WebGPU on a software adapter (seconds per token). */
const AUTO_TOKENS = 16;
const MAX_TOKENS = 24;

/**
 * The Node engine's greedy continuation of PROMPT. On the CPU backends it runs the page's backend, which gives the
 * same numbers in Node and in a browser; for a GPU backend it runs the float64 reference, which such a backend must
 * match wherever the oracle's top-2 margin is wide (PROMPT's are, above), and which is fast where a GPU is emulated.
 */
async function nodeContinuation(pageBackend: string, maxTokens: number): Promise<{ text: string; backend: string }> {
  const backend = pageBackend === 'wasm' ? 'wasm' : 'reference';
  const engine = await InferenceEngine.load(undefined, { backend });
  try {
    const r = await engine.generate(PROMPT, { greedy: true, maxTokens });
    return { text: r.text, backend: r.backend };
  } finally {
    engine.close();
  }
}

interface Run {
  backend: string;
  skipped: string[];
  isolated: boolean;
  text: string;
  /** #completion's text after each change while streaming. */
  updates: string[];
  rate: string;
  runInfo: string;
}

/** Opens the page, waits for the model, types the prompt with greedy settings and waits for the stream to end. */
async function runDemo(page: Page, url: string, maxTokens: number): Promise<Run> {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(url);
  await page.waitForSelector('body[data-state="ready"], body[data-state="error"]', { timeout: 90_000 });
  const loadError = await page.locator('#error').textContent();
  expect(await page.getAttribute('body', 'data-state'), `${loadError} ${problems.join('; ')}`).toBe('ready');

  await page.fill('#prompt', PROMPT);
  await page.fill('#temperature', '0');
  await page.fill('#max-tokens', String(maxTokens));
  await page.fill('#seed', '1');
  await page.evaluate(() => {
    const updates: string[] = [];
    const completion = document.getElementById('completion')!;
    new MutationObserver(() => updates.push(completion.textContent ?? '')).observe(completion, { childList: true, characterData: true, subtree: true });
    (window as unknown as { updates: string[] }).updates = updates;
  });
  await page.click('#generate');
  await page.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: 90_000 });
  expect(await page.getAttribute('body', 'data-state'), `${await page.locator('#error').textContent()} ${problems.join('; ')}`).toBe('done');

  return {
    backend: (await page.getAttribute('body', 'data-backend')) ?? '',
    skipped: await page.locator('#skipped li').allTextContents(),
    isolated: await page.evaluate(() => crossOriginIsolated),
    text: (await page.locator('#completion').textContent()) ?? '',
    updates: await page.evaluate(() => (window as unknown as { updates: string[] }).updates.filter((u) => u !== '')),
    rate: (await page.locator('#tokens-per-second').textContent()) ?? '',
    runInfo: (await page.locator('#run-info').textContent()) ?? '',
  };
}

describe.skipIf(!hasChromium)('demo page in headless Chromium', () => {
  let server: ViteDevServer;
  let browser: Browser;
  let url: string;

  beforeAll(async () => {
    const { createServer } = await import('vite');
    server = await createServer({
      configFile: resolve(ROOT, 'demo/vite.config.ts'),
      server: { host: '127.0.0.1', port: 0, strictPort: false },
      logLevel: 'error',
      clearScreen: false,
    });
    await server.listen();
    url = server.resolvedUrls?.local[0] ?? '';
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--disable-background-networking', '--no-first-run'],
    });
    mkdirSync(OUTPUT, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('streams the greedy continuation the Node engine gives, on the first backend it can run, and says which', async () => {
    const page = await browser.newPage({ viewport: { width: 1000, height: 720 } });
    const run = await runDemo(page, url, AUTO_TOKENS);
    await page.screenshot({ path: resolve(OUTPUT, 'demo.png'), fullPage: true });
    await page.close();

    // The backend chosen is one of the preference list; every one before it is listed as skipped, with a reason.
    expect(run.isolated).toBe(true);
    const chosen = PREFERENCE.indexOf(run.backend);
    expect(chosen, run.skipped.join('\n')).toBeGreaterThanOrEqual(0);
    for (const name of PREFERENCE.slice(0, chosen)) expect(run.skipped.some((s) => s.startsWith(`${name} skipped: `)), run.skipped.join('\n')).toBe(true);
    console.info(`demo chose '${run.backend}'${run.skipped.length > 0 ? `; ${run.skipped.join('; ')}` : ''}`);

    // Streamed piece by piece: several updates, each extending the last, ending with the final text.
    expect(run.updates.length).toBeGreaterThan(1);
    for (let i = 1; i < run.updates.length; i++) expect(run.updates[i].startsWith(run.updates[i - 1])).toBe(true);
    expect(run.updates.at(-1)).toBe(run.text);
    expect(run.rate).toMatch(/^\d+\.\d tokens\/s$/);
    expect(run.runInfo).toContain(`${AUTO_TOKENS} tokens`);

    const node = await nodeContinuation(run.backend, AUTO_TOKENS);
    expect(run.text.length).toBeGreaterThan(0);
    expect(run.text, `page on ${run.backend}, Node on ${node.backend}`).toBe(node.text);
  }, 300_000);

  // The fallbacks, named explicitly after one this build does not have: each is reached, says what it skipped,
  // and gives exactly the Node engine's text on the same backend.
  for (const backend of ['wasm', 'reference']) {
    it(`falls back to ?backend=no-such-backend,${backend}, with Node's ${backend} text`, async () => {
      const page = await browser.newPage({ viewport: { width: 1000, height: 720 } });
      const run = await runDemo(page, `${url}?backend=no-such-backend,${backend}`, MAX_TOKENS);
      await page.screenshot({ path: resolve(OUTPUT, `demo-${backend}.png`), fullPage: true });
      await page.close();
      expect(run.backend).toBe(backend);
      expect(run.skipped).toEqual([expect.stringMatching(/^no-such-backend skipped: unknown backend \(known: .*\)$/)]);
      expect(run.runInfo).toContain(`${MAX_TOKENS} tokens`);
      console.info(`demo on ${backend}: ${run.rate}`);
      const node = await nodeContinuation(backend, MAX_TOKENS);
      expect(node.backend).toBe(backend);
      expect(run.text).toBe(node.text);
    }, 180_000);
  }

  it('works built for production (vite build), served as static files with the isolation headers', async () => {
    const { build } = await import('vite');
    const out = mkdtempSync(join(tmpdir(), 'bitnet-demo-'));
    try {
      await build({ configFile: resolve(ROOT, 'demo/vite.config.ts'), build: { outDir: out, emptyOutDir: true }, logLevel: 'error' });
      const server = await startIsolatedServer(out);
      try {
        const page = await browser.newPage();
        const run = await runDemo(page, `${server.url}/index.html?backend=wasm`, MAX_TOKENS);
        await page.close();
        expect(run.backend).toBe('wasm');
        expect(run.isolated).toBe(true);
        expect(run.text).toBe((await nodeContinuation('wasm', MAX_TOKENS)).text);
      } finally {
        await server.close();
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 180_000);
});
