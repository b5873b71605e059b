/**
 * Errors of `jit`: a traced function broke one of the tracing rules (it read a value,
 * returned a tensor of an enclosing transform, took an argument jit cannot key on).
 * The message names the op or argument and says what to do instead.
 *
 * @example
 * ```ts
 * const f = jit((x: Tensor) => (x.sum().item() > 0 ? x : neg(x)));
 * f(tensor([1, 2])); // throws JitError: jit: item() reads the value of a traced tensor … compute with ops instead (where(cond, a, b) for a branch)
 * ```
 */
export class JitError extends Error {
  override name = 'JitError';
}
