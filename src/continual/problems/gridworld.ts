/**
 * Grid-world RL as a continual problem, solved with the exact dynamic-programming
 * oracle: a task type is a set of grid-world tasks (e.g. goals near one corner), a task
 * is one of them, the model is a tabular softmax policy, adaptation is exact
 * policy-gradient ascent and the meta-gradient is the exact MAML meta-gradient
 * (`rl/oracle.ts`). Exact returns stand in for "a few episodes" of data: the selection
 * uses no more than the evaluation does, so this mode isolates the clustering and
 * forgetting questions from Monte-Carlo noise.
 */
import { Rng } from '../../random/rng.ts';
import { tensor, zeros } from '../../tensor/create.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import { exp, mul } from '../../ops/elementwise.ts';
import { sum } from '../../ops/reduce.ts';
import { logSoftmax } from '../../ops/softmax.ts';
import { grad } from '../../autodiff/transforms.ts';
import { expectedReturn, optimalReturn } from '../../rl/oracle.ts';
import { cast } from '../../ops/index.ts';
import { cornerCell, inQuadrant, type Quadrant } from '../../rl/env/tasks.ts';
import { Cell, type GridMap, type Position } from '../../rl/env/map.ts';
import { tabularModel, type TabularModel, type Task } from '../../rl/env/model.ts';
import type { ContinualProblem, TypedTask } from '../problem.ts';

/** A task type: a named set of grid-world tasks on one layout. */
export interface GridTaskType {
  readonly name: string;
  readonly tasks: readonly Task[];
}

/**
 * Goals within Manhattan distance `radius` of a corner's free cell, from fixed starts:
 * "the goal is in the top-right corner".
 *
 * @example
 * ```ts
 * const A = cornerGoals(openRoom(7), 'top-right', { starts: [[3, 3]] });
 * A.tasks.map((t) => t.goals); // [[[0, 5]], [[0, 6]], [[1, 6]]]: 3 goals
 * ```
 */
export function cornerGoals(layout: GridMap, corner: Quadrant, options: { starts: readonly Position[]; radius?: number; name?: string }): GridTaskType {
  const tasks: Task[] = freeCellsNearCorner(layout, corner, options.radius ?? 1, options.starts)
    .filter((cell) => inQuadrant(layout.height, layout.width, cell, corner))
    .map(([r, c]) => ({ name: `goal (${r}, ${c})`, layout, starts: options.starts, goals: [[r, c]] }));
  if (tasks.length === 0) throw new RangeError(`cornerGoals: no free goal cell near the ${corner} corner`);
  return { name: options.name ?? `goal ${corner}`, tasks };
}

/** Free cells within Manhattan distance `radius` of a corner, row by row, except `taken`. */
function freeCellsNearCorner(layout: GridMap, corner: Quadrant, radius: number, taken: readonly Position[]): Position[] {
  const [cr, cc] = cornerCell(layout, corner);
  const cells: Position[] = [];
  for (let r = 0; r < layout.height; r++) {
    for (let c = 0; c < layout.width; c++) {
      if (layout.cells[r * layout.width + c] !== Cell.Free || Math.abs(r - cr) + Math.abs(c - cc) > radius) continue;
      if (taken.some(([tr, tc]) => tr === r && tc === c)) continue;
      cells.push([r, c]);
    }
  }
  return cells;
}

/**
 * Starts within `radius` of a corner, fixed goals: "the robot starts bottom-left".
 * @example cornerStarts(openRoom(7), 'bottom-left', { goals: [[3, 3]] })
 */
export function cornerStarts(layout: GridMap, corner: Quadrant, options: { goals: readonly Position[]; radius?: number; name?: string }): GridTaskType {
  const tasks: Task[] = freeCellsNearCorner(layout, corner, options.radius ?? 1, options.goals)
    .map(([r, c]) => ({ name: `start (${r}, ${c})`, layout, starts: [[r, c]], goals: options.goals }));
  if (tasks.length === 0) throw new RangeError(`cornerStarts: no free start cell near the ${corner} corner`);
  return { name: options.name ?? `start ${corner}`, tasks };
}

