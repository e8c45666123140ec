/**
 * Device-side timing for the bench/device scripts (cuda-profile.mjs, gemv-variants.mjs): CUDA events through koffi,
 * and a spin kernel that holds the device while the host queues the work to be timed, so that the time between two
 * events is the device's alone, never the host's launch cost.
 * `driver` is the backend's CudaDriver (open.js); its launch is taken now, so a script may wrap driver.launch after.
 */
import { createRequire } from 'node:module';

/** ~20 ms at 2 GHz: longer than the host takes to queue a decode step or a few hundred launches. */
const SPIN_CYCLES = 40_000_000n;

export function openDeviceTimer(driver) {
  const launch = driver.launch;
  const cu = createRequire(import.meta.url)('koffi').load('libcuda.so.1');
  const create = cu.func('int cuEventCreate(_Out_ void **ev, unsigned int flags)');
  const record = cu.func('int cuEventRecord(void *ev, void *stream)');
  const synchronize = cu.func('int cuEventSynchronize(void *ev)');
  let elapsed;
  try {
    elapsed = cu.func('int cuEventElapsedTime_v2(_Out_ float *ms, void *start, void *end)');
  } catch {
    elapsed = cu.func('int cuEventElapsedTime(_Out_ float *ms, void *start, void *end)');
  }
  const ck = (rc, what) => {
    if (rc !== 0) throw new Error(`${what}: CUDA error ${rc}`);
  };
  const spinKernel = driver.loadModule(driver.compile('extern "C" __global__ void spin(long long cycles) { long long t0 = clock64(); while (clock64() - t0 < cycles) {} }', 'spin.cu'), ['spin']).get('spin');
  return {
    /** `n` new events. */
    events(n) {
      return Array.from({ length: n }, () => {
        const e = [null];
        ck(create(e, 0), 'cuEventCreate');
        return e[0];
      });
    },
    /** Records `ev` on the default stream, after everything queued before it. */
    record: (ev) => ck(record(ev, null), 'cuEventRecord'),
    synchronize: (ev) => ck(synchronize(ev), 'cuEventSynchronize'),
    /** µs of device time between two recorded events. */
    elapsedUs(start, end) {
      const ms = [0];
      ck(elapsed(ms, start, end), 'cuEventElapsedTime');
      return ms[0] * 1000;
    },
    /** Queues the spin kernel: the device is busy ~20 ms while the host queues what follows. */
    spin: () => launch(spinKernel, 1, [1, 1], 0, [{ type: 'ptr', value: SPIN_CYCLES }]),
  };
}
