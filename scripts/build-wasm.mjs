// Assembles the WASM kernels (dist/kernels/wasm/kernels-wat.js) into .wasm files with the `wabt` package, for both
// dist/ (what the package ships) and src/ (what vitest runs against). Runs in `npm run build`, nothing downloaded.
import { mkdirSync, writeFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import wabtInit from 'wabt';
import { kernelsWat } from '../dist/kernels/wasm/kernels-wat.js';

const wabt = await wabtInit();
for (const relaxed of [true, false]) {
  const name = relaxed ? 'kernels-relaxed.wasm' : 'kernels-simd.wasm';
  const module = wabt.parseWat(name, kernelsWat(relaxed), { simd: true, relaxed_simd: relaxed, threads: true });
  const { buffer } = module.toBinary({});
  // wabt's validator does not know shared memories; V8's does (relaxed SIMD needs its flag on Node 20).
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  if (!WebAssembly.validate(buffer)) throw new Error(`${name} does not validate`);
  for (const dir of ['dist/kernels/wasm', 'src/kernels/wasm']) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/${name}`, buffer);
  }
  module.destroy();
}
