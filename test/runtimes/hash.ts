/**
 * FNV-1a (64-bit) over the bytes of typed arrays: a fingerprint of results that is
 * the same in every runtime. Pure arithmetic on doubles below 2^53 (no BigInt, no
 * crypto.subtle, which browsers only give secure contexts).
 */

const TWO32 = 4294967296;

/** An incremental 64-bit FNV-1a; `hex()` is 16 lowercase hex digits. */
export class Fnv64 {
  // The state as two 32-bit halves; offset basis 0xcbf29ce484222325.
  private hi = 0xcbf29ce4;
  private lo = 0x84222325;

  /** Feeds every byte of the view (a Float32Array is hashed by its IEEE bits). */
  update(view: ArrayBufferView): this {
    const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    let { hi, lo } = this;
    for (let i = 0; i < bytes.length; i++) {
      lo = (lo ^ bytes[i]!) >>> 0;
      // (hi·2^32 + lo) · (2^40 + 0x1b3) mod 2^64; every product stays below 2^53.
      const low = lo * 0x1b3;
      const carry = Math.floor(low / TWO32);
      hi = (hi * 0x1b3 + carry + (lo & 0xffffff) * 256) % TWO32;
      lo = low % TWO32;
    }
    this.hi = hi;
    this.lo = lo;
    return this;
  }

  /** Feeds a number as its float64 bits (so `-0`, `NaN` payloads and the last ulp count). */
  updateNumber(x: number): this {
    return this.update(new Float64Array([x]));
  }

  hex(): string {
    return this.hi.toString(16).padStart(8, '0') + this.lo.toString(16).padStart(8, '0');
  }
}

/** The FNV-1a 64 hex digest of the concatenated bytes of `views`. */
export function fnv64(...views: ArrayBufferView[]): string {
  const h = new Fnv64();
  for (const v of views) h.update(v);
  return h.hex();
}
