/**
 * One grid-world run of the OOD study: meta-train one architecture on one task family
 * with one seed (MAML-RL, the same way for every architecture), adapt it on held-out
 * (in-distribution) and out-of-distribution tasks, score every step exactly as a fraction
 * of the DP optimum, and measure why it fails where it fails:
 *
 * - `reach`: the probability that one episode of the policy before adaptation reaches the
 *   goal (exact, by propagating the state distribution). A policy that does not see the
 *   goal learns about it only from episodes that reach it, so a low reach is a low ceiling
 *   on one sampled step.
 * - `novel`: the share of the states on a shortest path to the goal whose input, as the
 *   architecture reads it, was never produced by any state of any training task: an input
 *   unit never active in training (MLPs: its first-layer weights never moved), or for the
 *   convolution an agent-centred receptive-field patch never seen. A policy can only be
 *   expected to transfer where this is low.
 */
import { Rng } from '../../random/rng.ts';
import {
  VecEnv, goalFamily, startFamily, layoutFamily, openRoom, createObservationEncoder, StateFlag,
  type ObservationEncoder, type ObservationSpec, type TabularModel, type Task, type TaskFamily,
} from '../../rl/env/index.ts';
import { mlpPolicy, oneHotCoordinates, softmaxRows, tabularPolicy, type CategoricalPolicy } from '../../rl/policy.ts';
import { convPolicy } from '../../rl/conv-policy.ts';
import { egocentricPolicy } from '../../rl/egocentric-policy.ts';
import { rotatedEgocentricPolicy } from '../../rl/rotated-policy.ts';
import { adaptationPath, metaTrainInit, metaTrainStep, type MetaTrainState } from '../../rl/mamlrl.ts';
import { expectedReturn, optimalReturn } from '../../rl/oracle.ts';
import { subsampleTasks } from '../../rl/evaluate.ts';
import { exp } from '../../ops/index.ts';
import { treeMap } from '../../autodiff/tree.ts';
import { OOD_FAMILY_SETTINGS, OOD_INNER_LR, OOD_OUTER_LR, type OodArch, type OodFamily, type OodFamilySettings } from './ood-config.ts';

/** The evaluation splits. */
export const OOD_SPLITS = ['test', 'ood'] as const;
export type OodSplit = (typeof OOD_SPLITS)[number];

/** One grid run's settings (plain data: a study unit's config). */
export interface OodGridRunConfig {
  readonly [key: string]: unknown;
  readonly kind: 'grid';
  readonly family: OodFamily;
  readonly arch: OodArch;
  readonly seed: number;
  readonly iterations: number;
  readonly episodes: number;
  readonly evalTasks: number;
  readonly steps: number;
  readonly draws: number;
  readonly jit: boolean;
  /** Overrides the architecture's inner step size (pilots). */
  readonly innerLr?: number;
  /** Overrides the architecture's outer step size (pilots). */
  readonly outerLr?: number;
  /** Overrides the family's entropy bonus (pilots). */
  readonly entropyBonus?: number;
  /** Makes the bonus a floor at this entropy (MAML-RL's `entropyTarget`; pilots). */
  readonly entropyTarget?: number;
}

/** Per split: fraction of the optimum after 0..steps adaptation steps (mean over tasks), and the diagnostics. */
export interface OodSplitResult {
  readonly fraction: readonly number[];
  readonly reach: number;
  readonly novel: number;
  readonly tasks: number;
}

/** What one grid run gives back (no timings). */
export interface OodGridRun {
  readonly kind: 'grid';
  readonly family: OodFamily;
  readonly arch: OodArch;
  readonly seed: number;
  readonly policy: string;
  readonly innerLr: number;
  readonly splits: Readonly<Record<OodSplit, OodSplitResult>>;
  /** Sampled mean return after adaptation, per meta-iteration. */
  readonly curve: readonly number[];
}

function familyOf(family: OodFamily, seed: number): TaskFamily {
  const s = OOD_FAMILY_SETTINGS[family];
  if (s.family === 'layout') return layoutFamily({ size: s.size, seed });
  return s.family === 'goal' ? goalFamily({ size: s.size, seed }) : startFamily({ size: s.size, seed });
}

const OBSERVATION: Readonly<Record<OodArch, ObservationSpec>> = {
  tabular: { kind: 'stateIndex' }, mlp: { kind: 'oneHot' }, mlpGrid: { kind: 'gridChannels' }, conv: { kind: 'gridChannels' }, convWide: { kind: 'gridChannels' }, egocentric: { kind: 'gridChannels' }, egocentricWindow: { kind: 'gridChannels' }, egocentricRays: { kind: 'gridChannels' }, egocentricRot: { kind: 'gridChannels' },
};

