/**
 * A compiled program: the optimised graph, its memory plan, and a list of steps,
 * each one primitive's `into` writing into its planned block. On a backend with
 * resident memory (wasm) the arena is a block of linear memory, so kernels read and
 * write in place and a run copies only the inputs in and the outputs out; on the TS
 * backend it is one ArrayBuffer. The kernels are the eager ones, called in the same
 * order, so results match eager execution bit for bit.
 */
import type { Backend, Storage } from '../backend/backend.ts';
import type { PrimitiveDef } from '../autodiff/primitive.ts';
import { Tensor } from '../tensor/tensor.ts';
import { sizeOfValue, type Graph } from './graph.ts';
import { isView, planMemory, type MemoryPlan } from './plan.ts';

interface Step {
  readonly prim: PrimitiveDef<unknown>;
  readonly params: unknown;
  readonly inputIds: readonly number[];
  readonly outId: number;
  /** Rebuilt with the views (when memory grows). */
  inputs: Tensor[];
  out: Tensor;
  /** Runs the primitive on those views, its shape work done at bind time. */
  launch: () => void;
}

/** What `lower` reports about a program. */
export interface ProgramStats {
  /** Primitive applications per run (views excluded). */
  readonly ops: number;
  /** Ops per primitive name. */
  readonly opCounts: Readonly<Record<string, number>>;
  /** Ops without an in-place kernel (`into`): computed, then copied into their block. */
  readonly copiedOps: readonly string[];
  readonly inputs: number;
  readonly outputs: number;
  readonly constants: number;
  /** Bytes of the arena (inputs, constants, intermediates after reuse, outputs). */
  readonly arenaBytes: number;
  /** What the blocks would take without liveness reuse. */
  readonly unplannedBytes: number;
  /** Kernel scratch the program needs beside its arena (wasm). */
  readonly scratchBytes: number;
}

const unbound = (): void => { throw new Error('jit: program step run before its buffers were bound'); };

export class Program {
  readonly graph: Graph;
  readonly plan: MemoryPlan;
  private readonly backend: Backend;
  private readonly steps: Step[];
  private readonly inputIds: number[];
  private base = 0;
  private buffer: ArrayBuffer | null = null;
  private views: Tensor[] = [];
  private scratch = 0;
  private readonly registerBytes: number;
  /** Where each output sits in the one buffer a run's fresh outputs share. */
  private readonly outputOffsets: number[] = [];
  private readonly outputBytes: number;
  private released = false;

  constructor(graph: Graph, backend: Backend) {
    this.graph = graph;
    this.backend = backend;
    this.plan = planMemory(graph);
    // One register file after the arena, shared by the ops that ask for one (they run one at a time).
    let registers = 0;
    graph.values.forEach((v) => { if (v.kind === 'op' && v.prim.scratchBytes) registers = Math.max(registers, v.prim.scratchBytes(v.params, v.dtype, sizeOfValue(v))); });
    this.registerBytes = Math.ceil(registers / 16) * 16;
    const resident = backend.resident;
    if (resident !== undefined) this.base = resident.alloc(this.plan.bytes + this.registerBytes);
    else this.buffer = new ArrayBuffer(this.plan.bytes + this.registerBytes);
    let outputBytes = 0;
    for (const id of graph.outputs) {
      const v = graph.values[id]!;
      this.outputOffsets.push(outputBytes);
      outputBytes += Math.ceil(sizeOfValue(v) * (v.dtype === 'float64' ? 8 : 4) / 8) * 8;
    }
    this.outputBytes = outputBytes;
    this.inputIds = [];
    graph.values.forEach((v, i) => { if (v.kind === 'input') this.inputIds[v.index] = i; });
    this.steps = [];
    graph.values.forEach((v, i) => {
      if (v.kind !== 'op' || isView(graph, i)) return;
      this.steps.push({ prim: v.prim, params: v.params, inputIds: v.inputs, outId: i, inputs: [], out: null as unknown as Tensor, launch: unbound });
    });
    this.bindViews();
    // Constants are written once; the plan never reuses their blocks.
    graph.values.forEach((v, i) => { if (v.kind === 'const') (this.views[i]!.data as Storage).set(v.data); });
  }

  /** The backing buffer now (wasm memory may have grown since the views were made). */
  private currentBuffer(): ArrayBuffer {
    return this.backend.resident !== undefined ? this.backend.resident.buffer() : this.buffer!;
  }

