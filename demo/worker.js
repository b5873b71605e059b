// Meta-training worker of the demo: MAML-RL (DiCE) on a grid-world goal family,
// one meta-iteration per macrotask so that control messages interleave with training.
// The page never computes: it only draws what this worker posts.
//
// Protocol (all messages are plain objects with a `type`):
//   page → worker
//     configure { settings }        (re)build family, environment, policy; fresh parameters
//     start                         meta-train until settings.iterations, then stop
//     pause                         stop after the current iteration
//     setTask { start, goal }       choose the test task ([row, col] each; any free cell)
//   worker → page
//     loaded { backend }            once this module has evaluated; send nothing before it (*)
//     ready { backend, layout, size, horizon, start, goal, trainGoals, testGoals, oodGoals, ood }
//     iteration { iteration, preReturn, postReturn, ms }
//     evaluation { iteration, task, steps, curve, scratchCurve, optimal, svgBefore, svgAfter, ms }
//     status { running, iteration }
//     error { message }
// (*) dist/index.js initialises the wasm backend with top-level await; messages that
//     arrive while a module worker is still evaluating can be dispatched before
//     `onmessage` exists and are lost, hence the handshake.
import { Rng, add, getBackend, mul, neg, treeMap, valueAndGrad } from '../dist/index.js';
import { adam } from '../dist/optim/index.js';
import {
  goalFamily, inQuadrant, positionOfState, renderSvg, tabularModel, VecEnv,
} from '../dist/rl/env/index.js';
import { tabularPolicy } from '../dist/rl/policy.js';
import { adaptationPath, taskMetaObjective } from '../dist/rl/mamlrl.js';
import { expectedReturn, optimalReturn } from '../dist/rl/oracle.js';

/** @typedef {readonly [number, number]} Position */

/**
 * @typedef {object} Settings
 * @property {'open' | 'fourRooms'} layout
 * @property {number} size           side of the map
 * @property {number} innerLr        inner step size α
 * @property {number} outerLr        Adam step of the outer loop
 * @property {number} metaBatchSize  tasks per meta-iteration
 * @property {number} episodes       episodes per inner and outer batch
 * @property {number} iterations     meta-iterations to run
 * @property {number} adaptSteps     inner steps shown on the test task
 * @property {number} seed
 */

/** @type {Settings} */
const DEFAULTS = {
  layout: 'open', size: 6, innerLr: 20, outerLr: 0.1, metaBatchSize: 10, episodes: 20, iterations: 150, adaptSteps: 3, seed: 0,
};
const OOD_QUADRANT = 'top-right';
/** Re-evaluate the test task every this many iterations while training. */
const EVALUATE_EVERY = 5;

/** Everything that depends on the settings; rebuilt by `configure`. */
let run = null;
let generation = 0;

