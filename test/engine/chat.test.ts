/**
 * Chat prompts through the engine: the model's own template when it has one (GGUF `tokenizer.chat_template`),
 * the built-in 2B-4T format (formats §6.3) when it has none, and no second BOS when the text carries one.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertHfToGguf } from '../../src/convert/hf-to-gguf.js';
import { InferenceEngine } from '../../src/engine/engine.js';
import { GgufFile } from '../../src/formats/gguf/reader.js';
import { gguf, writeGguf } from '../../src/formats/gguf/writer.js';

let hf: InferenceEngine;
let templated: InferenceEngine;
const messages = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: '  Hi  ' },
];

beforeAll(async () => {
  hf = await InferenceEngine.load(undefined, { backend: 'reference' });
  const dir = mkdtempSync(join(tmpdir(), 'bitnet-chat-'));
  const plain = join(dir, 'tiny.gguf');
  convertHfToGguf('models/tiny-bitnet', plain, 'tq2_0');
  const f = GgufFile.open(plain);
  const meta = new Map(f.metadata.entries);
  const tensors = [...f.tensors.values()].map((t) => ({ name: t.name, dims: t.dims, typeId: t.typeId, data: f.readTensorBytes(t.name) }));
  f.close();
  meta.set('tokenizer.chat_template', gguf.string("{% for m in messages %}[{{ m['role'] }}] {{ m['content'] }}\n{% endfor %}{% if add_generation_prompt %}[assistant] {% endif %}"));
  const withTemplate = join(dir, 'templated.gguf');
  writeGguf(withTemplate, meta, tensors);
  templated = await InferenceEngine.load(withTemplate, { backend: 'reference' });
  expect(readFileSync(withTemplate).length).toBeGreaterThan(0);
});
afterAll(() => {
  hf.close();
  templated.close();
});

describe('chat prompts', () => {
  it('without a template: the 2B-4T format, contents trimmed, ending with "Assistant: "', () => {
    expect(hf.chatTemplate).toBeNull();
    expect(hf.formatChat(messages)).toBe('<|begin_of_text|>System: You are terse.<|eot_id|>User: Hi<|eot_id|>Assistant: ');
  });

  it('with the GGUF template', () => {
    expect(templated.formatChat(messages)).toBe('[system] You are terse.\n[user]   Hi  \n[assistant] ');
  });

  it('streamChat encodes the rendered text without adding a second BOS', async () => {
    const s = hf.streamChat(messages, { greedy: true, maxTokens: 2 });
    const r = await s.result;
    const want = await hf.tokenize(hf.formatChat(messages), { addSpecialTokens: false });
    expect(r.promptTokenIds).toEqual(want);
    expect(r.promptTokenIds.filter((id) => id === 0)).toEqual([0]);
  });
});
