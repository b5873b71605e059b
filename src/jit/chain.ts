/**
 * Elementwise chains: a run of elementwise primitives of one shape, each result read
 * only by the next ones, compiled into one op that walks memory block by block. Every
 * member still runs its own kernel (so the bits are those of the unfused ops), but on
 * a block of a few thousand elements that stays in L1 between members, and the
 * chain's intermediates live in a small register file instead of full-size buffers.
 */
import type { DType, Storage } from '../backend/backend.ts';
import { bind, type PrimitiveDef } from '../autodiff/primitive.ts';
import { vjp } from '../autodiff/transforms.ts';
import { Tensor } from '../tensor/tensor.ts';
import { uninitialized } from '../ops/core.ts';

/**
 * Elements per block: whole 16-byte vectors, and ≥ the wasm elementwise threshold (64)
 * so blocks pick the same kernels as whole arrays. The tail joins the last block, so a
 * block (and a register) holds up to twice this.
 */
export const CHAIN_BLOCK = 2048;

/**
 * One member: its primitive and parameters, and operands numbered as the chain's
 * inputs (0…inputs−1) then earlier members' results (inputs + j).
 */
export interface ChainStep {
  readonly prim: PrimitiveDef<unknown>;
  readonly params: unknown;
  readonly args: readonly number[];
}

export interface ChainParams {
  readonly steps: readonly ChainStep[];
  /** Block registers the chain needs (results of members before the last). */
  readonly registers: number;
}

/** The chain on whole tensors, member by member (the eager meaning, and what its rule differentiates). */
function evaluate(inputs: readonly Tensor[], p: ChainParams, apply: (s: ChainStep, args: Tensor[]) => Tensor): Tensor {
  const values = [...inputs];
  for (const s of p.steps) values.push(apply(s, s.args.map((a) => values[a]!)));
  return values[values.length - 1]!;
}

export const chainPrim: PrimitiveDef<ChainParams> = {
  name: 'elementwiseChain',
  forward: (inputs, p) => evaluate(inputs, p, (s, args) => s.prim.forward(args, s.params)),
  into: (inputs, out, p) => { out.data.set(chainPrim.forward(inputs, p).data); },
  prepare: (inputs, out, p, scratch) => prepareChain(inputs, out, p, scratch),
  scratchBytes: (p, dtype, size) => chainScratchBytes(p, dtype, size),
  vjp: (g, inputs, _out, p) => {
    const [, pull] = vjp((...xs: Tensor[]) => evaluate(xs, p, (s, args) => bind(s.prim, args, s.params)), ...inputs);
    return pull(g);
  },
};

/** The longest block of a chain over `size` elements, rounded up to whole vectors: one register. */
function registerLength(size: number): number {
  const longest = size < 2 * CHAIN_BLOCK ? size : CHAIN_BLOCK + (size % CHAIN_BLOCK);
  return Math.max(4, Math.ceil(longest / 4) * 4);
}

/** Bytes of block registers a chain over `size` elements needs in `dtype`. */
export function chainScratchBytes(p: ChainParams, dtype: DType, size: number): number {
  return p.registers * registerLength(size) * (dtype === 'float64' ? 8 : 4);
}

/**
 * The launcher: views of every operand, register and output for every block, made
 * once, so a run only calls the members' kernels. `scratch` holds the registers (in
 * wasm memory on the wasm backend, so the kernels work in place).
 */
function prepareChain(inputs: readonly Tensor[], out: Tensor, p: ChainParams, scratch?: Storage): () => void {
  const n = out.size;
  const stride = registerLength(n);
  if (scratch === undefined || scratch.length < p.registers * stride) {
    // No register file: the members run on whole arrays into registers of their own.
    const regs = p.steps.slice(0, -1).map(() => uninitialized(out.dtype, out.shape));
    const steps = p.steps.map((s, j) => {
      const args = s.args.map((a) => (a < inputs.length ? inputs[a]! : regs[a - inputs.length]!));
      const dst = j === p.steps.length - 1 ? out : regs[j]!;
      return { s, args, dst };
    });
    return () => { for (const { s, args, dst } of steps) s.prim.into!(args, dst, s.params); };
  }
  // Blocks of CHAIN_BLOCK; the tail joins the last full block, so no block falls under the threshold.
  const starts: number[] = [];
  for (let at = 0; at === 0 || at + CHAIN_BLOCK <= n; at += CHAIN_BLOCK) starts.push(at);
  const calls: { into: NonNullable<PrimitiveDef<unknown>['into']>; args: Tensor[]; dst: Tensor; params: unknown }[] = [];
  starts.forEach((start, b) => {
    const len = b === starts.length - 1 ? n - start : CHAIN_BLOCK;
    const view = (t: Tensor): Tensor => (t.size === 1 ? t : new Tensor(t.data.subarray(start, start + len), [len]));
    const regs = p.steps.slice(0, -1).map((_, j) => new Tensor(scratch.subarray(j * stride, j * stride + len), [len]));
    const blockInputs = inputs.map(view);
    const blockOut = view(out);
    p.steps.forEach((s, j) => {
      calls.push({
        into: s.prim.into!,
        args: s.args.map((a) => (a < inputs.length ? blockInputs[a]! : regs[a - inputs.length]!)),
        dst: j === p.steps.length - 1 ? blockOut : regs[j]!,
        params: s.params,
      });
    });
  });
  return () => { for (let k = 0; k < calls.length; k++) { const c = calls[k]!; c.into(c.args, c.dst, c.params); } };
}
