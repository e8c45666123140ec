/**
 * GGUF files of one synthetic BitNet model (F32, F16, TQ1_0, TQ2_0; golden/llamacpp), against the float64
 * references and against llama.cpp's own logits and greedy continuations (all produced outside this codebase;
 * see golden/llamacpp/README.md).
 *
 * - Reference backend vs the float64 references: 1e-9 relative (absolute below magnitude 1) and identical greedy
 *   ids — `hf` numerics vs `int8-token`; `llamacpp` numerics vs `q8k` (TQ files) or `exact` (F32/F16).
 * - vs llama.cpp (`llamacpp` numerics), the README's rule: TQ files d_p ≤ 1e-2 before the first tie-prone position
 *   and ≤ 0.5 everywhere (Q8_K rounding flips are real; llama.cpp flips too); F32 ≤ 1e-3; F16 ≤ 3e-2 (llama.cpp
 *   rounds F16-path activations to f16). Greedy ids equal llama.cpp's for every file. Checked on the reference, on
 *   the float32 native backend (skipped, with the reason, where its addon is not built) and on wasm.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeBackend } from '../../src/backends/native/index.js';
import { InferenceEngine } from '../../src/engine/engine.js';
import { worstRelative } from '../helpers/golden.js';

const DIR = fileURLToPath(new URL('../../golden/llamacpp/', import.meta.url));
type Ref = { logits_file: string; logits_shape: [number, number]; greedy_ids: number[]; first_tie_prone_position?: number | null };
interface Prompt {
  text: string;
  input_ids: number[];
  llamacpp: Record<string, Ref>;
  reference: Record<'int8-token' | 'q8k' | 'exact', Ref>;
}
const golden = JSON.parse(readFileSync(`${DIR}golden.json`, 'utf8')) as { prompts: Prompt[] };

function read(file: string): Float64Array {
  const b = readFileSync(`${DIR}${file}`);
  if (file.endsWith('.f64.bin')) return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
  return Float64Array.from(new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)));
}

/** max over the vocabulary of |got − want| at each position. */
function perPosition(got: ArrayLike<number>, want: ArrayLike<number>, V: number): number[] {
  const d: number[] = [];
  for (let p = 0; p < want.length / V; p++) {
    let m = 0;
    for (let v = 0; v < V; v++) m = Math.max(m, Math.abs(got[p * V + v] - want[p * V + v]));
    d.push(m);
  }
  return d;
}

const TYPES = ['tq2_0', 'tq1_0', 'f32', 'f16'] as const;
const nativeUnavailable = await nativeBackend.unavailableReason();

for (const type of TYPES) {
  const file = `${DIR}bitnet-d256-L2-s1-${type}.gguf`;
  const ternaryBlocks = type.startsWith('tq');

  for (const numerics of ['hf', 'llamacpp'] as const) {
    const profile = numerics === 'hf' ? 'int8-token' : ternaryBlocks ? 'q8k' : 'exact';
    describe(`${type} [reference, numerics ${numerics}] vs float64 ref-${profile}`, () => {
      let engine: InferenceEngine;
      beforeAll(async () => {
        engine = await InferenceEngine.load(file, { backend: 'reference', numerics });
      });
      afterAll(() => engine.close());

      golden.prompts.forEach((p, i) => {
        it(`prompt ${i}: tokens, logits within 1e-9, greedy ids identical`, async () => {
          expect(await engine.tokenize(p.text)).toEqual(p.input_ids);
          const ref = p.reference[profile];
          const got = await engine.logits({ tokenIds: p.input_ids });
          expect([got.rows, got.vocabSize]).toEqual(ref.logits_shape);
          expect(worstRelative(got.data, read(ref.logits_file), 1e-9).ratio).toBeLessThanOrEqual(1);
          const r = await engine.generate({ tokenIds: p.input_ids }, { greedy: true, maxTokens: ref.greedy_ids.length, ignoreEos: true });
          expect(r.tokenIds).toEqual(ref.greedy_ids);
        });
      });
    });
  }

  // The float32 native and wasm backends are held to the same bounds: llama.cpp computes in float32 too.
  for (const backend of ['reference', 'native', 'wasm'] as const) {
    describe.skipIf(backend === 'native' && nativeUnavailable !== null)(`${type} [${backend}, numerics llamacpp] vs llama.cpp itself${backend === 'native' && nativeUnavailable !== null ? ` skipped: ${nativeUnavailable}` : ''}`, () => {
      let engine: InferenceEngine;
      beforeAll(async () => {
        engine = await InferenceEngine.load(file, { backend, numerics: 'llamacpp' });
      });
      afterAll(() => engine.close());

      golden.prompts.forEach((p, i) => {
        it(`prompt ${i}: logits within the README's bounds, greedy ids equal llama.cpp's`, async () => {
          const lc = p.llamacpp[type];
          const got = await engine.logits({ tokenIds: p.input_ids });
          const d = perPosition(got.data, read(lc.logits_file), lc.logits_shape[1]);
          if (ternaryBlocks) {
            const P = p.reference.q8k.first_tie_prone_position ?? d.length;
            d.forEach((dp, pos) => expect(dp, `position ${pos}`).toBeLessThanOrEqual(pos < P ? 1e-2 : 0.5));
          } else {
            const bound = type === 'f32' ? 1e-3 : 3e-2;
            d.forEach((dp, pos) => expect(dp, `position ${pos}`).toBeLessThanOrEqual(bound));
          }
          const r = await engine.generate({ tokenIds: p.input_ids }, { greedy: true, maxTokens: lc.greedy_ids.length, ignoreEos: true });
          expect(r.tokenIds).toEqual(lc.greedy_ids);
        });
      });
    });
  }
}
