import type { BackendInfo } from '../../src/backends/backend.js';

export interface SplitWorkResult {
  readonly info: BackendInfo;
  readonly ternary: number[];
  readonly lmHead: number[];
  readonly rmsnorm: number[];
  readonly siluMul: number[];
  readonly attention: number[];
}

export function runSplitWork(api: { WasmBackend: unknown; packTernaryRows: unknown; fromArray: unknown }, threads: number): Promise<SplitWorkResult>;
