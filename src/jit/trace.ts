/**
 * Tracing: runs the user's function once on staged tensors and records every
 * primitive applied to them. A staged tensor is an ordinary concrete tensor (it holds
 * the value of this first call, so shapes and dtypes flow through unchanged code)
 * that the tracer has registered; `bind` hands every primitive with a staged operand
 * to the tracer, which computes the value and records the op. Operands that are not
 * staged are constants of the program (computations on constants alone run eagerly:
 * constant folding comes free). Reading a staged value throws: the compiled program
 * would otherwise silently reuse this call's number.
 */
import { Tensor } from '../tensor/tensor.ts';
import { fmt } from '../tensor/shape.ts';
import { withReadGuard } from '../tensor/read-guard.ts';
import { concreteOf, withStager, type PrimitiveDef, type Stager } from '../autodiff/primitive.ts';
import { JitError } from './errors.ts';
import { flattenOutput } from './signature.ts';
import type { Graph, Value } from './graph.ts';

class Tracer implements Stager {
  readonly values: Value[] = [];
  private readonly ids = new Map<Tensor, number>();
  /** Inputs and op outputs: the values not known until the program runs. */
  private readonly staged = new Set<Tensor>();

  input(t: Tensor, index: number): Tensor {
    const staged = new Tensor(t.data, t.shape);
    this.ids.set(staged, this.values.length);
    this.staged.add(staged);
    this.values.push({ kind: 'input', index, shape: t.shape, dtype: t.dtype });
    return staged;
  }

  isStaged(x: Tensor): boolean {
    return this.staged.has(x);
  }

  /** The id of `x`, registering it as a constant if the trace has not seen it. */
  idOf(x: Tensor): number {
    let id = this.ids.get(x);
    if (id === undefined) {
      id = this.values.length;
      // A copy: the original may be pooled storage (recycling) that is reused later.
      this.values.push({ kind: 'const', data: x.data.slice(), shape: x.shape, dtype: x.dtype });
      this.ids.set(x, id);
    }
    return id;
  }

  stage(prim: PrimitiveDef<unknown>, inputs: readonly Tensor[], params: unknown): Tensor | null {
    let staged = false;
    for (const x of inputs) if (this.staged.has(x)) { staged = true; break; }
    if (!staged) return null;
    const operands = inputs.map((x) => this.idOf(x));
    // The value of this first call, computed eagerly (nothing inside is recorded twice).
    const computed = withStager(null, () => prim.forward(inputs, params));
    // A fresh tensor object, so an op that returns its operand still gets its own id.
    const out = computed === inputs[0] || this.ids.has(computed) ? new Tensor(computed.data, computed.shape) : computed;
    this.ids.set(out, this.values.length);
    this.staged.add(out);
    this.values.push({ kind: 'op', prim, params, inputs: operands, shape: out.shape, dtype: out.dtype });
    return out;
  }
}

/** The traced graph of `f` and how to rebuild its result tree from the output leaves. */
export interface Traced {
  readonly graph: Graph;
  readonly rebuild: (leaves: readonly Tensor[]) => unknown;
}

/** Traces `f(...rebuild(leaves))`, whose argument leaves are `leaves` (concrete tensors). */
export function trace(name: string, call: (leaves: readonly Tensor[]) => unknown, leaves: readonly Tensor[]): Traced {
  const tracer = new Tracer();
  const staged = leaves.map((t, i) => tracer.input(t, i));
  const guard = (t: Tensor, what: string): void => {
    if (!tracer.isStaged(concreteOf(t))) return;
    throw new JitError(
      `${name}: ${what}${what.includes(' ') ? '' : '()'} reads the value of a traced tensor of shape ${fmt(t.shape)}, ` +
      'which is not known while tracing; compute with ops instead (where(cond, a, b) for a branch), ' +
      'or pass the value as a static number argument',
    );
  };
  const result = withStager(tracer, () => withReadGuard(guard, () => call(staged)));
  const out = flattenOutput(result);
  const outputs = out.leaves.map((t, i) => {
    if (t.level !== 0) {
      throw new JitError(
        `${name}: output ${i} (shape ${fmt(t.shape)}) is traced by a transform outside the jitted function ` +
        '(a closure over a value being differentiated); pass that value as an argument instead',
      );
    }
    return tracer.idOf(t);
  });
  return { graph: { values: tracer.values, outputs }, rebuild: out.rebuild };
}
