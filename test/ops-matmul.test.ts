/**
 * matmul with NumPy batch broadcasting and 1-D operands, and matmulT in all four
 * transpose variants: forward values against a naive reference, gradients at
 * orders 1 and 2, NaN propagation.
 */
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import { Tensor, tensor, zeros, grad, sum, matmul, matmulT, transpose } from '../src/index.ts';
import { add, mul } from '../src/index.ts';
import { gemm } from '../src/ops/gemm.ts';
import { allclose } from './helpers.ts';
import { assertGrads, eachBackend, normal, probe } from './engine-helpers.ts';

/** NumPy matmul on flat data, in float64. */
function refMatmul(a: Tensor, b: Tensor): { shape: number[]; data: number[] } {
  const as = a.rank === 1 ? [1, a.shape[0]!] : [...a.shape];
  const bs = b.rank === 1 ? [b.shape[0]!, 1] : [...b.shape];
  const [m, k] = as.slice(-2) as [number, number];
  const n = bs[bs.length - 1]!;
  const ba = as.slice(0, -2), bb = bs.slice(0, -2);
  const rank = Math.max(ba.length, bb.length);
  const pa = [...new Array<number>(rank - ba.length).fill(1), ...ba];
  const pb = [...new Array<number>(rank - bb.length).fill(1), ...bb];
  const batch = pa.map((d, i) => Math.max(d, pb[i]!));
  const nb = batch.reduce((p, d) => p * d, 1);
  const data: number[] = [];
  for (let t = 0; t < nb; t++) {
    // batch index → operand batch offsets (size-1 axes broadcast)
    let rem = t, oa = 0, ob = 0, sa = 1, sb = 1;
    for (let d = rank - 1; d >= 0; d--) {
      const i = rem % batch[d]!;
      rem = Math.floor(rem / batch[d]!);
      oa += (pa[d] === 1 ? 0 : i) * sa; sa *= pa[d]!;
      ob += (pb[d] === 1 ? 0 : i) * sb; sb *= pb[d]!;
    }
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a.data[oa * m * k + i * k + p]! * b.data[ob * k * n + p * n + j]!;
        data.push(s);
      }
    }
  }
  const shape = [...batch];
  if (a.rank !== 1) shape.push(m);
  if (b.rank !== 1) shape.push(n);
  return { shape, data };
}

const cases: [number[], number[]][] = [
  [[2, 3], [3, 4]],
  [[2, 3, 4], [4, 5]], // [T,K,I] @ [I,O]
  [[2, 3, 4], [2, 4, 5]], // [T,K,I] @ [T,I,O]
  [[2, 1, 3, 4], [3, 4, 2]], // [2,1,K,I] @ [3,I,O]
  [[3, 4], [2, 4, 5]],
  [[1, 3, 4], [2, 4, 2]],
  [[4], [4]],
  [[4], [4, 5]],
  [[3, 4], [4]],
  [[4], [2, 4, 5]],
  [[2, 3, 4], [4]],
  [[1, 1], [1, 1]],
];

eachBackend('matmul: hand-computed product and method', () => {
  const a = tensor([[1, 2], [3, 4]]), b = tensor([[5, 6], [7, 8]]);
  assert.equal(matmul(a, b).toArray(), [[19, 22], [43, 50]]);
  assert.equal(a.matmul(b).toArray(), [[19, 22], [43, 50]]);
  assert.equal(matmul(tensor([1, 2, 3]), tensor([4, 5, 6])).toArray(), 32);
  assert.equal(matmul(tensor([1, 2]), a).toArray(), [7, 10]);
  assert.equal(matmul(a, tensor([1, 2])).toArray(), [5, 11]);
  assert.equal(matmul(zeros([2, 0]), zeros([0, 3])).toArray(), [[0, 0, 0], [0, 0, 0]]);
});

eachBackend('matmul: batch broadcasting and 1-D operands against a reference, float32 and float64', () => {
  for (const [sa, sb] of cases) {
    const what = `${JSON.stringify(sa)} @ ${JSON.stringify(sb)}`;
    const a = normal(1, sa).astype('float32'), b = normal(2, sb).astype('float32');
    const ref = refMatmul(a, b);
    const y = matmul(a, b);
    assert.equal(y.shape, ref.shape, `${what} shape`);
    assert.is(y.dtype, 'float32');
    allclose(y, ref.data, 1e-5, 1e-6, what);
    const a64 = normal(3, sa), b64 = normal(4, sb);
    allclose(matmul(a64, b64), refMatmul(a64, b64).data, 1e-13, 1e-14, `${what} float64`);
  }
});

eachBackend('matmul: gradient orders 1 and 2, with broadcasting and 1-D operands', () => {
  for (const [sa, sb] of cases) {
    assertGrads(`${JSON.stringify(sa)} @ ${JSON.stringify(sb)}`, (a, b) => probe(matmul(a, b)), [normal(5, sa), normal(6, sb)]);
  }
});

