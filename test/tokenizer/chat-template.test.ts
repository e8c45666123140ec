/**
 * Chat templates: the 2B-4T fallback against formats §6.3's examples, real templates against strings worked out by
 * hand, and every way a template can fail as a typed error.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChatTemplateError, TokenizerError } from '../../src/errors.js';
import { diskFolder } from '../../src/formats/disk-folder.js';
import { chatTemplateFromGguf, chatTemplateFromHfFolder, renderChat, type ChatMessage } from '../../src/tokenizer/chat-template.js';
import { thrown } from '../helpers/catch-error.js';
import { MODEL_DIR } from '../helpers/golden.js';
import { byteLevelInitFromTokenizerJson, metadata } from './gguf-meta.js';

/**
 * `chat_template` of microsoft/bitnet-b1.58-2B-4T tokenizer_config.json, as quoted verbatim by two independent public
 * projects (not checked against the Hugging Face file itself).
 */
const BITNET_2B4T_HF_TEMPLATE =
  "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = message['role'] | capitalize + ': '+ message['content'] | trim + '<|eot_id|>' %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ 'Assistant: ' }}{% endif %}";

/** Meta-Llama-3-8B-Instruct's chat template. */
const LLAMA3_TEMPLATE =
  "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";

const conversation: ChatMessage[] = [
  { role: 'system', content: 'You are a helpful assistant.' },
  { role: 'user', content: '  Hi \n' },
  { role: 'assistant', content: 'Hello!' },
  { role: 'user', content: 'How are you?' },
];

describe('the 2B-4T fallback (no template)', () => {
  it('reproduces formats §6.3: the model-card prompt', () => {
    const out = renderChat([{ role: 'user', content: 'Hey, are you conscious? Can you talk to me?' }], { addGenerationPrompt: true });
    expect(out).toBe('<|begin_of_text|>User: Hey, are you conscious? Can you talk to me?<|eot_id|>Assistant: ');
  });

  it('reproduces formats §6.3: the example with a system message', () => {
    const out = renderChat(
      [
        { role: 'system', content: 'You are a helpful assistant.' },
        { role: 'user', content: 'Hi' },
      ],
      { template: null, addGenerationPrompt: true },
    );
    expect(out).toBe('<|begin_of_text|>System: You are a helpful assistant.<|eot_id|>User: Hi<|eot_id|>Assistant: ');
  });

  it('trims content and leaves the assistant opening out without addGenerationPrompt', () => {
    expect(renderChat([{ role: 'user', content: '\t Hi  ' }])).toBe('<|begin_of_text|>User: Hi<|eot_id|>');
  });
});

describe('real templates', () => {
  it('2B-4T tokenizer_config.json template, with and without the generation prompt', () => {
    const turns = 'System: You are a helpful assistant.<|eot_id|>User: Hi<|eot_id|>Assistant: Hello!<|eot_id|>User: How are you?<|eot_id|>';
    expect(renderChat(conversation, { template: BITNET_2B4T_HF_TEMPLATE, addGenerationPrompt: true })).toBe(`${turns}Assistant: `);
    expect(renderChat(conversation, { template: BITNET_2B4T_HF_TEMPLATE, addGenerationPrompt: false })).toBe(turns);
  });

  it('LLaMA-3 template: bos_token before the first turn only', () => {
    const out = renderChat(conversation.slice(0, 2), { template: LLAMA3_TEMPLATE, bosToken: '<|begin_of_text|>', addGenerationPrompt: true });
    expect(out).toBe(
      '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant.<|eot_id|>' +
        '<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>' +
        '<|start_header_id|>assistant<|end_header_id|>\n\n',
    );
  });

  it('passes eos_token to the template', () => {
    const t = "{% for m in messages %}{{ m['content'] + eos_token }}{% endfor %}";
    expect(renderChat([{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }], { template: t, eosToken: '</s>' })).toBe('a</s>b</s>');
  });
});

describe('template errors', () => {
  it('a syntax error is a ChatTemplateError (reason syntax)', () => {
    const err = thrown(() => renderChat(conversation, { template: '{% for message in messages %}{{ message.content }}' }));
    expect(err).toBeInstanceOf(ChatTemplateError);
    expect(err).toBeInstanceOf(TokenizerError);
    expect((err as ChatTemplateError).reason).toBe('syntax');
    expect((err as Error).message).toMatch(/does not parse/);
  });

  it('raise_exception is a ChatTemplateError (reason raised) carrying the message', () => {
    const t =
      "{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}" +
      "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{{ message['content'] }}{% endfor %}";
    expect(renderChat([{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }], { template: t })).toBe('ab');
    const err = thrown(() => renderChat(conversation, { template: t }));
    expect(err).toBeInstanceOf(ChatTemplateError);
    expect((err as ChatTemplateError).reason).toBe('raised');
    expect((err as Error).message).toContain('Conversation roles must alternate');
  });

  it('a failure while rendering is a ChatTemplateError (reason render)', () => {
    const err = thrown(() => renderChat(conversation, { template: '{{ messages | no_such_filter }}' }));
    expect(err).toBeInstanceOf(ChatTemplateError);
    expect((err as ChatTemplateError).reason).toBe('render');
  });
});

describe('finding a model template', () => {
  const folder = (config: unknown): string => {
    const dir = mkdtempSync(join(tmpdir(), 'bitnet-chat-'));
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(config));
    return dir;
  };

  it('reads chat_template and the BOS / EOS strings (plain or AddedToken objects)', () => {
    const dir = folder({ chat_template: BITNET_2B4T_HF_TEMPLATE, bos_token: { content: '<|begin_of_text|>', __type: 'AddedToken' }, eos_token: '<|eot_id|>' });
    expect(chatTemplateFromHfFolder(diskFolder(dir))).toEqual({ template: BITNET_2B4T_HF_TEMPLATE, bosToken: '<|begin_of_text|>', eosToken: '<|eot_id|>' });
  });

  it('picks "default" from a list of named templates, and rejects a list without one', () => {
    const list = [
      { name: 'tool_use', template: 'T' },
      { name: 'default', template: 'D' },
    ];
    expect(chatTemplateFromHfFolder(diskFolder(folder({ chat_template: list })))?.template).toBe('D');
    const err = thrown(() => chatTemplateFromHfFolder(diskFolder(folder({ chat_template: [list[0]] }))));
    expect(err).toBeInstanceOf(TokenizerError);
    expect((err as Error).message).toContain('default');
  });

  it('is null without tokenizer_config.json or without chat_template (the shipped tiny model has none)', () => {
    expect(chatTemplateFromHfFolder(diskFolder(mkdtempSync(join(tmpdir(), 'bitnet-chat-'))))).toBeNull();
    expect(chatTemplateFromHfFolder(diskFolder(MODEL_DIR))).toBeNull();
  });

  it('reads tokenizer.chat_template from GGUF metadata with the vocabulary spelling of BOS / EOS', () => {
    const init = byteLevelInitFromTokenizerJson(join(MODEL_DIR, 'tokenizer.json'), { bos: 0, eos: 1 });
    expect(chatTemplateFromGguf(metadata('t.gguf', init))).toBeNull();
    const found = chatTemplateFromGguf(metadata('t.gguf', { ...init, 'tokenizer.chat_template': LLAMA3_TEMPLATE }));
    expect(found).toEqual({ template: LLAMA3_TEMPLATE, bosToken: '<|begin_of_text|>', eosToken: '<|end_of_text|>' });
  });
});
