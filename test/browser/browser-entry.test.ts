/**
 * The browser entry (src/browser.ts) must run without Node: no module it loads statically may import a Node
 * built-in (node:*) or the native `tokenizers` addon. Walks the graph of runtime imports, each file compiled alone
 * as the bundler sees it (type-only imports erased). Guarded dynamic imports (the wasm backend's Node branch) are
 * allowed: they run only where Node is detected.
 */
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');
const FORBIDDEN = [/^node:/, /^tokenizers$/, /^(fs|path|url|os|crypto|worker_threads|child_process)(\/|$)/];

/** Specifiers of the static imports and re-exports that survive compilation of `file`. */
function runtimeImports(file: string): string[] {
  const js = ts.transpileModule(readFileSync(file, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
    fileName: file,
  }).outputText;
  const out: string[] = [];
  const source = ts.createSourceFile(file, js, ts.ScriptTarget.ES2022);
  for (const s of source.statements) {
    if ((ts.isImportDeclaration(s) || ts.isExportDeclaration(s)) && s.moduleSpecifier !== undefined && ts.isStringLiteral(s.moduleSpecifier)) {
      out.push(s.moduleSpecifier.text);
    }
  }
  return out;
}

/** Every module reachable from `entry` by static imports: local files, and bare specifiers by importing file. */
function graph(entry: string): { files: Set<string>; external: Map<string, string> } {
  const files = new Set<string>();
  const external = new Map<string, string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    for (const spec of runtimeImports(file)) {
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else external.set(spec, relative(SRC, file));
    }
  };
  visit(entry);
  return { files, external };
}

describe('browser entry (src/browser.ts)', () => {
  const { files, external } = graph(resolve(SRC, 'browser.ts'));

  it('reaches the engine, the model, the backends and the pure-JS tokenizer', () => {
    const rel = [...files].map((f) => relative(SRC, f));
    for (const f of ['engine/web-engine.ts', 'engine/generation.ts', 'model/bitnet.ts', 'backends/registry.ts', 'backends/wasm/index.ts', 'tokenizer/js-tokenizer.ts']) {
      expect(rel).toContain(f);
    }
    expect(external.has('@huggingface/tokenizers')).toBe(true);
  });

  it('imports nothing from Node and not the native tokenizer, statically', () => {
    const bad = [...external].filter(([spec]) => FORBIDDEN.some((re) => re.test(spec))).map(([spec, by]) => `${spec} (imported by ${by})`);
    expect(bad).toEqual([]);
  });

  it('reaches none of the Node-only loaders', () => {
    const rel = [...files].map((f) => relative(SRC, f));
    for (const f of ['engine/engine.ts', 'formats/file-io.ts', 'formats/disk-folder.ts', 'tokenizer/hf-tokenizer.ts', 'model/load.ts']) {
      expect(rel).not.toContain(f);
    }
  });
});