eachBackend('matmul: closed-form gradient of sum(A·B)', () => {
  const a = normal(7, [2, 3]), b = normal(8, [3, 4]);
  const [ga, gb] = grad((x: Tensor, y: Tensor) => sum(matmul(x, y)), { argnums: [0, 1] })(a, b) as Tensor[];
  // d/dA_ip = Σ_j B_pj ; d/dB_pj = Σ_i A_ip
  const rowSums = [0, 1, 2].map((p) => [0, 1, 2, 3].reduce((s, j) => s + b.data[p * 4 + j]!, 0));
  const colSums = [0, 1, 2].map((p) => [0, 1].reduce((s, i) => s + a.data[i * 3 + p]!, 0));
  allclose(ga!, [rowSums, rowSums], 1e-14, 1e-15);
  allclose(gb!, colSums.map((c) => [c, c, c, c]), 1e-14, 1e-15);
});

/** Stored operands for op(A) [.., m, k] and op(B) [.., k, n] under each transpose flag. */
const variants: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];

eachBackend('matmulT: all four transpose variants, with batch broadcasting', () => {
  const shapes: [number[], number[]][] = [[[3, 4], [4, 5]], [[2, 3, 4], [4, 5]], [[2, 1, 3, 4], [3, 4, 2]], [[2, 3, 4], [2, 4, 5]]];
  for (const [ta, tb] of variants) {
    for (const [sa, sb] of shapes) {
      const what = `transA=${ta} transB=${tb} ${JSON.stringify(sa)} ${JSON.stringify(sb)}`;
      // logical operands, then stored in the layout the flags expect
      const A = normal(9, sa), B = normal(10, sb);
      const storedA = ta ? transpose(A, swapLast(sa.length)) : A;
      const storedB = tb ? transpose(B, swapLast(sb.length)) : B;
      const ref = refMatmul(A, B);
      const y = matmulT(storedA, storedB, ta, tb);
      assert.equal(y.shape, ref.shape, what);
      allclose(y, ref.data, 1e-13, 1e-14, what);
      const y32 = matmulT(storedA.astype('float32'), storedB.astype('float32'), ta, tb);
      allclose(y32, refMatmul(A.astype('float32'), B.astype('float32')).data, 1e-5, 1e-6, `${what} float32`);
      assertGrads(what, (a, b) => probe(matmulT(a, b, ta, tb)), [storedA, storedB]);
    }
  }
});

eachBackend('gemm: C + alpha·op(A)·op(B) equals its unfused ops, with gradients at orders 1 and 2 in every operand', () => {
  const shapes: [number[], number[]][] = [[[3, 4], [4, 5]], [[2, 3, 4], [4, 5]], [[2, 3, 4], [2, 4, 5]], [[1, 17], [17, 3]]];
  for (const [ta, tb] of variants) {
    for (const [sa, sb] of shapes) {
      for (const alpha of [1, -0.37]) {
        const A = normal(11, sa), B = normal(12, sb);
        const storedA = ta ? transpose(A, swapLast(sa.length)) : A;
        const storedB = tb ? transpose(B, swapLast(sb.length)) : B;
        const product = matmulT(storedA, storedB, ta, tb);
        const C = normal(13, product.shape);
        const what = `gemm transA=${ta} transB=${tb} ${JSON.stringify(sa)} ${JSON.stringify(sb)} alpha=${alpha}`;
        // float32: the same bits as the three ops, which round after each step.
        const [a32, b32, c32] = [storedA, storedB, C].map((x) => x.astype('float32'));
        const unfused = add(c32!, mul(matmulT(a32!, b32!, ta, tb), alpha));
        assert.equal(Array.from(gemm(a32!, b32!, c32!, alpha, ta, tb).data), Array.from(unfused.data), `${what}: float32 bits`);
        assert.equal(Array.from(gemm(a32!, b32!, null, alpha, ta, tb).data), Array.from(mul(matmulT(a32!, b32!, ta, tb), alpha).data), `${what}: float32 bits, no addend`);
        allclose(gemm(storedA, storedB, C, alpha, ta, tb), Array.from(add(C, mul(product, alpha)).data), 1e-14, 1e-14, what);
        assertGrads(what, (a, b, c) => probe(gemm(a, b, c, alpha, ta, tb)), [storedA, storedB, C]);
        assertGrads(`${what} no addend`, (a, b) => probe(gemm(a, b, null, alpha, ta, tb)), [storedA, storedB]);
      }
    }
  }
  assert.throws(() => gemm(normal(1, [2, 3]), normal(2, [3, 4]), normal(3, [2, 3])), /gemm: addend \[2, 3\] must have the product's shape \[2, 4\]/);
  assert.throws(() => gemm(normal(1, [2, 3]), normal(2, [4, 4]), null), /inner dimensions differ/);
});

function swapLast(rank: number): number[] {
  const p = Array.from({ length: rank }, (_, i) => i);
  [p[rank - 2], p[rank - 1]] = [rank - 1, rank - 2];
  return p;
}

eachBackend('matmul: NaN and Inf propagate (0 · Inf is NaN)', () => {
  allclose(matmul(tensor([[0, 1]]), tensor([[NaN, 2], [1, 1]])), [[NaN, 1]]);
  allclose(matmul(tensor([[0, 1]]), tensor([[Infinity], [1]])), [[NaN]]);
  allclose(matmul(tensor([[2, 1]]), tensor([[Infinity], [1]])), [[Infinity]]);
  allclose(matmulT(tensor([[0, 1]]), tensor([[Infinity, 1]]), false, true), [[NaN]]);
  allclose(matmul(tensor([[0, 1]], [1, 2], 'float64'), tensor([[Infinity], [1]], [2, 1], 'float64')), [[NaN]]);
});

test.run();