/** The policy of an architecture on `H × W` maps, and how its inputs are keyed for the `novel` diagnostic. */
function architecture(arch: OodArch, H: number, W: number, numStates: number, numActions: number) {
  const hidden = [32];
  switch (arch) {
    case 'tabular': return { policy: tabularPolicy({ numStates, numActions }), novelty: 'pattern' as const };
    case 'mlp': return { policy: mlpPolicy({ obsSize: H * W, numActions, hidden: [32, 32], inputTransform: oneHotCoordinates(H, W) }), novelty: 'pattern' as const };
    case 'mlpGrid': return { policy: mlpPolicy({ obsSize: 4 * H * W, numActions, hidden }), novelty: 'units' as const };
    // Two 3×3 layers: receptive field radius 2 (the `novel` patches below).
    case 'conv': return { policy: convPolicy({ height: H, width: W, numActions, hidden: [8, 8] }), novelty: 'patch' as const, radius: 2 };
    // Receptive field 1 + 2·(1 + 2 + 4) = 15 cells: radius 7 covers any 8×8 grid from any cell.
    case 'convWide': return { policy: convPolicy({ height: H, width: W, numActions, hidden: [8, 8, 8], dilations: [1, 2, 4] }), novelty: 'patch' as const, radius: 7 };
    case 'egocentric': return { policy: egocentricPolicy({ height: H, width: W, numActions, hidden, features: ['axes'] }), novelty: 'units' as const };
    case 'egocentricWindow': return { policy: egocentricPolicy({ height: H, width: W, numActions, hidden, features: ['window', 'axes'] }), novelty: 'units' as const };
    case 'egocentricRays': return { policy: egocentricPolicy({ height: H, width: W, numActions, hidden, features: ['axes', 'rays'] }), novelty: 'units' as const };
    // Its feature row is 4 rotated views sharing the scorer's weights: a unit is a feature of any view.
    case 'egocentricRot': return { policy: rotatedEgocentricPolicy({ height: H, width: W, numActions, hidden, features: ['axes'] }), novelty: 'units' as const, views: 4 };
  }
}

/** P(an episode of `logits` from the start distribution enters a goal within `horizon` steps), exact. */
export function reachProbability(logits: ArrayLike<number>, model: TabularModel, horizon: number): number {
  const S = model.numStates, A = model.numActions;
  const probs = softmaxRows(logits, S, A);
  let dist = Float64Array.from(model.startDistribution);
  let reached = 0;
  for (let t = 0; t < horizon; t++) {
    const next = new Float64Array(S);
    for (let s = 0; s < S; s++) {
      const m = dist[s]!;
      if (m === 0) continue;
      for (let a = 0; a < A; a++) {
        const to = model.next[s * A + a]!, p = m * probs[s * A + a]!;
        if ((model.stateFlags[to]! & StateFlag.Goal) !== 0) reached += p;
        else if (!model.terminal[to]) next[to]! += p;
      }
    }
    dist = next;
  }
  return reached;
}

/** The states of one shortest path from the first start state to a goal (breadth-first over the model's moves). */
function shortestPathStates(model: TabularModel): number[] {
  const A = model.numActions, start = model.startStates[0]!;
  const parent = new Int32Array(model.numStates).fill(-2);
  parent[start] = -1;
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const s = queue[i]!;
    if ((model.stateFlags[s]! & StateFlag.Goal) !== 0) {
      const path: number[] = [];
      for (let p = parent[s]!; p >= 0; p = parent[p]!) path.push(p);
      return path.reverse();
    }
    if (model.terminal[s]) continue;
    for (let a = 0; a < A; a++) {
      const to = model.next[s * A + a]!;
      if (parent[to] === -2) { parent[to] = s; queue.push(to); }
    }
  }
  return [];
}

/** Keys of what the architecture reads at each state of `model`: active input units, or whole patterns. */
function inputKeys(kind: 'pattern' | 'units' | 'patch', policy: CategoricalPolicy<unknown>, encoder: ObservationEncoder, model: TabularModel, states: readonly number[], radius = 0, views = 1): string[][] {
  const rows = new Float32Array(states.length * encoder.size);
  states.forEach((s, i) => encoder.write(model, s, rows, i * encoder.size));
  if (kind === 'patch') return states.map((s, i) => [convPatch(rows, i * encoder.size, model, s, radius)]);
  const form = policy.traceable!;
  const feats = form.features(rows, states.length);
  const F = form.featureSize;
  return states.map((_s, i) => {
    const row = feats.subarray(i * F, (i + 1) * F);
    if (kind === 'pattern') return [Array.from(row).join(',')];
    const active: string[] = [];
    row.forEach((v, j) => { if (v !== 0) active.push(String(j % (F / views))); });
    return active;
  });
}

/**
 * The radius-r patch of `gridChannels` planes around the agent as the convolution sees it:
 * zero padding, so an off-map cell reads like an empty free one.
 */
function convPatch(rows: Float32Array, offset: number, model: TabularModel, state: number, radius: number): string {
  const { height: H, width: W } = model.map, cell = model.cellOfState[state]!, plane = H * W;
  const r0 = Math.floor(cell / W), c0 = cell % W;
  let key = '';
  for (let dr = -radius; dr <= radius; dr++) {
    for (let dc = -radius; dc <= radius; dc++) {
      const r = r0 + dr, c = c0 + dc;
      if (r < 0 || c < 0 || r >= H || c >= W) { key += '0000'; continue; }
      for (let ch = 0; ch < 4; ch++) key += rows[offset + ch * plane + r * W + c]! ? '1' : '0';
    }
  }
  return key;
}

