/**
 * Coverage of the op vocabulary (llama.cpp `--show-coverage`): every op in OP_NAMES has its spec file
 * spec/<kebab-op>.spec.ts, and that file runs its suite through forEachBackend for that op. A new op added to
 * src/backends/ops.ts without a spec fails here instead of going untested.
 */
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { OP_NAMES } from '../src/backends/ops.js';

const specDir = fileURLToPath(new URL('.', import.meta.url));
const kebab = (op: string): string => op.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

describe('op coverage', () => {
  it.each(OP_NAMES.map((op) => [op, `${kebab(op)}.spec.ts`]))('%s has spec/%s wrapped in forEachBackend', (op, file) => {
    const path = `${specDir}${file}`;
    expect(existsSync(path), `missing ${path}`).toBe(true);
    expect(readFileSync(path, 'utf8')).toContain(`forEachBackend('${op}',`);
  });
});
