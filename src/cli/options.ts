/**
 * Option rows shared by several commands, and the preparation every training or
 * evaluating command does before computing anything: select the backend and make sure
 * the output folder is writable (so bad input never leaves half-written output).
 */
import type { OptionSpec, ParsedArgs } from './args.ts';
import { UsageError } from './args.ts';
import { ensureWritableDir, IoError } from '../io/atomic.ts';
import { BACKEND_CHOICES, selectBackend, type BackendChoice } from './runtime.ts';
import type { ProgressMode } from './progress.ts';

/** Options of every command that writes a run's outputs (`checkpoint`: whether it writes checkpoint.json too). */
export function outputOptions(defaultOut: string, { checkpoint = true } = {}): OptionSpec[] {
  const files = checkpoint ? 'results.json, report.html and checkpoint.json' : 'results.json and report.html';
  return [
    { name: 'out', short: 'o', type: 'string', default: defaultOut, placeholder: 'DIR', description: `output folder for ${files}` },
    { name: 'json', type: 'boolean', description: 'print results as JSON on stdout (progress stays on stderr)' },
    { name: 'progress', type: 'choice', choices: ['auto', 'bar', 'lines', 'none'], default: 'auto', description: 'progress on stderr: live bar on a terminal, plain lines otherwise' },
    { name: 'backend', type: 'choice', choices: BACKEND_CHOICES, default: 'auto', description: 'compute backend (auto: wasm if it loads, else ts; wasm-relaxed: the fused multiply-add kernels, faster where FMA is, last bits differ from wasm)' },
  ];
}

/** The seed row. */
export const SEED_OPTION: OptionSpec = { name: 'seed', short: 's', type: 'int', min: 0, max: 4294967295, default: 0, description: 'random seed (same seed, same numbers)' };

/** Options of the training commands (defaults differ per command). */
export function trainingOptions(d: { iterations: number; metaBatch: number; innerSteps: number; innerLr: number; outerLr: number; evalSteps: number }): OptionSpec[] {
  return [
    SEED_OPTION,
    { name: 'iterations', short: 'n', type: 'int', min: 1, default: d.iterations, description: 'meta-training iterations' },
    { name: 'meta-batch', short: 'b', type: 'int', min: 1, default: d.metaBatch, description: 'tasks per meta-iteration' },
    { name: 'inner-steps', type: 'int', min: 1, max: 100, default: d.innerSteps, description: 'inner-loop gradient steps during meta-training' },
    { name: 'inner-lr', type: 'number', above: 0, default: d.innerLr, description: 'inner-loop step size' },
    { name: 'outer-lr', type: 'number', above: 0, default: d.outerLr, description: 'outer (meta) optimiser step size' },
    { name: 'eval-steps', short: 'k', type: 'int', min: 1, max: 100, default: d.evalSteps, description: 'adaptation steps k shown in the evaluation' },
    { name: 'checkpoint-every', type: 'int', min: 0, default: 0, description: 'also save checkpoint.json every N iterations (0: only at the end)' },
    { name: 'resume', type: 'string', placeholder: 'FILE', description: 'continue training from a checkpoint.json (up to --iterations)' },
  ];
}

/** What {@link prepareOutput} settled. */
export interface Prepared {
  readonly backend: string;
  readonly out: string;
  readonly json: boolean;
  readonly progress: ProgressMode;
}

/** Selects the backend and checks the output folder; throws UsageError on bad input. */
export async function prepareOutput(args: ParsedArgs): Promise<Prepared> {
  const out = String(args.values['out']);
  const backend = await selectBackend(args.values['backend'] as BackendChoice);
  try {
    ensureWritableDir(out);
  } catch (e) {
    if (e instanceof IoError) throw new UsageError(e.message);
    throw e;
  }
  return { backend, out, json: args.values['json'] === true, progress: args.values['progress'] as ProgressMode };
}