/** One grid-world task with its model and the reference returns of its score. */
export interface GridTask extends TypedTask {
  readonly task: Task;
  readonly model: TabularModel;
  /** Optimal and uniform-policy returns: score = (J − uniform) / (optimal − uniform). */
  readonly optimal: number;
  readonly uniform: number;
}

/** The shared layout, horizon and step size of {@link gridProblem}'s exact policy-gradient adaptation. */
export interface GridProblemOptions {
  /** The layout every task shares (fixes the number of states). */
  readonly layout: GridMap;
  /** Actions per state. Default 4. */
  readonly numActions?: number;
  /** Episode length (the environments' `maxSteps`). */
  readonly horizon: number;
  readonly discount?: number;
  /** Step size of exact policy-gradient ascent on the normalised return. */
  readonly innerLr: number;
  /** Scale of the initial random logits. Default 0 (uniform policy). */
  readonly initScale?: number;
  /**
   * Weight of the policy's mean entropy over states, added to the objective of the
   * learning updates (not to the inner step or the score). A tabular softmax policy
   * that has become deterministic towards one goal gets no gradient from a goal it
   * never reaches; the bonus keeps it learnable. Default 0.
   */
  readonly entropyBonus?: number;
}

/**
 * Potential-based shaping (Ng, Harada & Russell, ICML 1999): every transition s → s′
 * of a non-terminal state gains `k·(d(s) − d(s′))`, with d the shortest-path distance to
 * the nearest goal. Optimal policies are unchanged; the reward becomes dense, so a
 * policy committed to another goal still gets a gradient towards this one.
 *
 * @example
 * ```ts
 * const model = tabularModel(openRoom(5), { starts: [[0, 0]], goals: [[4, 4]] });
 * const shaped = shapeRewards(model, 0.05);
 * shaped.reward[0]! - model.reward[0]!; // ≈ ±0.05: one step nearer or farther from the goal, or 0 into a wall
 * ```
 */
export function shapeRewards(model: TabularModel, k: number): TabularModel {
  if (k === 0) return model;
  const { numStates: S, numActions: A } = model;
  // Breadth-first distances to the goals over the model's own transitions, backwards.
  const distance = new Float64Array(S).fill(Infinity);
  const queue: number[] = [];
  for (const g of model.goalStates) { distance[g] = 0; queue.push(g); }
  while (queue.length > 0) {
    const target = queue.shift()!;
    for (let s = 0; s < S; s++) {
      if (model.terminal[s] || distance[s] !== Infinity) continue;
      for (let a = 0; a < A; a++) {
        if (model.next[s * A + a] === target) { distance[s] = distance[target]! + 1; queue.push(s); break; }
      }
    }
  }
  const reward = Float32Array.from(model.reward);
  for (let s = 0; s < S; s++) {
    if (model.terminal[s] || !Number.isFinite(distance[s]!)) continue;
    for (let a = 0; a < A; a++) {
      const next = model.next[s * A + a]!;
      if (Number.isFinite(distance[next]!)) reward[s * A + a]! += k * (distance[s]! - distance[next]!);
    }
  }
  return { ...model, reward };
}

/**
 * A sampler over task types: `sample(type, seed)` is one task of `types[type]`, with
 * its tabular model and reference returns (cached per task). `shaping` > 0 adds
 * potential-based shaping ({@link shapeRewards}) to every task.
 *
 * @example
 * ```ts
 * const A = cornerGoals(openRoom(7), 'top-right', { starts: [[3, 3]] });
 * const B = cornerGoals(openRoom(7), 'bottom-left', { starts: [[3, 3]] });
 * const sample = gridTasks([A, B], { horizon: 10 });
 * sample(0, 3).optimal; // the best achievable return on that goal
 * ```
 */
