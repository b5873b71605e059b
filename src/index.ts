/**
 * metagrad: float32 tensors, autodiff of any order, WebAssembly SIMD kernels and
 * the MAML family, in one dependency-free package for Node, Deno and browsers.
 *
 * @example
 * ```ts
 * import { tensor, grad, sum, pow, type Tensor } from 'metagrad';
 * const f = (x: Tensor) => sum(pow(x, 3));
 * // Third derivative of Σx³: each grad's result is summed back to a scalar first.
 * grad((x: Tensor) => sum(grad((y: Tensor) => sum(grad(f)(y)))(x)))(tensor([1, 2])).toArray(); // [6, 6]
 * ```
 * @packageDocumentation
 */
export * from './core.ts';

// The common case: the wasm backend is selected before the importer's first line runs
// (instantiation is asynchronous, as browsers refuse large synchronous compiles). Where
// WebAssembly SIMD is missing the TS reference stays selected. For a synchronous import,
// use 'metagrad/core' and `await ready()` when convenient.
import { ready } from './backend/ready.ts';
await ready();
