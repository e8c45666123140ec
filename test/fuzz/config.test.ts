/**
 * Fuzzing config.json and generation_config.json (docs/fuzzing.md): the JSON reader (src/formats/json-text.ts),
 * `configFromHf` (src/model/config.ts), and the HF folder opener that reads both files before any tensor
 * (src/model/hf-checkpoint.ts), with generation_config's sampling defaults checked by `resolveOptions`.
 *
 * Properties: a config or a ConfigError / FormatError only (values of every JSON type, boundary numbers, deep
 * nesting, long strings, raw text mutations); an accepted config is sane; keys behind `__proto__` or
 * `constructor.prototype` are neither read nor planted on Object.prototype.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveOptions, defaultsFromGenerationConfig } from '../../src/engine/options.js';
import { ConfigError } from '../../src/errors.js';
import { parseJsonBytes, parseJsonText } from '../../src/formats/json-text.js';
import { memoryFolder } from '../../src/formats/model-folder.js';
import { configFromHf } from '../../src/model/config.js';
import { openHfCheckpoint } from '../../src/model/hf-checkpoint.js';
import { applyMutations, mutationsArb } from './mutate.js';
import { expectPrototypesUntouched, params, prototypeSnapshot, runs, timeoutFor, titled, typedOutcome } from './runs.js';
import { expectSaneConfig } from './sane-config.js';

const configText = readFileSync(new URL('../../models/tiny-bitnet/config.json', import.meta.url), 'utf8');
const base = JSON.parse(configText) as Record<string, unknown>;
/** Keys configFromHf cannot do without. */
const REQUIRED = ['model_type', 'hidden_size', 'num_attention_heads', 'vocab_size', 'intermediate_size', 'num_hidden_layers'];
const keys = [...Object.keys(base), 'head_dim', 'rope_parameters', 'rope_scaling', 'quantization_config.quantization_mode', 'quantization_config.linear_class'];

/** `[[[…1…]]]`, `depth` levels: JSON.parse takes it; anything that recurses over it (JSON.stringify) overflows. */
const deep = (depth: number, open = '[', close = ']', leaf = '1') => `${open.repeat(depth)}${leaf}${close.repeat(depth)}`;

const boundaryNumber = fc.constantFrom(0, -0, 1, -1, 2, 3, 7, 8, 0.5, 1e-300, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 40, 2 ** 53 - 1, 2 ** 53, 1e308, -1e308);
/** A JSON text for one value: any JSON, a boundary number, a long string. */
const flatValueText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
  { weight: 3, arbitrary: boundaryNumber.map((n) => JSON.stringify(n)) },
  { weight: 1, arbitrary: fc.constantFrom('1e999', '-1e999', '1.0', '0.0', '1e-400', '"bitnet"', '"silu"', '"relu2"', '"__proto__"', '"offline"', '"autobitlinear"', '[0, 1]', '[]', '{}', 'null', 'true') },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 20_000 }).map((n) => JSON.stringify('x'.repeat(n))) },
);
/** Arrays or objects nested deeper than JSON.stringify's stack allows (about 5,000 levels in Node 20). */
const deepValueText: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 6_000, max: 20_000 }).map((n) => deep(n)),
  fc.integer({ min: 6_000, max: 20_000 }).map((n) => deep(n, '{"a":', '}')),
);
/** Mostly flat values; deep nesting is costly per case (a stack overflow each), so it gets its own property. */
const valueText: fc.Arbitrary<string> = flatValueText;

type Edit = { op: 'set'; key: string; value: string } | { op: 'delete'; key: string } | { op: 'proto'; key: string; value: string; via: string };
const editArb: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ op: fc.constant('set' as const), key: fc.constantFrom(...keys), value: valueText }),
  fc.record({ op: fc.constant('delete' as const), key: fc.constantFrom(...keys) }),
  fc.record({ op: fc.constant('proto' as const), key: fc.constantFrom(...keys), value: valueText, via: fc.constantFrom('__proto__', 'constructor.prototype') }),
);

/**
 * config.json text after `edits`, written out by hand so that values stay raw JSON text (deep nesting, 1e999) and
 * `__proto__` arrives as a JSON key, as it would in a file. Nested keys ("quantization_config.x") edit that object.
 */
function configWith(edits: readonly Edit[]): string {
  const fields = new Map<string, string>(Object.entries(base).map(([k, v]) => [k, JSON.stringify(v)]));
  const quant = new Map<string, string>(Object.entries(base.quantization_config as object).map(([k, v]) => [k, JSON.stringify(v)]));
  const protos: string[] = [];
  for (const e of edits) {
    const [outer, inner] = e.key.split('.');
    const target = inner === undefined ? fields : quant;
    const key = inner ?? outer;
    if (e.op === 'set') target.set(key, e.value);
    else if (e.op === 'delete') target.delete(key);
    else {
      // The key moves behind a prototype key: it must then count as missing, never be inherited.
      target.delete(key);
      let inner2 = `{${JSON.stringify(key)}: ${e.value}}`;
      for (const p of e.via.split('.').reverse()) inner2 = `{${JSON.stringify(p)}: ${inner2}}`;
      protos.push(inner2.slice(1, -1));
    }
  }
  const object = (m: Map<string, string>) => [...m].map(([k, v]) => `${JSON.stringify(k)}: ${v}`);
  fields.set('quantization_config', `{${object(quant).join(', ')}}`);
  return `{${[...object(fields), ...protos].join(', ')}}`;
}

