/**
 * Few-shot regression as a continual problem: task types are families of functions
 * (sinusoids, lines, quadratics, ...), a task is one function drawn from its family
 * with K support and `queryK` query points, and the model is any {@link Module}.
 */
import { Rng } from '../../random/rng.ts';
import { tensor } from '../../tensor/create.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import { add, mul } from '../../ops/elementwise.ts';
import { mse } from '../../ops/losses.ts';
import { grad } from '../../autodiff/transforms.ts';
import type { Module } from '../../nn/module.ts';
import { adapt } from '../../meta/adapt.ts';
import type { ContinualProblem, TypedTask } from '../problem.ts';

/** A family of scalar functions: one draw is one task. */
export interface FunctionFamily {
  readonly name: string;
  /** Draws one function of the family. */
  sample(rng: Rng): (x: number) => number;
}

/**
 * y = A·sin(ω(x − φ)) with A, φ uniform in their ranges (MAML's sinusoids when
 * A ∈ [0.1, 5], φ ∈ [0, π], ω = 1).
 * @example sineFamily({ amplitude: [1, 2], phase: [0, Math.PI / 2] }).sample(new Rng(0))(0.5)
 */
export function sineFamily(options: { amplitude?: readonly [number, number]; phase?: readonly [number, number]; frequency?: number; name?: string } = {}): FunctionFamily {
  const [a0, a1] = options.amplitude ?? [1, 2];
  const [p0, p1] = options.phase ?? [0, Math.PI / 2];
  const w = options.frequency ?? 1;
  return {
    name: options.name ?? (w === 1 ? 'sine' : `sine×${w}`),
    sample: (rng) => {
      const a = rng.uniformIn(a0, a1);
      const p = rng.uniformIn(p0, p1);
      return (x) => a * Math.sin(w * (x - p));
    },
  };
}

/**
 * y = m·x + b with m and b uniform in their ranges.
 * @example lineFamily({ slope: [-1, -0.5], intercept: [-1, 1] }).sample(new Rng(0))(2)
 */
export function lineFamily(options: { slope?: readonly [number, number]; intercept?: readonly [number, number]; name?: string } = {}): FunctionFamily {
  const [m0, m1] = options.slope ?? [0.5, 1];
  const [b0, b1] = options.intercept ?? [-1, 1];
  return {
    name: options.name ?? 'line',
    sample: (rng) => {
      const m = rng.uniformIn(m0, m1);
      const b = rng.uniformIn(b0, b1);
      return (x) => m * x + b;
    },
  };
}

/**
 * y = c·(x/scale)² + d with c and d uniform in their ranges (default scale 2.5, so
 * that inputs in [−5, 5] give c·[0, 4]).
 * @example quadraticFamily().sample(new Rng(0))(1)
 */
export function quadraticFamily(options: { curvature?: readonly [number, number]; offset?: readonly [number, number]; scale?: number; name?: string } = {}): FunctionFamily {
  const [c0, c1] = options.curvature ?? [0.5, 1];
  const [d0, d1] = options.offset ?? [-2, -1];
  const scale = options.scale ?? 2.5;
  return {
    name: options.name ?? 'quadratic',
    sample: (rng) => {
      const c = rng.uniformIn(c0, c1);
      const d = rng.uniformIn(d0, d1);
      return (x) => c * (x / scale) ** 2 + d;
    },
  };
}

/** One regression task: support and query sets [K, 1], and the query's mean square target. */
export interface RegressionTask extends TypedTask {
  readonly support: { readonly x: Tensor; readonly y: Tensor };
  readonly query: { readonly x: Tensor; readonly y: Tensor };
  /** mean(y²) of the support and query targets: the MSE of predicting 0. */
  readonly supportScale: number;
  readonly queryScale: number;
}

/** How many points {@link regressionTasks} draws per task, and from which input range. */
export interface RegressionTaskOptions {
  /** Support points (default 10). */
  readonly K?: number;
  /** Query points (default 20). */
  readonly queryK?: number;
  /** Input range (default [−5, 5]). */
  readonly xRange?: readonly [number, number];
}

