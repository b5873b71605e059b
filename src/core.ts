/**
 * Every public name of metagrad, with no top-level await: `import 'metagrad/core'`
 * loads synchronously and runs on the TS reference backend until {@link ready} has
 * instantiated the wasm kernels. `import 'metagrad'` (src/index.ts) is this module plus
 * that await, which is what most programs want.
 *
 * @module
 */

export type { Backend, DType, Shape, Storage, MatmulSpec } from './backend/backend.ts';
export { setBackend, getBackend, listBackends, registerBackend } from './backend/registry.ts';
export { tsBackend } from './backend/ts.ts';

export { Tensor, type NestedArray, type Operand } from './tensor/tensor.ts';
export {
  tensor, scalar, zeros, ones, full, zerosLike, onesLike, arange, linspace, eye, randomUniform, randomNormal,
} from './tensor/create.ts';
export { ShapeError, DTypeError, TreeError, AnomalyError, GradError } from './tensor/errors.ts';
export { Rng } from './random/rng.ts';
export { confidenceInterval, type Interval, type MeanInterval } from './stats/interval.ts';

export * from './ops/index.ts';

export { grad, valueAndGrad, vjp, jvp, hvp, treeVdot, type GradOptions } from './autodiff/transforms.ts';
export { vmap, VmapError, type VmapOptions, type AxisSpec } from './autodiff/vmap.ts';
export { jacobian, hessian, type JacobianOptions } from './autodiff/jacobian.ts';
export { noGrad, withAnomalyDetection } from './autodiff/primitive.ts';
export { recycling } from './autodiff/recycle.ts';
export { checkpoint } from './autodiff/checkpoint.ts';
export { jit, JitError, type JitOptions, type Jitted, type Lowered } from './jit/index.ts';
export { treeMap, treeLeaves, treeZip, treeCopy, type Tree } from './autodiff/tree.ts';
export { checkGrad, type CheckGradOptions, type CheckGradReport } from './autodiff/checkgrad.ts';
export {
  saveTree, loadTree, treeToJSON, treeFromJSON, saveOptimizerState, loadOptimizerState, SerializationError,
  type SaveableTree, type Saveable, type TreeJSON, type LoadTreeOptions, type SavedContent,
} from './io/tree-codec.ts';

export * from './nn/index.ts';
export * from './optim/index.ts';
export * from './meta/index.ts';
export * from './rl/index.ts';
export * as continual from './continual/index.ts';
export * as explore from './explore/index.ts';

export { initWasm, wasmMemoryBytes, type WasmOptions } from './backend/wasm/index.ts';

export {
  createPool, runJobs, registerJob, lookupJob, registeredJobs, availableCores, JobError, describeArgs, transferablesOf,
  type JobSpec, type JobContext, type JobFunction, type JobOutcome, type JobFailure, type Pool, type PoolOptions, type RunOptions,
} from './parallel/index.ts';

export { ready } from './backend/ready.ts';
