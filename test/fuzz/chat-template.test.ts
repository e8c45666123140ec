/**
 * Fuzzing chat templates (src/tokenizer/chat-template.ts `renderChat`), docs/fuzzing.md. A template arrives with the
 * model file (GGUF `tokenizer.chat_template`, tokenizer_config.json) and the messages with the request, so both are
 * untrusted. Inputs: real templates (the 2B-4T fallback, LLaMA-3, ChatML, a Mistral-style one that raises on roles
 * out of turn, one with loops, ranges and namespaces) mutated with Jinja fragments, spans deleted or repeated; and
 * messages of any role and content, content that looks like Jinja included.
 *
 * Properties: a string or a ChatTemplateError only; each case bounded in time (a template cannot loop or allocate
 * without bound through `range`); message content is data, never evaluated as template code.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChatTemplateError } from '../../src/errors.js';
import { BITNET_2B4T_CHAT_TEMPLATE, RANGE_BUDGET, renderChat, type ChatMessage } from '../../src/tokenizer/chat-template.js';
import { params, runs, timeoutFor, titled, typedOutcome } from './runs.js';

const LLAMA3 =
  "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";
const CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
const MISTRAL =
  "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token }}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}";
const LOOPS =
  "{% set ns = namespace(n=0, sys='') %}{% for m in messages %}{% if m.role == 'system' %}{% set ns.sys = m.content %}{% endif %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.sys | upper }}{% for i in range(messages | length) %}{{ i }}:{{ messages[i]['content'] | replace('a', 'b') | indent(2) }}{% if not loop.last %}, {% endif %}{% endfor %}{{ ns.n * 2 }}{{ strftime_now('%Y') | length }}";
const TEMPLATES = [BITNET_2B4T_CHAT_TEMPLATE, LLAMA3, CHATML, MISTRAL, LOOPS];

/** Pieces of Jinja to splice in: delimiters, keywords, filters, numbers that grow things, calls. */
const FRAGMENTS = [
  '{{', '}}', '{%', '%}', '{#', '#}', '{%-', '-%}', 'for x in messages', 'endfor', 'if', 'elif', 'else', 'endif', 'set x = ', 'macro m()', 'endmacro', 'm()',
  'range(', 'range(99999)', 'range(10**9)', 'range(0, 10**12, 1)', 'range(1, 0, 0)', ')', '(', '[', ']', '[0]', '[-1]', '|', '| trim', '| length', '| upper', '| join(",")', '| indent(10**8)',
  '| tojson', '| list', '| reverse', '| replace("a", "aaaa")', '~', '+', '*', '**', '/', '//', '%', '10**400', '9e999', "'x' * 10**9", 'loop.index0', 'loop.last', 'messages',
  "message['content']", 'message.role', 'raise_exception("x")', 'namespace(a=1)', 'strftime_now("%Y")', 'none', 'None', 'true', 'bos_token', 'eos_token', '"', "'", '\\', '\n',
  'add_generation_prompt', 'is defined', 'not', 'and', 'or', 'in', '==', '!=', '.items()', '.get("role")', '.split()', '.__proto__', '.constructor', 'constructor.constructor("return 1")()',
];

type Edit = { kind: 'insert'; at: number; text: string } | { kind: 'delete'; at: number; n: number } | { kind: 'repeat'; at: number; n: number; times: number };
const editArb: fc.Arbitrary<Edit> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...FRAGMENTS) }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }) }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 24 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('repeat' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 40 }), times: fc.integer({ min: 2, max: 4 }) }) },
);

function edit(template: string, edits: readonly Edit[]): string {
  let t = template;
  for (const e of edits) {
    const at = e.at % (t.length + 1);
    if (e.kind === 'insert') t = t.slice(0, at) + e.text + t.slice(at);
    else if (e.kind === 'delete') t = t.slice(0, at) + t.slice(at + e.n);
    else t = t.slice(0, at) + t.slice(at, at + e.n).repeat(e.times) + t.slice(at + e.n);
  }
  return t;
}

