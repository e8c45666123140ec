/**
 * The GGUF model loader on files it must refuse, each with a typed error naming the file and the tensor or key:
 * lookup-table layouts (TL1/TL2), MXFP4 (id 39 upstream), non-ternary projections, TQ blocks with different
 * scales, an unknown architecture, and shapes that disagree with the metadata.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertHfToGguf } from '../../src/convert/hf-to-gguf.js';
import { ConfigError, FormatError } from '../../src/errors.js';
import { decodeQ8_0, encodeQ8_0 } from '../../src/formats/codecs/q8-0.js';
import { encodeTq2_0 } from '../../src/formats/codecs/tq2-0.js';
import { decodeBf16 } from '../../src/formats/float16.js';
import { GgufFile } from '../../src/formats/gguf/reader.js';
import { gguf, writeGguf, type GgufTensorToWrite } from '../../src/formats/gguf/writer.js';
import type { GgufValue } from '../../src/formats/gguf/metadata.js';
import { loadGguf } from '../../src/model/load-gguf.js';
import { MODEL_DIR } from '../helpers/golden.js';

const dir = mkdtempSync(join(tmpdir(), 'bitnet-load-gguf-'));
let base: { meta: Map<string, GgufValue>; tensors: GgufTensorToWrite[] };
let n = 0;

beforeAll(() => {
  const path = join(dir, 'base.gguf');
  convertHfToGguf(MODEL_DIR, path, 'tq2_0');
  const f = GgufFile.open(path);
  base = {
    meta: new Map(f.metadata.entries),
    tensors: [...f.tensors.values()].map((t) => ({ name: t.name, dims: t.dims, typeId: t.typeId, data: f.readTensorBytes(t.name) })),
  };
  f.close();
});

/** The converted tiny model with some tensors and keys changed, written to a new file. */
function variant(edit: (meta: Map<string, GgufValue>, tensors: GgufTensorToWrite[]) => void): string {
  const meta = new Map(base.meta);
  const tensors = base.tensors.map((t) => ({ ...t }));
  edit(meta, tensors);
  const path = join(dir, `v${n++}.gguf`);
  writeGguf(path, meta, tensors);
  return path;
}

function replace(tensors: GgufTensorToWrite[], name: string, t: Partial<GgufTensorToWrite>): void {
  const i = tensors.findIndex((x) => x.name === name);
  tensors[i] = { ...tensors[i], ...t };
}

