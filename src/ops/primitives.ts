/**
 * The table of all primitives, keyed by name. Typed over the primitive names so that
 * adding a name without its definition (forward and derivative rule) is a compile
 * error; `jit`'s sets of op names are typed over the same names (a misspelt name is a
 * compile error too), and test/api-docs.test.ts checks that every primitive an op
 * module defines is listed here under its own name.
 */
import type { MultiPrimitiveDef, PrimitiveDef } from '../autodiff/primitive.ts';
import * as e from './elementwise.ts';
import * as r from './reduce.ts';
import * as m from './movement.ts';
import { matmulPrim } from './matmul.ts';
import { activationGradPrim, densePrim } from './dense.ts';
import { addProductPrim, addScaledPrim } from './axpy.ts';
import { gemmPrim } from './gemm.ts';
import { convInputGradPrim, convPrim, convWeightGradPrim, foldPrim, unfoldPrim } from './conv.ts';
import { gatherAdjointPrim, gatherPrim } from './gather.ts';

export type PrimitiveName =
  | 'neg' | 'exp' | 'log' | 'sin' | 'cos' | 'tanh' | 'sqrt' | 'abs' | 'sign' | 'sigmoid' | 'relu' | 'step'
  | 'square' | 'reciprocal' | 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum'
  | 'gt' | 'ge' | 'lt' | 'le' | 'eq' | 'where' | 'cast'
  | 'sum' | 'max' | 'min'
  | 'reshape' | 'broadcastTo' | 'transpose' | 'slice' | 'pad' | 'concat' | 'split' | 'take' | 'scatterAdd' | 'gather' | 'gatherAdjoint'
  | 'unfold2d' | 'fold2d' | 'conv2d' | 'conv2dInputGrad' | 'conv2dWeightGrad'
  | 'matmul' | 'gemm' | 'dense' | 'activationGrad' | 'addScaled' | 'addProduct';

export const primitives: { readonly [K in PrimitiveName]: PrimitiveDef<any> | MultiPrimitiveDef<any> } = {
  neg: e.negPrim, exp: e.expPrim, log: e.logPrim, sin: e.sinPrim, cos: e.cosPrim, tanh: e.tanhPrim,
  sqrt: e.sqrtPrim, abs: e.absPrim, sign: e.signPrim, sigmoid: e.sigmoidPrim, relu: e.reluPrim, step: e.stepPrim,
  square: e.squarePrim, reciprocal: e.reciprocalPrim, add: e.addPrim, sub: e.subPrim, mul: e.mulPrim,
  div: e.divPrim, pow: e.powPrim, maximum: e.maximumPrim, minimum: e.minimumPrim,
  gt: e.gtPrim, ge: e.gePrim, lt: e.ltPrim, le: e.lePrim, eq: e.eqPrim, where: e.wherePrim, cast: e.castPrim,
  sum: r.sumPrim, max: r.maxPrim, min: r.minPrim,
  reshape: m.reshapePrim, broadcastTo: m.broadcastPrim, transpose: m.transposePrim, slice: m.slicePrim,
  pad: m.padPrim, concat: m.concatPrim, split: m.splitPrim, take: m.takePrim, scatterAdd: m.scatterAddPrim,
  gather: gatherPrim, gatherAdjoint: gatherAdjointPrim,
  unfold2d: unfoldPrim, fold2d: foldPrim, conv2d: convPrim, conv2dInputGrad: convInputGradPrim, conv2dWeightGrad: convWeightGradPrim,
  matmul: matmulPrim, gemm: gemmPrim, dense: densePrim, activationGrad: activationGradPrim, addScaled: addScaledPrim, addProduct: addProductPrim,
};