const contentArb = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('{{ 7 * 7 }}', "{% for i in range(10**9) %}x{% endfor %}", '{{ raise_exception("boom") }}', '<|eot_id|>', '\u0000', '\ud800', '  padded  ', ''),
);
const messagesArb: fc.Arbitrary<ChatMessage[]> = fc.array(
  fc.record({ role: fc.oneof(fc.constantFrom('system', 'user', 'assistant', 'tool', '', '__proto__'), fc.string({ maxLength: 8 })), content: contentArb }),
  { maxLength: 5 },
);

describe('chat templates, fuzzed', () => {
  const nMut = runs(8_000);
  it(titled('real templates mutated with Jinja fragments, deletions and repeats: a string or a ChatTemplateError, bounded in time', nMut), () => {
    fc.assert(
      fc.property(fc.nat({ max: TEMPLATES.length - 1 }), fc.array(editArb, { minLength: 1, maxLength: 4 }), messagesArb, fc.boolean(), (which, edits, messages, generation) => {
        const template = edit(TEMPLATES[which], edits);
        const r = typedOutcome('renderChat', () => renderChat(messages, { template, bosToken: '<s>', eosToken: '</s>', addGenerationPrompt: generation }));
        if (r.ok) expect(typeof r.value).toBe('string');
        else expect(r.error).toBeInstanceOf(ChatTemplateError);
      }),
      params(nMut),
    );
  }, timeoutFor(nMut, 2));

  const nMsg = runs(4_000);
  it(titled('the real templates on any messages: a string or a ChatTemplateError; message content is never run as Jinja', nMsg), () => {
    fc.assert(
      fc.property(fc.nat({ max: TEMPLATES.length - 1 }), messagesArb, (which, messages) => {
        const r = typedOutcome('renderChat', () => renderChat(messages, { template: TEMPLATES[which], bosToken: '<s>', eosToken: '</s>', addGenerationPrompt: true }));
        if (!r.ok) {
          expect(r.error).toBeInstanceOf(ChatTemplateError);
          return;
        }
        // Templates that print content untouched must print Jinja-looking content literally.
        if (which === 2) for (const m of messages) expect(r.value).toContain(m.content);
        if (which === 0) for (const m of messages) expect(r.value).toContain(m.content.trim());
      }),
      params(nMsg),
    );
  }, timeoutFor(nMsg, 1));

  const nRange = runs(200);
  it(titled('range() is bounded per render: huge ranges fail with ChatTemplateError at once, small and nested ones within the budget render', nRange), () => {
    fc.assert(
      fc.property(
        fc.oneof(
          // The interpreter takes about 15 µs per iteration, so the ranges that render are kept small here.
          fc.integer({ min: 0, max: 500 }).map((n) => ({ text: String(n), n })),
          fc.constantFrom({ text: String(RANGE_BUDGET + 1), n: RANGE_BUDGET + 1 }, { text: '10**9', n: 1e9 }, { text: '10**15', n: 1e15 }, { text: '0, 10**12, 1', n: 1e12 }, { text: '10**9, 0, -1', n: 1e9 }),
        ),
        fc.integer({ min: 1, max: 30 }),
        (range, outer) => {
          const single = typedOutcome('renderChat', () => renderChat([], { template: `{% for i in range(${range.text}) %}{% endfor %}ok` }));
          expect(single.ok).toBe(range.n <= RANGE_BUDGET);
          if (!single.ok) expect(single.error).toBeInstanceOf(ChatTemplateError);
          const nested = typedOutcome('renderChat', () => renderChat([], { template: `{% for i in range(${outer}) %}{% for j in range(${outer}) %}{% endfor %}{% endfor %}ok` }));
          expect(nested.ok).toBe(true);
        },
      ),
      params(nRange),
    );
  }, timeoutFor(nRange, 20));

  it('ranges nested past the budget (400 × 400) stop with ChatTemplateError; one range of the whole budget renders', () => {
    const nested = typedOutcome('renderChat', () => renderChat([], { template: '{% for i in range(400) %}{% for j in range(400) %}{% endfor %}{% endfor %}ok' }));
    expect(nested.ok).toBe(false);
    if (!nested.ok) expect(nested.error).toBeInstanceOf(ChatTemplateError);
    expect(renderChat([], { template: `{% for i in range(${RANGE_BUDGET}) %}{% endfor %}ok` })).toBe('ok');
  });
});