/**
 * The entropy bonus (and floor) a run trains with: the config's overrides, else tabular
 * takes the family's `entropyBonus` and a network the family's `networkEntropy` (or none).
 */
export function entropyOf(config: OodGridRunConfig, settings: OodFamilySettings): { entropyBonus: number; entropyTarget: number | undefined } {
  if (config.entropyBonus !== undefined) return { entropyBonus: config.entropyBonus, entropyTarget: config.entropyTarget };
  if (config.arch === 'tabular') return { entropyBonus: settings.entropyBonus, entropyTarget: config.entropyTarget };
  const floor = settings.networkEntropy;
  return floor ? { entropyBonus: floor.bonus, entropyTarget: config.entropyTarget ?? floor.target } : { entropyBonus: 0, entropyTarget: config.entropyTarget };
}

/**
 * Meta-trains, evaluates and diagnoses one (family, architecture, seed). `onIteration` runs
 * after each meta-iteration and is awaited (the CLI yields to the event loop there, so a
 * Ctrl-C reaches a run in the calling thread; it may throw to stop the run).
 */
export async function runOodGrid(config: OodGridRunConfig, onIteration: (i: number) => void | Promise<void> = () => {}): Promise<OodGridRun> {
  const settings = OOD_FAMILY_SETTINGS[config.family];
  const family = familyOf(config.family, config.seed);
  const baseMap = family.train[0]!.layout ?? openRoom(settings.size);
  const H = baseMap.height, W = baseMap.width;
  const observation = OBSERVATION[config.arch];
  const env = new VecEnv({ map: baseMap, numEnvs: config.episodes, maxSteps: settings.horizon, observation, tasks: family.train[0]! });
  const encoder = createObservationEncoder(observation, H, W);
  const arch = architecture(config.arch, H, W, env.modelOf(0).numStates, env.numActions);
  const policy = arch.policy as CategoricalPolicy<unknown>;
  const innerLr = config.innerLr ?? OOD_INNER_LR[config.arch][settings.family];
  const options = {
    policy, env, tasks: family.train, innerLr, estimator: 'dice' as const, baseline: 'state' as const,
    metaBatchSize: Math.min(10, family.train.length), outerLr: config.outerLr ?? OOD_OUTER_LR[config.arch], ...entropyOf(config, settings), weightDecay: settings.weightDecay,
    learnInnerLr: true, jit: config.jit, recycleMemory: !config.jit, seed: config.seed,
  };
  let state: MetaTrainState<unknown> = metaTrainInit(options);
  const curve: number[] = [];
  for (let i = 0; i < config.iterations; i++) {
    const step = metaTrainStep(options, state);
    state = step.state;
    curve.push(step.postReturn);
    await onIteration(i);
  }
  const adapt = { innerLr, estimator: 'dice' as const, baseline: 'state' as const, ...(state.logScale ? { innerLrScale: treeMap(state.logScale, (r) => exp(r)) } : {}) };

  // Every input any state of any training task produces (a superset of what training visited).
  const seen = new Set<string>();
  for (const task of family.train) {
    env.setTasks(task);
    const model = env.modelOf(0);
    const all = Array.from({ length: model.numStates }, (_v, s) => s);
    for (const keys of inputKeys(arch.novelty, policy, encoder, model, all, arch.radius, arch.views)) keys.forEach((k) => seen.add(k));
  }

  const splits = {} as Record<OodSplit, OodSplitResult>;
  OOD_SPLITS.forEach((split, splitIndex) => {
    const tasks: readonly Task[] = subsampleTasks(family[split], config.evalTasks);
    const fraction = new Array<number>(config.steps + 1).fill(0);
    let reach = 0, novel = 0;
    tasks.forEach((task, t) => {
      env.setTasks(task);
      const model = env.modelOf(0);
      const best = optimalReturn(model, { horizon: settings.horizon });
      for (let draw = 0; draw < config.draws; draw++) {
        // Common random numbers across architectures: the same generator per (seed, split, task, draw).
        const rng = new Rng([config.seed >>> 0, splitIndex, t, 0x00d + draw]);
        adaptationPath(policy, state.params, env, config.steps, rng, adapt).forEach((params, k) => {
          const value = expectedReturn(policy.stateLogits(params, model, encoder), model, { horizon: settings.horizon }).item();
          fraction[k]! += value / best / (tasks.length * config.draws);
        });
      }
      reach += reachProbability(policy.stateLogits(state.params, model, encoder).data, model, settings.horizon) / tasks.length;
      const path = shortestPathStates(model);
      const keys = inputKeys(arch.novelty, policy, encoder, model, path, arch.radius, arch.views);
      novel += (path.length === 0 ? 0 : keys.filter((ks) => ks.some((k) => !seen.has(k))).length / path.length) / tasks.length;
    });
    splits[split] = { fraction, reach, novel, tasks: tasks.length };
  });
  return { kind: 'grid', family: config.family, arch: config.arch, seed: config.seed, policy: policy.name, innerLr, splits, curve };
}
