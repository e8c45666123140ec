/**
 * `bitnet inspect FILE`: what a GGUF file holds — architecture, hyper-parameters, tokenizer, and a tensor table —
 * read from its header only (no tensor data). `--json` prints everything, metadata arrays summarised.
 */
import { GgufFile } from '../formats/gguf/reader.js';
import type { GgufArray, GgufValue } from '../formats/gguf/metadata.js';

/** A metadata value for display: arrays longer than a few items are summarised. */
function show(v: GgufValue): unknown {
  if (v.type !== 'array') return typeof v.value === 'bigint' ? v.value.toString() : v.value;
  const a = v.value as GgufArray;
  const head = a.items.slice(0, 3).map((x) => (typeof x === 'bigint' ? x.toString() : typeof x === 'object' ? '[array]' : x));
  return a.items.length <= 3 ? head : { type: `array of ${a.elementType}`, length: a.items.length, first: head };
}

function bytes(n: number): string {
  return n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(2)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`;
}

export async function inspectCommand(path: string, opts: { json?: boolean }): Promise<number> {
  const f = GgufFile.open(path);
  try {
    const meta = f.metadata;
    const tensors = [...f.tensors.values()];
    const total = tensors.reduce((n, t) => n + t.byteSize, 0);
    const byType = new Map<string, number>();
    for (const t of tensors) byType.set(t.typeName, (byType.get(t.typeName) ?? 0) + 1);
    const metadata = Object.fromEntries([...meta.entries].map(([k, v]) => [k, show(v)]));
    if (opts.json === true) {
      const summary = {
        path, version: f.header.version, alignment: f.header.alignment, dialect: f.header.dialect,
        architecture: metadata['general.architecture'] ?? null, metadata,
        tensors: tensors.map((t) => ({ name: t.name, type: t.typeName, dims: t.dims, bytes: t.byteSize, offset: t.offset })),
        tensorBytes: total,
      };
      process.stdout.write(`${JSON.stringify(summary)}\n`);
      return 0;
    }
    const arch = String(metadata['general.architecture'] ?? '?');
    const lines = [
      `${path}: GGUF v${f.header.version}, ${tensors.length} tensors, ${bytes(total)} of tensor data, alignment ${f.header.alignment}`,
      `architecture: ${arch}${metadata['general.name'] !== undefined ? ` (${String(metadata['general.name'])})` : ''}`,
      '',
      'hyper-parameters:',
      ...[...meta.entries].filter(([k]) => k.startsWith(`${arch}.`)).map(([k, v]) => `  ${k.slice(arch.length + 1)} = ${JSON.stringify(show(v))}`),
      '',
      'tokenizer:',
      ...[...meta.entries].filter(([k]) => k.startsWith('tokenizer.')).map(([k, v]) => `  ${k.slice('tokenizer.'.length)} = ${k === 'tokenizer.chat_template' ? `(${String(v.value).length} characters)` : JSON.stringify(show(v))}`),
      '',
      `tensors (${[...byType].map(([t, n]) => `${n} ${t}`).join(', ')}):`,
      ...tensors.map((t) => `  ${t.name.padEnd(32)} ${t.typeName.padEnd(6)} [${t.dims.join(', ')}]`.padEnd(70) + bytes(t.byteSize)),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  } finally {
    f.close();
  }
}