function formatError(path: string, field: string, message: RegExp): void {
  let err: unknown;
  try {
    loadGguf(path);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(FormatError);
  expect((err as FormatError).file).toBe(path);
  expect((err as FormatError).field).toBe(field);
  expect((err as FormatError).message).toMatch(message);
}

describe('loadGguf refuses what it cannot run exactly', () => {
  it('loads the unmodified conversion', () => {
    expect(loadGguf(variant(() => {})).config.numLayers).toBe(8);
  });

  it('TL2 in a bitnet.cpp file: unsupported, convert from the HF checkpoint', () => {
    const path = variant((meta, tensors) => {
      meta.set('general.architecture', gguf.string('bitnet-b1.58'));
      for (const [k, v] of [...meta]) if (k.startsWith('bitnet.')) meta.set(k.replace('bitnet.', 'bitnet-b1.58.'), v);
      replace(tensors, 'blk.0.attn_q.weight', { typeId: 39, data: new Uint8Array(64) });
    });
    let err: unknown;
    try {
      GgufFile.open(path);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).message).toMatch(/TL2 .* not supported; convert the original Hugging Face checkpoint/);
    expect((err as FormatError).field).toBe('blk.0.attn_q.weight');
  });

  it('TL1 (id 38) under any architecture', () => {
    const path = variant((_, tensors) => replace(tensors, 'blk.0.attn_k.weight', { typeId: 38, data: new Uint8Array(64) }));
    expect(() => GgufFile.open(path)).toThrow(/TL1 .* not supported/);
  });

  it('id 39 in an upstream file is MXFP4, which is not a BitNet weight type', () => {
    // MXFP4: 32 elements in 17 bytes; [256, 256] → 8 blocks per row.
    const path = variant((_, tensors) => replace(tensors, 'blk.0.attn_q.weight', { typeId: 39, data: new Uint8Array(256 * 8 * 17) }));
    formatError(path, 'blk.0.attn_q.weight', /must be TQ1_0, TQ2_0, I2_S or F32\/F16\/BF16 holding ternary values, found MXFP4/);
  });

  it('an F32 projection that is not ternary × one scale', () => {
    const values = new Float32Array(256 * 256).fill(0.5);
    values[3] = 0.25;
    const path = variant((_, tensors) => replace(tensors, 'blk.1.attn_output.weight', { typeId: 0, data: new Uint8Array(values.buffer) }));
    formatError(path, 'blk.1.attn_output.weight', /element 3 is 0\.25 but earlier non-zero elements are ±0\.5/);
  });

  it('TQ2_0 blocks whose scales differ', () => {
    const t = new Int8Array(128 * 256).fill(1);
    const a = encodeTq2_0(t, 128, 256, 0.5);
    a.set(encodeTq2_0(t.subarray(0, 256), 1, 256, 0.25), 66 * 5); // block 5 carries another d
    const path = variant((_, tensors) => replace(tensors, 'blk.0.attn_k.weight', { data: a }));
    formatError(path, 'blk.0.attn_k.weight', /block 5 has scale 0\.25 but earlier blocks 0\.5/);
  });

  it('a projection whose dims disagree with the metadata', () => {
    const path = variant((meta) => meta.set('bitnet.feed_forward_length', gguf.u32(768)));
    formatError(path, 'blk.0.ffn_gate.weight', /dims \[256, 704\] do not match the metadata's \[256, 768\]/);
  });

  it('an unknown architecture is a ConfigError naming general.architecture', () => {
    const path = variant((meta) => meta.set('general.architecture', gguf.string('llama')));
    expect(() => loadGguf(path)).toThrow(ConfigError);
    expect(() => loadGguf(path)).toThrow(/general\.architecture.*'llama'; supported: bitnet, bitnet-b1\.58, bitnet-25/);
  });

  it('a missing tensor is named', () => {
    const path = variant((_, tensors) => tensors.splice(tensors.findIndex((t) => t.name === 'blk.7.ffn_up.weight'), 1));
    formatError(path, 'blk.7.ffn_up.weight', /missing tensor/);
  });

  it('an unknown activation is refused, not guessed', () => {
    const path = variant((meta) => meta.set('bitnet.hidden_activation', gguf.string('gelu')));
    expect(() => loadGguf(path)).toThrow(/bitnet\.hidden_activation.*'gelu'; supported: relu2, silu/);
  });

  it('a bitnet file without an activation key is SiLU (llama.cpp), bitnet-b1.58 is relu² (formats §8)', () => {
    const path = variant((meta) => meta.delete('bitnet.hidden_activation'));
    expect(loadGguf(path).config.activation).toBe('silu');
    expect(readFileSync(path).length).toBeGreaterThan(0);
  });
});

describe('loadGguf reads what BitNet GGUFs carry', () => {
  it('a separate output.weight becomes the lm_head (untied)', () => {
    const path = variant((_, tensors) => {
      const embd = tensors.find((t) => t.name === 'token_embd.weight') as GgufTensorToWrite;
      tensors.push({ ...embd, name: 'output.weight' });
    });
    const g = loadGguf(path);
    expect(g.config.tieWordEmbeddings).toBe(false);
    expect(g.weights.lmHead?.data).toEqual(g.weights.tokenEmbedding.data);
  });

  it('a Q8_0 token embedding is dequantised as ggml does', () => {
    let q8: Uint8Array = new Uint8Array(0);
    const path = variant((_, tensors) => {
      const embd = tensors.find((t) => t.name === 'token_embd.weight') as GgufTensorToWrite;
      q8 = encodeQ8_0(decodeBf16(embd.data));
      replace(tensors, 'token_embd.weight', { typeId: 8, data: q8 });
    });
    const g = loadGguf(path);
    expect(g.weights.tokenEmbedding.data).toEqual(decodeQ8_0(q8, 256 * 4096));
    expect(g.weights.tokenEmbedding.shape).toEqual([4096, 256]);
  });

  it('a one-element <proj>.scale multiplies that projection’s scale', () => {
    const path = variant((_, tensors) => tensors.push({ name: 'blk.2.ffn_up.scale', dims: [1], typeId: 0, data: new Uint8Array(Float32Array.of(2).buffer) }));
    const plain = loadGguf(variant(() => {}));
    expect(loadGguf(path).weights.layers[2].up.scale).toBe(2 * plain.weights.layers[2].up.scale);
  });
});