/**
 * A task sampler over a list of families: `sample(type, seed)` draws a function of
 * `families[type]` and its support and query points, deterministically from `seed`.
 *
 * @example
 * ```ts
 * const sample = regressionTasks([sineFamily(), lineFamily()], { K: 10 });
 * const task = sample(1, 42);   // a line, 10 support and 20 query points
 * ```
 */
export function regressionTasks(families: readonly FunctionFamily[], options: RegressionTaskOptions = {}): (type: number, seed: number) => RegressionTask {
  const { K = 10, queryK = 20, xRange = [-5, 5] } = options;
  return (type, seed) => {
    const family = families[type];
    if (!family) throw new RangeError(`regressionTasks: no family for type ${type} (have ${families.length})`);
    const rng = new Rng(seed);
    const f = family.sample(rng);
    const draw = (n: number) => {
      const xs = Array.from({ length: n }, () => rng.uniformIn(xRange[0], xRange[1]));
      const ys = xs.map(f);
      const scale = ys.reduce((a, y) => a + y * y, 0) / n;
      return { x: tensor(xs, [n, 1]), y: tensor(ys, [n, 1]), scale };
    };
    const s = draw(K);
    const q = draw(queryK);
    return { type, support: { x: s.x, y: s.y }, query: { x: q.x, y: q.y }, supportScale: s.scale, queryScale: q.scale };
  };
}

/** The model and inner loop of {@link regressionProblem}. */
export interface RegressionProblemOptions<P> {
  readonly model: Module<P>;
  /** Inner SGD step size. */
  readonly innerLr: number;
  /** First-order meta-gradient (FOMAML). Default false. */
  readonly firstOrder?: boolean;
  /** Clip inner gradients to this global norm (default: none). */
  readonly clipNorm?: number;
}

/**
 * Regression with score `1 − MSE / mean(y²)`: 0 for predicting zero, 1 for a perfect fit.
 *
 * @example
 * ```ts
 * const sample = regressionTasks([sineFamily(), lineFamily()], { K: 10 });
 * const problem = regressionProblem({ model: MLP({ sizes: [1, 40, 40, 1] }), innerLr: 0.01 });
 * const params = problem.init(new Rng(0));
 * problem.adaptationCurve(params, sample(0, 1), 3).length; // 4: after 0, 1, 2 and 3 steps
 * ```
 */
export function regressionProblem<P>(options: RegressionProblemOptions<P>): ContinualProblem<P, RegressionTask> {
  const { model, innerLr, firstOrder = false, clipNorm } = options;
  const inner = { lr: innerLr, ...(clipNorm !== undefined && { clipNorm }) };
  const supportLoss = (task: RegressionTask) => (p: P): Tensor => mse(model.apply(p, task.support.x), task.support.y);
  const step = (p: P, task: RegressionTask, steps: number): P => adapt(p, supportLoss(task), { ...inner, steps, firstOrder: true });
  const score = (loss: number, scale: number): number => 1 - loss / Math.max(scale, 1e-8);
  return {
    name: 'regression',
    init: (rng) => model.init(rng),
    adaptationCurve(params, task, steps) {
      const q = (p: P): number => score(mse(model.apply(p, task.query.x), task.query.y).item(), task.queryScale);
      let current = params;
      const curve = [q(current)];
      for (let s = 0; s < steps; s++) {
        current = step(current, task, 1);
        curve.push(q(current));
      }
      return curve;
    },
    selectionCurve(params, task, steps) {
      const s = (p: P): number => score(supportLoss(task)(p).item(), task.supportScale);
      let current = params;
      const curve = [s(current)];
      for (let k = 0; k < steps; k++) {
        current = step(current, task, 1);
        curve.push(s(current));
      }
      return curve;
    },
    metaGradient(params, task, steps) {
      const outer = (p: P): Tensor => {
        const fast = adapt(p, supportLoss(task), { ...inner, steps, firstOrder });
        return mse(model.apply(fast, task.query.x), task.query.y);
      };
      return grad(outer)(params) as P;
    },
    taskGradient(params, task) {
      // All of the task's data, the same budget the meta-gradient sees.
      const loss = (p: P): Tensor => mul(add(supportLoss(task)(p), mse(model.apply(p, task.query.x), task.query.y)), 0.5);
      return grad(loss)(params) as P;
    },
  };
}