  private bindViews(): void {
    const buffer = this.currentBuffer();
    this.buffer = buffer;
    const { offsets } = this.plan;
    this.views = this.graph.values.map((v, i) => {
      const n = sizeOfValue(v), at = this.base + offsets[i]!;
      const data = v.dtype === 'float64' ? new Float64Array(buffer, at, n) : new Float32Array(buffer, at, n);
      return new Tensor(data, v.shape);
    });
    const registerAt = this.base + this.plan.bytes, registerBytes = this.registerBytes;
    const registers = {
      float32: new Float32Array(buffer, registerAt, registerBytes / 4),
      float64: new Float64Array(buffer, registerAt, Math.floor(registerBytes / 8)),
    };
    for (const s of this.steps) {
      const inputs = s.inputs = s.inputIds.map((id) => this.views[id]!);
      const out = s.out = this.views[s.outId]!;
      const { prim, params } = s;
      const scratch = prim.scratchBytes !== undefined ? registers[out.dtype] : undefined;
      s.launch = prim.prepare !== undefined ? prim.prepare(inputs, out, params, scratch)
        : prim.into !== undefined ? () => prim.into!(inputs, out, params)
          : () => { (out.data as Storage).set(prim.forward(inputs, params).data); };
    }
  }

  /**
   * Runs the program on `inputs` (in flattened-argument order). `outputs`, if given,
   * receives the results (same shapes); else fresh tensors are returned, views of one
   * new buffer.
   */
  run(inputs: readonly Tensor[], outputs?: Tensor[]): Tensor[] {
    if (this.released) throw new Error('jit: this compiled program was evicted from the cache and released');
    const resident = this.backend.resident;
    if (resident !== undefined && this.scratch > 0) resident.ensureScratch(this.scratch);
    if (this.currentBuffer() !== this.buffer) this.bindViews();
    const before = resident !== undefined ? resident.scratchHighWater(false) : 0;
    let error: unknown = null;
    try {
      this.execute(inputs);
    } catch (e) {
      error = e;
    }
    // A kernel that grew memory mid-run detached every view: rerun on fresh views.
    if (this.currentBuffer() !== this.buffer) this.rerunAfterGrowth(inputs, before);
    else if (error !== null) throw error;
    const ids = this.graph.outputs;
    if (outputs !== undefined) {
      for (let k = 0; k < ids.length; k++) (outputs[k]!.data as Storage).set(this.views[ids[k]!]!.data);
      return outputs;
    }
    // One allocation for all the outputs (each an external buffer would cost ~1 µs).
    const buffer = new ArrayBuffer(this.outputBytes);
    const result: Tensor[] = new Array(ids.length);
    for (let k = 0; k < ids.length; k++) {
      const v = this.graph.values[ids[k]!]!, at = this.outputOffsets[k]!, n = sizeOfValue(v);
      const data = v.dtype === 'float64' ? new Float64Array(buffer, at, n) : new Float32Array(buffer, at, n);
      data.set(this.views[ids[k]!]!.data);
      result[k] = new Tensor(data, v.shape);
    }
    return result;
  }

  private rerunAfterGrowth(inputs: readonly Tensor[], before: number): void {
    const resident = this.backend.resident;
    for (let attempt = 0; attempt < 3; attempt++) {
      if (resident !== undefined) {
        this.scratch = Math.max(this.scratch, resident.scratchHighWater(false), before);
        resident.ensureScratch(this.scratch);
      }
      this.bindViews();
      try {
        this.execute(inputs);
        if (this.currentBuffer() === this.buffer) return;
      } catch (e) {
        if (this.currentBuffer() === this.buffer) throw e;
      }
    }
    throw new Error('jit: memory kept growing while the program ran');
  }

  private execute(inputs: readonly Tensor[]): void {
    const views = this.views;
    for (let k = 0; k < this.inputIds.length; k++) {
      const id = this.inputIds[k];
      if (id !== undefined) (views[id]!.data as Storage).set(inputs[k]!.data);
    }
    const steps = this.steps;
    for (let k = 0; k < steps.length; k++) steps[k]!.launch();
  }

  /** Measures the kernels' scratch on one run, so later runs reserve it up front (wasm). */
  calibrate(inputs: readonly Tensor[]): Tensor[] {
    const resident = this.backend.resident;
    if (resident === undefined) return this.run(inputs);
    resident.scratchHighWater(true);
    const out = this.run(inputs);
    this.scratch = Math.max(this.scratch, resident.scratchHighWater(false));
    return out;
  }

  stats(): ProgramStats {
    const opCounts: Record<string, number> = {};
    const copied = new Set<string>();
    for (const s of this.steps) {
      opCounts[s.prim.name] = (opCounts[s.prim.name] ?? 0) + 1;
      if (s.prim.into === undefined) copied.add(s.prim.name);
    }
    const values = this.graph.values;
    return {
      ops: this.steps.length,
      opCounts,
      copiedOps: [...copied],
      inputs: values.filter((v) => v.kind === 'input').length,
      outputs: this.graph.outputs.length,
      constants: values.filter((v) => v.kind === 'const').length,
      arenaBytes: this.plan.bytes + this.registerBytes,
      unplannedBytes: this.plan.unplannedBytes,
      scratchBytes: this.scratch,
    };
  }

  /** Gives the arena back (wasm memory is reused by the next program). */
  release(): void {
    if (this.released) return;
    this.released = true;
    if (this.backend.resident !== undefined) this.backend.resident.free(this.base, this.plan.bytes + this.registerBytes);
    this.views = [];
    for (const s of this.steps) { s.inputs = []; s.launch = unbound; }
  }
}