self.onmessage = (event) => {
  const message = event.data;
  try {
    switch (message?.type) {
      case 'configure': configure({ ...DEFAULTS, ...message.settings }); break;
      case 'start': start(); break;
      case 'pause': if (run) run.running = false; postStatus(); break;
      case 'setTask': setTask(message.start, message.goal); break;
      default: throw new Error(`unknown message type ${JSON.stringify(message?.type)}`);
    }
  } catch (error) {
    post({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  }
};

function post(message) {
  self.postMessage(message);
}

function postStatus() {
  post({ type: 'status', running: Boolean(run?.running), iteration: run?.iteration ?? 0 });
}

/** @param {Settings} settings */
function configure(settings) {
  generation++;
  const family = goalFamily({ layout: settings.layout, size: settings.size, seed: settings.seed, oodQuadrant: OOD_QUADRANT });
  const layout = family.train[0].layout;
  const horizon = 2 * settings.size + 4;
  const env = new VecEnv({ map: layout, numEnvs: settings.episodes, maxSteps: horizon });
  const numStates = tabularModel(layout, family.train[0]).numStates;
  const policy = tabularPolicy({ numStates, numActions: env.numActions });
  const rng = new Rng(settings.seed);
  const params = policy.init(rng.split());
  const optimizer = adam({ lr: settings.outerLr });
  const start = family.train[0].starts[0];
  // Default test task: an out-of-distribution goal, the one farthest from the start.
  const goal = family.ood.map((t) => t.goals[0]).reduce((best, g) => (distance(g, start) > distance(best, start) ? g : best));
  run = {
    settings, family, layout, horizon, env, policy, rng, params, initialParams: params, optimizer,
    optimizerState: optimizer.init(params),
    adaptOptions: { innerLr: settings.innerLr, estimator: 'dice', baseline: 'state' },
    iteration: 0, running: false, task: makeTask(layout, start, goal),
  };
  post({
    type: 'ready',
    backend: getBackend().name,
    layout: { height: layout.height, width: layout.width, cells: Array.from(layout.cells) },
    size: settings.size,
    horizon,
    start, goal,
    trainGoals: family.train.map((t) => t.goals[0]),
    testGoals: family.test.map((t) => t.goals[0]),
    oodGoals: family.ood.map((t) => t.goals[0]),
    ood: OOD_QUADRANT,
    settings,
  });
  evaluate();
  postStatus();
}

function distance(a, b) {
  return Math.abs(a[0] - b[0]) + Math.abs(a[1] - b[1]);
}

function makeTask(layout, start, goal) {
  const task = { name: `start (${start.join(', ')}) goal (${goal.join(', ')})`, layout, starts: [start], goals: [goal] };
  const model = tabularModel(layout, task); // throws a readable GridWorldError for walls, unreachable goals, start = goal
  return { task, model, start, goal };
}

function setTask(start, goal) {
  if (!run) throw new Error('setTask before configure');
  run.task = makeTask(run.layout, start, goal);
  evaluate();
}

function start() {
  if (!run) throw new Error('start before configure');
  if (run.running) return;
  if (run.iteration >= run.settings.iterations) run.settings = { ...run.settings, iterations: run.iteration + run.settings.iterations };
  run.running = true;
  postStatus();
  const mine = generation;
  const tick = () => {
    if (mine !== generation || !run.running) return;
    metaIteration();
    if (run.iteration % EVALUATE_EVERY === 0 || run.iteration >= run.settings.iterations) evaluate();
    if (run.iteration >= run.settings.iterations) {
      run.running = false;
      postStatus();
      return;
    }
    setTimeout(tick, 0); // a macrotask boundary: pause/setTask/configure get through
  };
  setTimeout(tick, 0);
}

/** One MAML-RL meta-iteration (what `metaTrain` does per iteration, resumable). */
function metaIteration() {
  const t0 = performance.now();
  const { settings, family, env, policy, rng, adaptOptions } = run;
  const tasks = rng.shuffle(family.train.slice()).slice(0, Math.min(settings.metaBatchSize, family.train.length));
  const taskRngs = tasks.map(() => rng.split());
  let pre = 0;
  let post_ = 0;
  const meanObjective = (p) => {
    let total = null;
    tasks.forEach((task, i) => {
      env.setTasks(task);
      const r = taskMetaObjective(policy, p, env, taskRngs[i], adaptOptions);
      pre += r.preReturn / tasks.length;
      post_ += r.postReturn / tasks.length;
      total = total === null ? r.objective : add(total, r.objective);
    });
    return mul(total, 1 / tasks.length);
  };
  const [, gradient] = valueAndGrad(meanObjective)(run.params);
  // Adam minimises: ascend the meta-objective by handing it the negated gradient.
  ({ params: run.params, state: run.optimizerState } = run.optimizer.update(treeMap(gradient, (g) => neg(g)), run.optimizerState, run.params));
  run.iteration++;
  post({ type: 'iteration', iteration: run.iteration, preReturn: pre, postReturn: post_, ms: performance.now() - t0 });
}

/**
 * Adapts the current meta-parameters to the test task (sampled episodes, fixed seed so
 * that the same task always shows the same adaptation) and scores every step exactly.
 */
function evaluate() {
  const t0 = performance.now();
  const { env, policy, params, settings, horizon, adaptOptions } = run;
  const { task, model, start, goal } = run.task;
  env.setTasks(task);
  const path = adaptationPath(policy, params, env, settings.adaptSteps, new Rng(settings.seed + 1), adaptOptions);
  const score = (p) => expectedReturn(policy.stateLogits(p, model, env.observation), model, { horizon }).item();
  const curve = path.map(score);
  // The same adaptation from the untrained initial parameters: what meta-training buys.
  const scratchCurve = adaptationPath(policy, run.initialParams, env, settings.adaptSteps, new Rng(settings.seed + 1), adaptOptions).map(score);
  const draw = (p, id) => gridSvg(model, policy.stateLogits(p, model, env.observation).data, horizon, id);
  post({
    type: 'evaluation',
    iteration: run.iteration,
    task: { start, goal, ood: inQuadrant(model.map.height, model.map.width, goal, OOD_QUADRANT) },
    steps: settings.adaptSteps,
    curve,
    scratchCurve,
    optimal: optimalReturn(model, { horizon }),
    svgBefore: draw(path[0], 'before'),
    svgAfter: draw(path[path.length - 1], 'after'),
    ms: performance.now() - t0,
  });
}

const CELL = 48;
const STEP = [[-1, 0], [0, 1], [1, 0], [0, -1]]; // Up, Right, Down, Left (the model's action ids)

/**
 * The task as SVG (the library's renderer) with two overlays: the policy's most likely
 * action in every free cell (arrow opacity = its probability) and the greedy path.
 */
function gridSvg(model, logits, horizon, id) {
  const A = model.numActions;
  const probs = new Float64Array(logits.length);
  const best = new Int32Array(model.numStates);
  for (let s = 0; s < model.numStates; s++) {
    let max = -Infinity;
    for (let a = 0; a < A; a++) max = Math.max(max, logits[s * A + a]);
    let total = 0;
    for (let a = 0; a < A; a++) total += (probs[s * A + a] = Math.exp(logits[s * A + a] - max));
    for (let a = 0; a < A; a++) probs[s * A + a] /= total;
    for (let a = 1; a < A; a++) if (probs[s * A + a] > probs[s * A + best[s]]) best[s] = a;
  }
  // The greedy path: most likely action from the start until a terminal state, a repeated state or the horizon.
  let state = model.startStates[0];
  const trajectory = [positionOfState(model, state)];
  const seen = new Set([state]);
  for (let t = 0; t < horizon && !model.terminal[state]; t++) {
    state = model.next[state * A + best[state]];
    trajectory.push(positionOfState(model, state));
    if (seen.has(state)) break;
    seen.add(state);
  }
  const arrows = [];
  for (let s = 0; s < model.numStates; s++) {
    if (model.terminal[s]) continue;
    const [r, c] = positionOfState(model, s);
    const [dr, dc] = STEP[best[s]] ?? [0, 0];
    const cx = (c + 0.5) * CELL, cy = (r + 0.5) * CELL, len = CELL * 0.3;
    const opacity = Math.min(1, 0.15 + probs[s * A + best[s]]).toFixed(2);
    arrows.push(`<line class="policy-arrow" x1="${cx - dc * len * 0.5}" y1="${cy - dr * len * 0.5}" x2="${cx + dc * len}" y2="${cy + dr * len}" ` +
      `stroke="#5c6b7a" stroke-opacity="${opacity}" stroke-width="2" marker-end="url(#arrowhead-${id})"/>`);
  }
  const svg = renderSvg(model, { trajectory, cellSize: CELL });
  const defs = `<defs><marker id="arrowhead-${id}" viewBox="0 0 6 6" refX="3" refY="3" markerWidth="4" markerHeight="4" orient="auto">` +
    '<path d="M0,0 L6,3 L0,6 z" fill="#5c6b7a"/></marker></defs>';
  // The overlay goes last (on top): it only relies on the renderer's output ending with </svg>.
  const end = svg.lastIndexOf('</svg>');
  return `${svg.slice(0, end)}  ${defs}\n${arrows.map((a) => `  ${a}\n`).join('')}</svg>`;
}

post({ type: 'loaded', backend: getBackend().name });
