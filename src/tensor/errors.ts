/**
 * Typed errors. Every message names the op (or option) and the offending values,
 * so a user can tell from one line what to fix.
 */

/** Incompatible or invalid shapes, axes or indices. */
export class ShapeError extends Error {
  override name = 'ShapeError';
}

/** Mixed or unsupported dtypes. */
export class DTypeError extends Error {
  override name = 'DTypeError';
}

/** A tree (nested arrays / objects of tensors) that does not have the expected structure. */
export class TreeError extends Error {
  override name = 'TreeError';
}

/** Thrown in anomaly mode at the first op that produces NaN or Inf. */
export class AnomalyError extends Error {
  override name = 'AnomalyError';
}

/** Bad arguments to a transform such as `grad` (non-scalar output, bad argnums). */
export class GradError extends Error {
  override name = 'GradError';
}
