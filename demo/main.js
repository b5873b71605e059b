// The demo page: controls, grid boards and charts. All computation happens in
// ./worker.js (see its header for the message protocol); this thread only draws.
import { drawLineChart, smooth } from './plot.js';

const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const form = /** @type {HTMLFormElement} */ ($('controls'));
const status = $('status');
const boards = { before: $('board-before'), after: $('board-after') };
const charts = { meta: /** @type {SVGSVGElement} */ (/** @type {unknown} */ ($('chart-meta'))), adapt: /** @type {SVGSVGElement} */ (/** @type {unknown} */ ($('chart-adapt'))) };
const buttons = { start: $('start'), pause: $('pause'), reset: $('reset') };

/**
 * Page state, also read by the browser test (window.demo).
 * @type {{ ready: boolean, backend: string, running: boolean, iterations: {iteration:number, preReturn:number, postReturn:number, ms:number}[],
 *          evaluations: number, evaluation: any, world: any, errors: string[] }}
 */
const state = { ready: false, backend: '?', running: false, iterations: [], evaluations: 0, evaluation: null, world: null, errors: [] };
window.demo = state;

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
worker.onmessage = (event) => handle(event.data);
worker.onerror = (event) => fail(`worker failed to load: ${event.message ?? 'see the console'} (is dist/ built? run npm run build)`);

function handle(message) {
  switch (message.type) {
    case 'loaded':
      state.backend = message.backend;
      configure();
      break;
    case 'ready':
      Object.assign(state, { ready: true, backend: message.backend, world: message, iterations: [], evaluation: null });
      drawMetaChart();
      break;
    case 'iteration':
      state.iterations.push(message);
      drawMetaChart();
      break;
    case 'evaluation':
      state.evaluations++;
      state.evaluation = message;
      drawBoards();
      drawAdaptChart();
      break;
    case 'status':
      state.running = message.running;
      break;
    case 'error':
      fail(message.message);
      return;
  }
  updateStatus();
}

function fail(text) {
  state.errors.push(text);
  status.textContent = `⚠ ${text}`;
  status.classList.add('error');
}

function updateStatus() {
  status.classList.remove('error');
  const last = state.iterations.at(-1);
  const rate = last ? `, ${Math.round(recentMs())} ms / iteration` : '';
  const target = state.world?.settings?.iterations;
  status.textContent = `backend: ${state.backend} · iteration ${last?.iteration ?? 0}${target ? ` / ${target}` : ''}${rate} · ${state.running ? 'training…' : 'paused'}`;
  /** @type {HTMLButtonElement} */ (buttons.start).disabled = state.running || !state.ready;
  /** @type {HTMLButtonElement} */ (buttons.pause).disabled = !state.running;
}

function recentMs() {
  const recent = state.iterations.slice(-10);
  return recent.reduce((a, r) => a + r.ms, 0) / recent.length;
}

function settingsFromForm() {
  const data = new FormData(form);
  const num = (name) => Number(data.get(name));
  return {
    layout: String(data.get('layout')),
    size: num('size'),
    iterations: num('iterations'),
    metaBatchSize: num('metaBatchSize'),
    innerLr: num('innerLr'),
    adaptSteps: num('adaptSteps'),
  };
}

function configure() {
  const settings = settingsFromForm();
  // The four-rooms layout needs an odd side.
  if (settings.layout === 'fourRooms' && settings.size % 2 === 0) settings.size += 1;
  state.ready = false;
  state.iterations = [];
  $('steps-label').textContent = String(settings.adaptSteps);
  worker.postMessage({ type: 'configure', settings });
}

buttons.start.addEventListener('click', () => worker.postMessage({ type: 'start' }));
buttons.pause.addEventListener('click', () => worker.postMessage({ type: 'pause' }));
buttons.reset.addEventListener('click', configure);

// ---- boards ------------------------------------------------------------------------

