/**
 * Typed errors. Every message names the op (or option) and the offending values,
 * so a user can tell from one line what to fix.
 */

/**
 * Incompatible or invalid shapes, axes or indices.
 * @example
 * ```ts
 * try { matmul(zeros([2, 3]), zeros([2, 3])); }
 * catch (e) { if (e instanceof ShapeError) console.log(e.message); } // 'matmul: inner dimensions differ: [2, 3] @ [2, 3] (3 vs 2)'
 * ```
 */
export class ShapeError extends Error {
  override name = 'ShapeError';
}

/**
 * Mixed or unsupported dtypes. Ops never convert silently: cast one operand.
 * @example
 * ```ts
 * const x = tensor([1]), y = tensor([1], [1], 'float64');
 * add(x, y);             // throws DTypeError: add: mixed dtypes float32 [1] and float64 [1]; …
 * add(x.astype('float64'), y);
 * ```
 */
export class DTypeError extends Error {
  override name = 'DTypeError';
}

/**
 * A tree (nested arrays / objects of tensors) that does not have the expected structure.
 * The message gives the path of the offending leaf.
 * @example
 * ```ts
 * treeLeaves({ w: tensor([1]), n: 3 }); // throws TreeError: tree leaf at $.n is number 3, expected a Tensor …
 * ```
 */
export class TreeError extends Error {
  override name = 'TreeError';
}

/**
 * Thrown in anomaly mode at the first op that produces NaN or Inf, naming the op and
 * whether it was the forward or a backward pass.
 * @example
 * ```ts
 * withAnomalyDetection(() => log(tensor([-1]))); // throws AnomalyError: anomaly: op 'log' (forward) produced NaN …
 * ```
 */
export class AnomalyError extends Error {
  override name = 'AnomalyError';
}

/**
 * Bad arguments to a transform such as `grad` (non-scalar output, bad argnums).
 * @example
 * ```ts
 * grad((x: Tensor) => mul(x, 2))(tensor([1, 2])); // throws GradError: grad: f must return a scalar …; reduce it (e.g. sum or mean) or use vjp
 * ```
 */
export class GradError extends Error {
  override name = 'GradError';
}