export function gridTasks(types: readonly GridTaskType[], options: { horizon: number; discount?: number; shaping?: number }): (type: number, seed: number) => GridTask {
  const cache = new Map<Task, GridTask>();
  const horizon = { horizon: options.horizon, discount: options.discount ?? 1 };
  return (type, seed) => {
    const family = types[type];
    if (!family) throw new RangeError(`gridTasks: no task type ${type} (have ${types.length})`);
    const task = family.tasks[new Rng(seed).int(family.tasks.length)]!;
    let cached = cache.get(task);
    if (!cached) {
      const model = shapeRewards(tabularModel(task.layout!, task), options.shaping ?? 0);
      const uniform = expectedReturn(zeros([model.numStates, model.numActions]), model, horizon).item();
      cached = { type, task, model, optimal: optimalReturn(model, horizon), uniform };
      cache.set(task, cached);
    }
    return cached.type === type ? cached : { ...cached, type };
  };
}

/**
 * Tabular softmax policies on grid worlds, adapted by exact policy gradients on the
 * normalised return (score 0 = uniform policy, 1 = optimal).
 *
 * @example
 * ```ts
 * const sample = gridTasks([cornerGoals(openRoom(7), 'top-right', { starts: [[3, 3]] })], { horizon: 10 });
 * const problem = gridProblem({ layout: openRoom(7), horizon: 10, innerLr: 20 });
 * problem.adaptationCurve(problem.init(new Rng(0)), sample(0, 1), 1); // [0, …]: the uniform policy scores 0
 * ```
 */
export function gridProblem(options: GridProblemOptions): ContinualProblem<Tensor, GridTask> {
  const { innerLr, initScale = 0, layout, numActions = 4, entropyBonus = 0 } = options;
  const numStates = layout.cells.reduce((n: number, cell) => n + (cell === Cell.Wall ? 0 : 1), 0);
  const horizon = { horizon: options.horizon, discount: options.discount ?? 1 };
  // Normalised return, so one step size suits tasks of every length.
  const normalised = (logits: Tensor, task: GridTask): Tensor =>
    mul(expectedReturn(logits, task.model, horizon).sub(task.uniform), 1 / Math.max(task.optimal - task.uniform, 1e-8));
  const ascend = (logits: Tensor, task: GridTask): Tensor => logits.add(mul(grad((l: Tensor) => normalised(l, task))(logits) as Tensor, innerLr));
  // What the learning updates maximise: the normalised return plus the entropy bonus.
  const objective = (logits: Tensor, task: GridTask): Tensor => {
    const value = normalised(logits, task);
    if (entropyBonus === 0) return value;
    const logp = logSoftmax(logits, 1);
    const entropy = mul(sum(mul(exp(logp), logp)), -1 / numStates);
    return value.add(cast(mul(entropy, entropyBonus), value.dtype));
  };
  const curve = (logits: Tensor, task: GridTask, steps: number): number[] => {
    let current = logits;
    const out = [normalised(current, task).item()];
    for (let k = 0; k < steps; k++) {
      current = ascend(current, task);
      out.push(normalised(current, task).item());
    }
    return out;
  };
  return {
    name: 'gridworld (exact)',
    init: (rng) => {
      if (initScale === 0) return zeros([numStates, numActions]);
      return tensor(Array.from({ length: numStates * numActions }, () => initScale * rng.normal()), [numStates, numActions]);
    },
    adaptationCurve: curve,
    selectionCurve: curve,
    metaGradient(logits, task, steps) {
      const outer = (l: Tensor): Tensor => {
        let adapted = l;
        for (let k = 0; k < steps; k++) adapted = adapted.add(mul(grad((x: Tensor) => normalised(x, task))(adapted) as Tensor, innerLr));
        return objective(adapted, task).neg();
      };
      return grad(outer)(logits) as Tensor;
    },
    taskGradient: (logits, task) => grad((l: Tensor) => objective(l, task).neg())(logits) as Tensor,
  };
}