function drawBoards() {
  const e = state.evaluation;
  const w = state.world;
  if (!e || !w) return;
  for (const [key, svgText] of [['before', e.svgBefore], ['after', e.svgAfter]]) {
    const board = boards[key];
    board.innerHTML = svgText;
    const svg = /** @type {SVGSVGElement} */ (board.querySelector('svg'));
    svg.removeAttribute('width');
    svg.removeAttribute('height');
    svg.classList.add('grid');
    svg.insertAdjacentHTML('beforeend', overlay(w));
  }
  const info = $('task-info');
  const { start, goal, ood } = e.task;
  info.textContent = `Test task: start (${start.join(', ')}), goal (${goal.join(', ')})` +
    `${ood ? ' — out of distribution' : state.world.trainGoals.some((g) => same(g, goal)) ? ' — a meta-training goal' : ' — held-out goal'}` +
    ` · return ${e.curve[0].toFixed(2)} → ${e.curve.at(-1).toFixed(2)} (optimal ${e.optimal.toFixed(2)}) · evaluated at iteration ${e.iteration}`;
}

/** Marks the meta-training goals (dots) and the out-of-distribution region (hatched). */
function overlay(world) {
  const cell = 48; // the worker's cell size
  const parts = ['<g class="overlay" pointer-events="none">'];
  for (const [r, c] of world.oodGoals) parts.push(`<rect class="ood" x="${c * cell}" y="${r * cell}" width="${cell}" height="${cell}"/>`);
  for (const [r, c] of world.trainGoals) parts.push(`<circle class="train-goal" cx="${(c + 0.5) * cell}" cy="${(r + 0.5) * cell}" r="3"/>`);
  parts.push('</g>');
  return parts.join('');
}

function same(a, b) {
  return a[0] === b[0] && a[1] === b[1];
}

for (const board of Object.values(boards)) {
  board.addEventListener('click', (event) => {
    const svg = board.querySelector('svg');
    const w = state.world;
    const e = state.evaluation;
    if (!svg || !w || !e) return;
    const rect = svg.getBoundingClientRect();
    const col = Math.floor(((event.clientX - rect.left) / rect.width) * w.layout.width);
    const row = Math.floor(((event.clientY - rect.top) / rect.height) * w.layout.height);
    if (row < 0 || col < 0 || row >= w.layout.height || col >= w.layout.width) return;
    if (w.layout.cells[row * w.layout.width + col] !== 0) {
      fail(`(${row}, ${col}) is not a free cell`);
      return;
    }
    const which = new FormData(form).get('clickSets');
    const start = which === 'start' ? [row, col] : e.task.start;
    const goal = which === 'goal' ? [row, col] : e.task.goal;
    if (same(start, goal)) {
      fail('start and goal must differ');
      return;
    }
    worker.postMessage({ type: 'setTask', start, goal });
  });
}

// ---- charts ------------------------------------------------------------------------

function drawMetaChart() {
  const pre = state.iterations.map((r) => [r.iteration, r.preReturn]);
  const post = state.iterations.map((r) => [r.iteration, r.postReturn]);
  const target = state.world?.settings?.iterations ?? 1;
  drawLineChart(charts.meta, {
    xLabel: 'meta-iteration', yLabel: 'mean return', xDomain: [0, Math.max(target, pre.length)],
    yDomain: [-0.3, 1],
    series: [
      { label: 'before', color: '#9aa6b2', points: pre, width: 1, opacity: 0.45, legend: false },
      { label: 'after', color: '#f58518', points: post, width: 1, opacity: 0.35, legend: false },
      { label: 'before adaptation', color: '#5c6b7a', points: smooth(pre), width: 2.5 },
      { label: 'after 1 inner step', color: '#e4572e', points: smooth(post), width: 2.5 },
    ],
  });
}

function drawAdaptChart() {
  const e = state.evaluation;
  if (!e) return;
  const curve = e.curve.map((y, k) => [k, y]);
  drawLineChart(charts.adapt, {
    xLabel: 'inner steps on the test task', yLabel: 'expected return', xDomain: [0, e.steps], integerX: true,
    yDomain: [Math.min(-0.3, ...e.curve, ...e.scratchCurve), 1],
    series: [
      { label: 'optimal', color: '#54a24b', points: [[0, e.optimal], [e.steps, e.optimal]], dash: '6 4', width: 1.5 },
      { label: 'from scratch', color: '#9aa6b2', points: e.scratchCurve.map((y, k) => [k, y]), markers: true, width: 2, dash: '3 3' },
      { label: `meta-learned init (iteration ${e.iteration})`, color: '#e4572e', points: curve, markers: true, width: 2.5 },
    ],
  });
}

drawMetaChart();
updateStatus();
