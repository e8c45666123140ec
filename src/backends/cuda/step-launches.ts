/**
 * What the cuda backend hands the device between two synchronisations — a "step": at decode, one token's forward
 * pass and its argmax. A decode step is ~300 launches, and each cuLaunchKernel costs the host microseconds, so
 * repeated steps run as CUDA graphs. A step is cut into pieces of CHUNK launches in the order they come; a piece
 * equal to the same piece of the step before is captured once as a graph (stream capture), and from then on each
 * equal piece is one cuGraphLaunch. Pieces are issued as soon as they are complete, so the device works on one while
 * the model's JavaScript records the next (a whole step held to its end would leave the device idle meanwhile).
 * Two things keep a decode step's launches identical from token to token:
 * - positions are read by the kernels from a small device array (`position()` gives a slot's address), uploaded
 *   before the step's first piece is issued, instead of being passed as arguments;
 * - every other argument (buffers, shapes, attention's plan) stays fixed while the context grows within a span
 *   of keys (attention-plan.ts); a piece that differs runs launch by launch, and is captured again if it repeats.
 * The backend ends a step (flush()) before any read, write or free; forget() drops every graph before memory is
 * freed. Graphs are on by default (measured on an H200: same greedy ids, faster decode); with BITNET_CUDA_GRAPHS=off
 * launches go out at once, and only positions live on the device.
 */
import type { CudaDriver, DevicePtr, KernelArg } from './driver.js';

interface Held {
  readonly kernel: unknown;
  readonly grid: number;
  readonly block: [number, number];
  readonly shared: number;
  readonly args: readonly KernelArg[];
}

/** Distinct positions one step may use (a forward pass uses one). */
const SLOTS = 16;

function sameLaunches(a: readonly Held[], b: readonly Held[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x.kernel !== y.kernel || x.grid !== y.grid || x.block[0] !== y.block[0] || x.block[1] !== y.block[1] || x.shared !== y.shared || x.args.length !== y.args.length) return false;
    for (let j = 0; j < x.args.length; j++) if (x.args[j].type !== y.args[j].type || x.args[j].value !== y.args[j].value) return false;
  }
  return true;
}

/** Launches a graph holds: pieces of a step are this long (the last may be shorter). */
const CHUNK = 32;

interface Piece {
  /** The launches of this piece in the last step that ran it launch by launch: an equal piece is captured. */
  previous: Held[] | null;
  graph: { readonly exec: unknown; readonly launches: Held[] } | null;
}

export class StepLaunches {
  private held: Held[] = [];
  /** Which piece of the step `held` is. */
  private piece = 0;
  private readonly pieces: Piece[] = [];
  private readonly slots: DevicePtr;
  /** Positions of this step, by slot, and what the device's slots hold. */
  private readonly staged: number[] = [];
  private readonly onDevice = new Int32Array(SLOTS).fill(-1);
  /** Why graphs are off, or null while they are on. */
  private off: string | null;
  /** Pieces run launch by launch, captured, and replayed. */
  readonly counts = { direct: 0, captured: 0, replayed: 0 };

  constructor(private readonly driver: CudaDriver, alloc: (bytes: number) => DevicePtr, graphs: boolean) {
    this.slots = alloc(SLOTS * 4);
    this.off = !graphs ? 'BITNET_CUDA_GRAPHS=off' : driver.graphs === undefined ? 'the driver has no graph API' : null;
  }

  /** 'CUDA graphs', or why not. */
  describe(): string {
    return this.off === null ? 'CUDA graphs' : `no CUDA graphs (${this.off})`;
  }

  /** False when `startPos` would need a slot and none is left: the caller flushes the step first. */
  hasRoom(startPos: number): boolean {
    return this.staged.length < SLOTS || this.staged.includes(startPos);
  }

  /** The device address holding `startPos` for this step's launches. */
  position(startPos: number): DevicePtr {
    let slot = this.staged.indexOf(startPos);
    if (slot < 0) {
      if (this.staged.length === SLOTS) throw new Error('StepLaunches: no position slot left (flush first)');
      slot = this.staged.push(startPos) - 1;
      // Launches that go out at once, or a piece already issued: the slot must hold it before the next launch.
      if (this.off !== null || this.piece > 0) this.upload();
    }
    return this.slots + BigInt(4 * slot);
  }

  launch(kernel: unknown, grid: number, block: [number, number], shared: number, args: KernelArg[]): void {
    if (this.off !== null) {
      this.driver.launch(kernel, grid, block, shared, args);
      return;
    }
    this.held.push({ kernel, grid, block, shared, args });
    if (this.held.length === CHUNK) this.issue();
  }

  /** Ends the step: what is held goes out (positions first), and the next launch starts a new step's first piece. */
  flush(): void {
    if (this.held.length > 0) this.issue();
    this.staged.length = 0;
    this.piece = 0;
  }

  /** Drops every graph and remembered piece: device memory they point at is about to be freed. Call after flush(). */
  forget(): void {
    for (const p of this.pieces) {
      if (p.graph !== null) this.driver.graphs?.destroy(p.graph.exec);
      p.graph = null;
      p.previous = null;
    }
  }

  /** Issues the held piece: its positions first, then the piece — as the graph of an equal earlier piece, or launch by launch. */
  private issue(): void {
    this.upload();
    const held = this.held;
    this.held = [];
    const piece = (this.pieces[this.piece] ??= { previous: null, graph: null });
    this.piece++;
    const graphs = this.driver.graphs;
    if (graphs === undefined || this.off !== null) return this.launchAll(held);
    if (piece.graph !== null && sameLaunches(held, piece.graph.launches)) {
      graphs.launch(piece.graph.exec);
      this.counts.replayed++;
      return;
    }
    if (piece.previous === null || !sameLaunches(held, piece.previous)) {
      this.launchAll(held);
      this.counts.direct++;
      piece.previous = held;
      return;
    }
    if (piece.graph !== null) graphs.destroy(piece.graph.exec);
    piece.graph = null;
    piece.previous = null;
    let exec: unknown;
    try {
      exec = graphs.capture(() => this.launchAll(held));
    } catch (err) {
      // A driver that cannot capture these launches runs them as before, from now on.
      this.off = `capture failed: ${(err as Error).message.split('\n')[0]}`;
      this.forget();
      this.launchAll(held);
      this.counts.direct++;
      return;
    }
    piece.graph = { exec, launches: held };
    graphs.launch(exec);
    this.counts.captured++;
  }

  private launchAll(held: readonly Held[]): void {
    for (const h of held) this.driver.launch(h.kernel, h.grid, h.block, h.shared, h.args);
  }

  private upload(): void {
    const n = this.staged.length;
    let differs = false;
    for (let i = 0; i < n; i++) differs ||= this.onDevice[i] !== this.staged[i];
    if (!differs) return;
    const values = Int32Array.from(this.staged);
    this.driver.upload(this.slots, values);
    this.onDevice.set(values);
  }
}