describe('config.json, fuzzed', () => {
  const nAny = runs(8_000);
  it(titled('any JSON value as config.json: ConfigError or a sane config', nAny), () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => {
        const r = typedOutcome('configFromHf', () => configFromHf(parseJsonText('config.json', JSON.stringify(v)), 'config.json'));
        if (r.ok) expectSaneConfig(r.value.model);
      }),
      params(nAny),
    );
  }, timeoutFor(nAny, 0.5));

  const nEdit = runs(12_000);
  it(titled('the shipped config with keys set to any value (boundary numbers, long strings), deleted, or moved behind __proto__: ConfigError or a sane config, nothing polluted', nEdit), () => {
    fc.assert(
      fc.property(fc.array(editArb, { minLength: 1, maxLength: 4 }), (edits) => {
        const text = configWith(edits);
        const before = prototypeSnapshot();
        const r = typedOutcome('configFromHf', () => configFromHf(parseJsonText('config.json', text), 'config.json'));
        expectPrototypesUntouched(before, keys);
        // A required key whose last edit deleted it or moved it behind a prototype key is missing: never inherited.
        const gone = REQUIRED.filter((k) => ['delete', 'proto'].includes([...edits].reverse().find((e) => e.key === k)?.op ?? ''));
        if (r.ok) {
          expectSaneConfig(r.value.model);
          if (gone.length > 0) throw new Error(`accepted a config without ${gone.join(', ')}`);
        } else if (gone.length > 0) {
          expect(r.error).toBeInstanceOf(ConfigError);
        }
      }),
      params(nEdit),
    );
  }, timeoutFor(nEdit, 1));

  const nDeep = runs(150);
  it(titled('a key set to arrays or objects nested 6,000–20,000 deep: ConfigError, not a stack overflow', nDeep), () => {
    fc.assert(
      fc.property(fc.constantFrom(...keys), deepValueText, (key, value) => {
        const r = typedOutcome('configFromHf', () => configFromHf(parseJsonText('config.json', configWith([{ op: 'set', key, value }])), 'config.json'));
        if (r.ok) expectSaneConfig(r.value.model);
      }),
      params(nDeep),
    );
  }, timeoutFor(nDeep, 30));

  const nRaw = runs(6_000);
  it(titled('config.json text mutated byte by byte: FormatError (not JSON), ConfigError or a sane config', nRaw), () => {
    const bytes = new TextEncoder().encode(configText);
    fc.assert(
      fc.property(mutationsArb(4), (muts) => {
        const r = typedOutcome('configFromHf', () => configFromHf(parseJsonBytes('config.json', applyMutations(bytes, muts)), 'config.json'));
        if (r.ok) expectSaneConfig(r.value.model);
      }),
      params(nRaw),
    );
  }, timeoutFor(nRaw, 0.5));

  const nFolder = runs(1_500);
  it(titled('an HF folder with config.json and generation_config.json edited: the opener and the sampling defaults give results or BitnetErrors', nFolder), () => {
    const safetensors = readFileSync(new URL('../../models/tiny-bitnet/model.safetensors', import.meta.url));
    const genKeys = ['temperature', 'top_k', 'top_p', 'min_p', 'repetition_penalty', 'max_new_tokens', 'do_sample', 'eos_token_id'];
    const genArb = fc.oneof(
      fc.dictionary(fc.constantFrom(...genKeys, '__proto__', 'constructor'), valueText, { maxKeys: 4 }).map((d) => `{${Object.entries(d).map(([k, v]) => `${JSON.stringify(k)}: ${v}`).join(', ')}}`),
      valueText,
    );
    fc.assert(
      fc.property(fc.array(editArb, { maxLength: 2 }), genArb, (edits, gen) => {
        const enc = new TextEncoder();
        const folder = memoryFolder('/fuzz/model', { 'config.json': enc.encode(configWith(edits)), 'generation_config.json': enc.encode(gen), 'model.safetensors': safetensors });
        const before = prototypeSnapshot();
        const opened = typedOutcome('openHfCheckpoint', () => openHfCheckpoint(folder));
        expectPrototypesUntouched(before, [...keys, ...genKeys]);
        if (!opened.ok) return;
        try {
          expectSaneConfig(opened.value.config);
          const defaults = typedOutcome('defaultsFromGenerationConfig', () => defaultsFromGenerationConfig(opened.value.generationConfig));
          if (defaults.ok) typedOutcome('resolveOptions', () => resolveOptions({}, defaults.value));
        } finally {
          opened.value.close();
        }
      }),
      params(nFolder),
    );
  }, timeoutFor(nFolder, 3));
});
