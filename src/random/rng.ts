/**
 * Explicit, seeded random number generation.
 *
 * `Rng` is xoshiro128** over 32-bit integer arithmetic (`Math.imul`, shifts), so the
 * same seed yields the same bits in every JavaScript runtime. Normal draws use
 * Box–Muller with `Math.log`/`Math.cos`/`Math.sqrt`; Node, Deno and Chromium share
 * V8's implementations of these, so they agree bit for bit across the three.
 *
 * There is no global generator: every function that draws takes an `Rng`.
 *
 * @example
 * ```ts
 * const rng = new Rng(42);
 * const a = rng.uniform();      // in [0, 1)
 * const child = rng.split();    // independent stream, parent advanced
 * ```
 */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number | readonly number[]) {
    if (typeof seed === 'number') {
      if (!Number.isFinite(seed)) throw new RangeError(`Rng: seed must be a finite number, got ${seed}`);
      // splitmix32 expands one seed into four well-mixed state words.
      let x = (Math.floor(seed) >>> 0) ^ Math.floor(seed / 4294967296) * 0x9e3779b9;
      const next = (): number => {
        x = (x + 0x9e3779b9) | 0;
        let z = x;
        z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
        z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
        return (z ^ (z >>> 16)) >>> 0;
      };
      this.s0 = next(); this.s1 = next(); this.s2 = next(); this.s3 = next();
    } else {
      if (seed.length !== 4 || seed.some((w) => !Number.isInteger(w))) {
        throw new RangeError(`Rng: state must be four 32-bit integers, got [${seed.join(', ')}]`);
      }
      [this.s0, this.s1, this.s2, this.s3] = seed.map((w) => w >>> 0) as [number, number, number, number];
    }
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // the all-zero state is a fixed point
  }

  /** The generator's state, to save in a checkpoint and restore with `new Rng(state)`. */
  state(): [number, number, number, number] {
    return [this.s0, this.s1, this.s2, this.s3];
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A double in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A double in [low, high). */
  uniformIn(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** A standard normal draw (Box–Muller; consumes two uniforms). */
  normal(): number {
    const u1 = 1 - this.uniform(); // (0, 1]: log stays finite
    const u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** A uniform integer in [0, n). Unbiased (rejection sampling). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 4294967296) {
      throw new RangeError(`Rng.int: n must be an integer in [1, 2^32], got ${n}`);
    }
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const r = this.nextUint32();
      if (r < limit) return r % n;
    }
  }

  /** Samples an index from unnormalised non-negative weights `p[offset .. offset+n)`. */
  categorical(p: ArrayLike<number>, offset = 0, n = p.length - offset): number {
    let total = 0;
    for (let i = 0; i < n; i++) total += p[offset + i]!;
    let u = this.uniform() * total;
    for (let i = 0; i < n - 1; i++) {
      u -= p[offset + i]!;
      if (u < 0) return i;
    }
    return n - 1;
  }

  /** A Fisher–Yates shuffle of `array` in place; returns it. */
  shuffle<T>(array: T[]): T[] {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = array[i]!;
      array[i] = array[j]!;
      array[j] = tmp;
    }
    return array;
  }

  /** A new generator seeded from this one's stream (this one advances). */
  split(): Rng {
    return new Rng([this.nextUint32(), this.nextUint32(), this.nextUint32(), this.nextUint32()]);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
