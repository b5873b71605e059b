/** Finding what to transfer (not copy) when a job's arguments or result cross threads. */

/**
 * The distinct `ArrayBuffer`s behind every typed array (and bare `ArrayBuffer`) inside
 * `value`, walking arrays and plain objects. Transferring them moves the memory to the
 * other thread: the sender's arrays become empty (length 0) afterwards, with every array
 * sharing one of those buffers (views of a tensor, the outputs of one jitted call).
 *
 * @example
 * ```ts
 * const args = { x: new Float32Array(1000), y: [new Int32Array(3)] };
 * transferablesOf(args); // [x.buffer, y[0].buffer]
 * ```
 */
export function transferablesOf(value: unknown): ArrayBuffer[] {
  const found = new Set<ArrayBuffer>();
  const seen = new Set<object>();
  const walk = (v: unknown): void => {
    if (v === null || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    if (v instanceof ArrayBuffer) { found.add(v); return; }
    if (ArrayBuffer.isView(v)) {
      if (v.buffer instanceof ArrayBuffer && v.buffer.byteLength > 0) found.add(v.buffer);
      return;
    }
    if (Array.isArray(v)) { for (const x of v) walk(x); return; }
    if (v instanceof Map) { for (const [k, x] of v) { walk(k); walk(x); } return; }
    for (const x of Object.values(v)) walk(x);
  };
  walk(value);
  return [...found];
}
