#!/usr/bin/env node
/**
 * Builds the native backend's addon (binding.gyp → build/Release/bitnet_native.node) with node-gyp. Run by the
 * package's install script and by `npm run build`. A failed build is not a failed install: the engine then uses
 * the `wasm` backend and `bitnet … --verbose` says why native is unavailable. BITNET_SKIP_NATIVE=1 skips it.
 *
 * node-gyp comes from this package's devDependencies when present, else from npm itself (npm_config_node_gyp),
 * else from PATH. Node's headers are taken from the running Node's own prefix when it ships them (distribution
 * packages and the official tarballs do), so nothing is downloaded.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));

function say(line) {
  process.stderr.write(`bitnet-ts: ${line}\n`);
}

function nodeGypCommand() {
  try {
    return [process.execPath, createRequire(join(root, 'package.json')).resolve('node-gyp/bin/node-gyp.js')];
  } catch {
    // not installed as a devDependency: a consumer's install
  }
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm !== undefined && existsSync(fromNpm)) return fromNpm.endsWith('.js') ? [process.execPath, fromNpm] : [fromNpm];
  return ['node-gyp'];
}

if (process.env.BITNET_SKIP_NATIVE === '1') {
  say('native addon not built (BITNET_SKIP_NATIVE=1)');
  process.exit(0);
}

const prefix = dirname(dirname(process.execPath));
const nodedir = existsSync(join(prefix, 'include', 'node', 'common.gypi')) ? [`--nodedir=${prefix}`] : [];
const configured = existsSync(join(root, 'build', 'Makefile')) || existsSync(join(root, 'build', 'binding.sln'));
const [cmd, ...pre] = nodeGypCommand();
const args = [...pre, configured ? 'build' : 'rebuild', ...nodedir, '--loglevel=warn'];
const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
if (r.status !== 0) {
  process.stderr.write(`${r.stdout ?? ''}${r.stderr ?? ''}`);
  say(`native addon not built (${r.error?.message ?? `node-gyp exited with ${r.status ?? r.signal}`}); the wasm backend will be used instead`);
  process.exit(0);
}
