// Every registered op's shape rule (compiler/hlo/ops.ts) against malformed operands: wrong arity,
// wrong element type, mismatched shapes, out-of-range dimensions. Each op has one well-formed
// call (which must be accepted, so a rejection below is caused by the malformation) and its
// malformed variants (each must throw ShapeRuleError). An op registered without an entry here
// fails the test, so no new op skips its rule's check. The rules follow XLA's shape inference
// (xla/service/shape_inference.cc, hlo_verifier.cc).

import { test } from "uvu";
import * as assert from "uvu/assert";
import { arrayShape, tupleShape, type PrimitiveType, type Shape, type WindowDimension } from "../compiler/hlo/ir.js";
import * as ops from "../compiler/hlo/ops.js";

const a = (element: PrimitiveType, ...dims: number[]) => arrayShape(element, dims);
const f32 = (...dims: number[]) => a("f32", ...dims);
const s32 = (...dims: number[]) => a("s32", ...dims);
const w = (size: number, o: Partial<WindowDimension> = {}): WindowDimension => ({ size, stride: 1, paddingLow: 0, paddingHigh: 0, windowDilation: 1, baseDilation: 1, windowReversal: false, ...o });

interface Call {
  operands: Shape[];
  params?: unknown;
}

interface Entry {
  ok: Call;
  /** Malformed variants, by what is wrong; `params` defaults to the well-formed call's. */
  bad: Record<string, Call>;
}

const F32_TYPES: Record<string, PrimitiveType> = { float: "f32", numeric: "f32", any: "f32", int: "s32", "int-or-pred": "s32" };
/** An element type each kind rejects (none for "any"). */
const REJECTED: Record<string, PrimitiveType | undefined> = { float: "s32", numeric: "pred", any: undefined, int: "f32", "int-or-pred": "f32" };

function unary(kind: string): Entry {
  const t = F32_TYPES[kind]!, r = REJECTED[kind];
  return {
    ok: { operands: [a(t, 2, 3)] },
    bad: {
      "no operand": { operands: [] },
      "two operands": { operands: [a(t, 2, 3), a(t, 2, 3)] },
      "a tuple operand": { operands: [tupleShape([a(t, 2)])] },
      ...(r ? { "wrong element type": { operands: [a(r, 2, 3)] } } : {}),
    },
  };
}

function binary(kind: string): Entry {
  const t = F32_TYPES[kind]!, r = REJECTED[kind];
  return {
    ok: { operands: [a(t, 2, 3), a(t, 2, 3)] },
    bad: {
      "one operand": { operands: [a(t, 2, 3)] },
      "mismatched shapes": { operands: [a(t, 2, 3), a(t, 3, 2)] },
      "wrong rank": { operands: [a(t, 2, 3), a(t, 2, 3, 1)] },
      "mismatched element types": { operands: [a(t, 2, 3), a(t === "f32" ? "f64" : "s64", 2, 3)] },
      ...(r ? { "wrong element type": { operands: [a(r, 2, 3), a(r, 2, 3)] } } : {}),
    },
  };
}

const UNARY: Record<string, string> = {
  negate: "numeric", abs: "numeric", sign: "numeric", exponential: "float", "exponential-minus-one": "float", log: "float", "log-plus-one": "float",
  sqrt: "float", rsqrt: "float", cbrt: "float", tanh: "float", logistic: "float", sine: "float", cosine: "float", tan: "float", floor: "float", ceil: "float",
  "round-nearest-even": "float", not: "int-or-pred",
};
const BINARY: Record<string, string> = {
  add: "any", subtract: "numeric", multiply: "any", divide: "numeric", remainder: "numeric", power: "numeric", maximum: "any", minimum: "any", atan2: "float",
  and: "int-or-pred", or: "int-or-pred", xor: "int-or-pred", "shift-left": "int", "shift-right-arithmetic": "int", "shift-right-logical": "int",
};

const nchw = { inputBatchDimension: 0, inputFeatureDimension: 1, inputSpatialDimensions: [2, 3], kernelOutputFeatureDimension: 0, kernelInputFeatureDimension: 1, kernelSpatialDimensions: [2, 3], outputBatchDimension: 0, outputFeatureDimension: 1, outputSpatialDimensions: [2, 3] };
const convParams = { window: [w(3), w(3)], dimensionNumbers: nchw, featureGroupCount: 1, batchGroupCount: 1 };
const dotParams = { lhsContractingDimensions: [1], rhsContractingDimensions: [0], lhsBatchDimensions: [], rhsBatchDimensions: [] };
const gatherParams = { offsetDims: [1], collapsedSliceDims: [0], startIndexMap: [0], indexVectorDim: 1, sliceSizes: [1, 4], indicesAreSorted: false };
const scatterDn = { updateWindowDims: [1], insertedWindowDims: [0], scatterDimsToOperandDims: [0], indexVectorDim: 1 };
const scatterParams = { dimensionNumbers: scatterDn, updater: 1, indicesAreSorted: false, uniqueIndices: false };
const program = (parameters: Shape[], result: Shape) => ({ parameters, result });

const ENTRIES: Record<string, Entry> = {
  ...Object.fromEntries(Object.entries(UNARY).map(([op, kind]) => [op, unary(kind)])),
  ...Object.fromEntries(Object.entries(BINARY).map(([op, kind]) => [op, binary(kind)])),
  "is-finite": { ok: { operands: [f32(2)] }, bad: { "an integer operand": { operands: [s32(2)] }, "no operand": { operands: [] } } },
  compare: {
    ok: { operands: [f32(2, 3), f32(2, 3)], params: { direction: "LT", type: "FLOAT" } },
    bad: { "mismatched shapes": { operands: [f32(2, 3), f32(3)] }, "mismatched element types": { operands: [f32(2), s32(2)] }, "one operand": { operands: [f32(2)] } },
  },
  select: {
    ok: { operands: [a("pred", 2), f32(2), f32(2)] },
    bad: {
      "a non-pred predicate": { operands: [s32(2), f32(2), f32(2)] },
      "a predicate of another shape": { operands: [a("pred", 3), f32(2), f32(2)] },
      "mismatched branches": { operands: [a("pred", 2), f32(2), a("f64", 2)] },
    },
  },
  clamp: {
    ok: { operands: [f32(), f32(2, 3), f32(2, 3)] },
    bad: {
      "a min of another shape": { operands: [f32(3), f32(2, 3), f32(2, 3)] },
      "a max of another element type": { operands: [f32(), f32(2, 3), a("f64")] },
      "a min of another rank": { operands: [f32(2, 3, 1), f32(2, 3), f32()] },
      "pred operands": { operands: [a("pred"), a("pred", 2), a("pred")] },
      "two operands": { operands: [f32(), f32(2)] },
    },
  },
  convert: { ok: { operands: [f32(2)], params: { element: "s32" } }, bad: { "no operand": { operands: [] }, "a tuple operand": { operands: [tupleShape([f32(2)])] } } },
  "bitcast-convert": {
    ok: { operands: [f32(2)], params: { element: "s32" } },
    bad: { "another width": { operands: [f32(2)], params: { element: "s64" } }, "no operand": { operands: [], params: { element: "s32" } } },
  },
  parameter: { ok: { operands: [], params: { number: 0, shape: f32(2) } }, bad: { "a negative number": { operands: [], params: { number: -1, shape: f32(2) } }, "an operand": { operands: [f32(2)] } } },
  constant: {
    ok: { operands: [], params: { literal: { shape: f32(2, 2), values: [1, 2, 3, 4] } } },
    bad: { "too few values": { operands: [], params: { literal: { shape: f32(2, 2), values: [1, 2, 3] } } }, "an operand": { operands: [f32()] } },
  },
  tuple: {
    // XLA's tuple takes operands of any shapes: only a missing operand shape is malformed.
    ok: { operands: [f32(2), s32()] },
    bad: { "a missing operand": { operands: [f32(2), undefined as unknown as Shape] } },
  },
  "get-tuple-element": {
    ok: { operands: [tupleShape([f32(2), s32()])], params: { index: 1 } },
    bad: { "index out of range": { operands: [tupleShape([f32(2)])], params: { index: 1 } }, "a negative index": { operands: [tupleShape([f32(2)])], params: { index: -1 } }, "an array operand": { operands: [f32(2)], params: { index: 0 } } },
  },
  broadcast: {
    ok: { operands: [f32(3, 1)], params: { dims: [2, 3, 4], dimensions: [1, 2] } },
    bad: {
      "an unmapped dimension": { operands: [f32(3, 1)], params: { dims: [2, 3, 4], dimensions: [1] } },
      "a size mismatch": { operands: [f32(3, 2)], params: { dims: [2, 3, 4], dimensions: [1, 2] } },
      "an out-of-range dimension": { operands: [f32(3, 1)], params: { dims: [2, 3, 4], dimensions: [1, 3] } },
      "decreasing dimensions": { operands: [f32(3, 3)], params: { dims: [3, 3, 4], dimensions: [1, 0] } },
      "a negative size": { operands: [f32()], params: { dims: [-2], dimensions: [] } },
    },
  },
  reshape: {
    ok: { operands: [f32(3, 4)], params: { dims: [2, 6] } },
    bad: { "another element count": { operands: [f32(3, 4)], params: { dims: [5, 2] } }, "a negative size": { operands: [f32(0)], params: { dims: [-1, 0] } } },
  },
  transpose: {
    ok: { operands: [f32(2, 3, 4)], params: { permutation: [2, 0, 1] } },
    bad: { "too short": { operands: [f32(2, 3, 4)], params: { permutation: [1, 0] } }, "out of range": { operands: [f32(2, 3)], params: { permutation: [0, 5] } }, "a repeat": { operands: [f32(2, 3)], params: { permutation: [1, 1] } } },
  },
  reverse: {
    ok: { operands: [f32(2, 3)], params: { dimensions: [1] } },
    bad: { "out of range": { operands: [f32(2, 3)], params: { dimensions: [2] } }, "a repeat": { operands: [f32(2, 3)], params: { dimensions: [0, 0] } }, "no operand": { operands: [] } },
  },
  iota: {
    ok: { operands: [], params: { shape: s32(4, 2), dimension: 1 } },
    bad: { "dimension out of range": { operands: [], params: { shape: s32(4, 2), dimension: 2 } }, "a scalar shape": { operands: [], params: { shape: s32(), dimension: 0 } }, "pred elements": { operands: [], params: { shape: a("pred", 3), dimension: 0 } }, "an operand": { operands: [s32(4, 2)] } },
  },
  slice: {
    ok: { operands: [f32(7, 5)], params: { start: [1, 0], limit: [7, 4], stride: [2, 3] } },
    bad: { "a limit beyond the dimension": { operands: [f32(7, 5)], params: { start: [1, 0], limit: [8, 4], stride: [2, 3] } }, "a zero stride": { operands: [f32(7, 5)], params: { start: [1, 0], limit: [7, 4], stride: [0, 1] } }, "too few starts": { operands: [f32(7, 5)], params: { start: [1], limit: [7], stride: [1] } } },
  },
  concatenate: {
    ok: { operands: [f32(2, 3), f32(4, 3)], params: { dimension: 0 } },
    bad: { "mismatched other dimension": { operands: [f32(2, 3), f32(4, 2)] }, "dimension out of range": { operands: [f32(2, 3), f32(2, 3)], params: { dimension: 2 } }, "mismatched element types": { operands: [f32(2, 3), s32(4, 3)] }, "no operands": { operands: [] } },
  },
  pad: {
    ok: { operands: [f32(2, 3), f32()], params: { low: [1, 0], high: [0, 2], interior: [1, 0] } },
    bad: {
      "a padding value of another type": { operands: [f32(2, 3), s32()] },
      "an array padding value": { operands: [f32(2, 3), f32(1)] },
      "a config of another rank": { operands: [f32(2, 3), f32()], params: { low: [1], high: [0], interior: [0] } },
      "negative interior padding": { operands: [f32(2, 3), f32()], params: { low: [0, 0], high: [0, 0], interior: [-1, 0] } },
      "negative size": { operands: [f32(2, 3), f32()], params: { low: [-3, 0], high: [0, 0], interior: [0, 0] } },
    },
  },
  dot: {
    ok: { operands: [f32(2, 3), f32(3, 4)], params: dotParams },
    bad: {
      "mismatched contracting sizes": { operands: [f32(2, 3), f32(5, 4)] },
      "mismatched element types": { operands: [f32(2, 3), a("f64", 3, 4)] },
      "contracting dimension out of range": { operands: [f32(2, 3), f32(3, 4)], params: { ...dotParams, lhsContractingDimensions: [2] } },
      "mismatched batch sizes": { operands: [f32(5, 2, 3), f32(6, 3, 4)], params: { lhsContractingDimensions: [2], rhsContractingDimensions: [1], lhsBatchDimensions: [0], rhsBatchDimensions: [0] } },
    },
  },
  reduce: {
    ok: { operands: [f32(2, 3), f32()], params: { dimensions: [1], reducer: 1 } },
    bad: { "an init of another type": { operands: [f32(2, 3), s32()] }, "an array init": { operands: [f32(2, 3), f32(3)] }, "dimension out of range": { operands: [f32(2, 3), f32()], params: { dimensions: [2], reducer: 1 } }, "a repeated dimension": { operands: [f32(2, 3), f32()], params: { dimensions: [1, 1], reducer: 1 } } },
  },
  "reduce-window": {
    ok: { operands: [f32(4, 6), f32()], params: { window: [w(2, { stride: 2 }), w(3)], reducer: 1 } },
    bad: {
      "a window of another rank": { operands: [f32(4, 6), f32()], params: { window: [w(2)], reducer: 1 } },
      "a zero stride": { operands: [f32(4, 6), f32()], params: { window: [w(2, { stride: 0 }), w(3)], reducer: 1 } },
      "an init of another type": { operands: [f32(4, 6), s32()] },
    },
  },
  convolution: {
    ok: { operands: [f32(1, 2, 5, 5), f32(4, 2, 3, 3)], params: convParams },
    bad: {
      "mismatched features": { operands: [f32(1, 3, 5, 5), f32(4, 2, 3, 3)] },
      "mismatched ranks": { operands: [f32(1, 2, 5, 5), f32(4, 2, 3)] },
      "mismatched element types": { operands: [f32(1, 2, 5, 5), a("f64", 4, 2, 3, 3)] },
      "a window of another rank": { operands: [f32(1, 2, 5, 5), f32(4, 2, 3, 3)], params: { ...convParams, window: [w(3)] } },
      "a window unlike the kernel": { operands: [f32(1, 2, 5, 5), f32(4, 2, 3, 3)], params: { ...convParams, window: [w(2), w(3)] } },
      "a dimension out of range": { operands: [f32(1, 2, 5, 5), f32(4, 2, 3, 3)], params: { ...convParams, dimensionNumbers: { ...nchw, inputFeatureDimension: 4 } } },
    },
  },
  while: { ok: { operands: [tupleShape([s32(), f32(2)])], params: { condition: 1, body: 2 } }, bad: { "no operand": { operands: [] }, "two operands": { operands: [s32(), f32(2)] } } },
  conditional: {
    ok: { operands: [a("pred"), f32(2), f32(3)], params: { branches: [1, 2], programs: [program([f32(2)], f32(4)), program([f32(3)], f32(4))] } },
    bad: {
      "an array selector": { operands: [a("pred", 2), f32(2), f32(3)] },
      "an f32 selector": { operands: [f32(), f32(2), f32(3)] },
      "a pred selector with three branches": { operands: [a("pred"), f32(2), f32(3), f32(3)], params: { branches: [1, 2, 3], programs: [program([f32(2)], f32(4)), program([f32(3)], f32(4)), program([f32(3)], f32(4))] } },
      "an operand unlike its branch's parameter": { operands: [a("pred"), f32(2), f32(2)] },
      "branches with different results": { operands: [a("pred"), f32(2), f32(3)], params: { branches: [1, 2], programs: [program([f32(2)], f32(4)), program([f32(3)], f32(5))] } },
      "a missing branch operand": { operands: [a("pred"), f32(2)] },
    },
  },
  call: {
    ok: { operands: [f32(2), s32()], params: { callee: 1, program: program([f32(2), s32()], f32(2)) } },
    bad: { "a missing operand": { operands: [f32(2)] }, "an operand unlike the parameter": { operands: [f32(2), f32()] } },
  },
  "custom-call": {
    ok: { operands: [f32(2, 4)], params: { sharding: { kind: "tiled", tileAssignmentDimensions: [1, 2, 2], tileAssignmentDevices: [0, 2, 1, 3], replicateOnLastTileDim: true } } },
    bad: {
      "a sharding for another rank": { operands: [f32(2, 4, 3)] },
      "a tuple operand": { operands: [{ kind: "tuple", elements: [f32(2, 4)] }] },
      "too few devices for the tile grid": { operands: [f32(2, 4)], params: { sharding: { kind: "tiled", tileAssignmentDimensions: [1, 4], tileAssignmentDevices: [0, 1], replicateOnLastTileDim: false } } },
      "a tuple sharding": { operands: [f32(2, 4)], params: { sharding: { kind: "tuple", elements: [] } } },
    },
  },
  "rng-bit-generator": {
    ok: { operands: [a("u64", 2)], params: { algorithm: 1, shape: a("u32", 3) } },
    bad: { "an s32 state": { operands: [s32(2)] }, "a scalar state": { operands: [a("u64")] }, "float bits": { operands: [a("u64", 2)], params: { algorithm: 1, shape: f32(3) } } },
  },
  gather: {
    // Rows of a 5x4 matrix picked by a vector of 3 indices (index_vector_dim 1: explicit trailing 1).
    ok: { operands: [f32(5, 4), s32(3, 1)], params: gatherParams },
    bad: {
      "float indices": { operands: [f32(5, 4), f32(3, 1)] },
      "slice sizes of another rank": { operands: [f32(5, 4), s32(3, 1)], params: { ...gatherParams, sliceSizes: [1] } },
      "a slice larger than the operand": { operands: [f32(5, 4), s32(3, 1)], params: { ...gatherParams, sliceSizes: [1, 5] } },
      "index_vector_dim out of range": { operands: [f32(5, 4), s32(3, 1)], params: { ...gatherParams, indexVectorDim: 3 } },
      "start_index_map out of range": { operands: [f32(5, 4), s32(3, 1)], params: { ...gatherParams, startIndexMap: [2] } },
      "index vectors longer than start_index_map": { operands: [f32(5, 4), s32(3, 2)] },
    },
  },
  "dynamic-slice": {
    // A 2x3 window of a 5x4 matrix at traced starts.
    ok: { operands: [f32(5, 4), s32(), s32()], params: { sizes: [2, 3] } },
    bad: {
      "float start indices": { operands: [f32(5, 4), f32(), f32()], params: { sizes: [2, 3] } },
      "start indices of two types": { operands: [f32(5, 4), s32(), a("s64")], params: { sizes: [2, 3] } },
      "too few start indices": { operands: [f32(5, 4), s32()], params: { sizes: [2, 3] } },
      "a start index that is an array": { operands: [f32(5, 4), s32(1), s32()], params: { sizes: [2, 3] } },
      "a window larger than the operand": { operands: [f32(5, 4), s32(), s32()], params: { sizes: [2, 5] } },
    },
  },
  "dynamic-update-slice": {
    // A 2x3 update written into a 5x4 matrix at traced starts.
    ok: { operands: [f32(5, 4), f32(2, 3), s32(), s32()] },
    bad: {
      "an update larger than the operand": { operands: [f32(5, 4), f32(6, 3), s32(), s32()] },
      "an update of another element type": { operands: [f32(5, 4), s32(2, 3), s32(), s32()] },
      "an update of another rank": { operands: [f32(5, 4), f32(2), s32(), s32()] },
      "float start indices": { operands: [f32(5, 4), f32(2, 3), f32(), f32()] },
    },
  },
  scatter: {
    // Three rows added into a 5x4 matrix at a vector of 3 indices.
    ok: { operands: [f32(5, 4), s32(3, 1), f32(3, 4)], params: scatterParams },
    bad: {
      "float indices": { operands: [f32(5, 4), f32(3, 1), f32(3, 4)] },
      "updates of another element type": { operands: [f32(5, 4), s32(3, 1), s32(3, 4)] },
      "updates of another rank": { operands: [f32(5, 4), s32(3, 1), f32(3, 4, 1)], params: { ...scatterParams, dimensionNumbers: { ...scatterDn, updateWindowDims: [1] } } },
      "updates not matching the index batch": { operands: [f32(5, 4), s32(3, 1), f32(2, 4)] },
      "an update window larger than the operand": { operands: [f32(5, 4), s32(3, 1), f32(3, 6)] },
      "index vectors longer than scatter_dims_to_operand_dims": { operands: [f32(5, 4), s32(3, 2), f32(3, 4)] },
      "index_vector_dim out of range": { operands: [f32(5, 4), s32(3, 1), f32(3, 4)], params: { ...scatterParams, dimensionNumbers: { ...scatterDn, indexVectorDim: 3 } } },
      "an inserted window dimension out of range": { operands: [f32(5, 4), s32(3, 1), f32(3, 4)], params: { ...scatterParams, dimensionNumbers: { ...scatterDn, insertedWindowDims: [2] } } },
    },
  },
};

test("every registered op has a malformed-operand entry", () => {
  const missing = [...ops.registeredOps().keys()].filter((opcode) => !ENTRIES[opcode]);
  assert.equal(missing, [], `ops without malformed cases: ${missing.join(", ")}`);
  const unknown = Object.keys(ENTRIES).filter((opcode) => !ops.registeredOps().has(opcode));
  assert.equal(unknown, [], `entries for unregistered ops: ${unknown.join(", ")}`);
});

for (const [opcode, entry] of Object.entries(ENTRIES)) {
  test(`${opcode}: accepts its well-formed call and rejects each malformed one`, () => {
    const rule = ops.registeredOps().get(opcode);
    assert.ok(rule, `${opcode} is not registered`);
    rule!.shape(entry.ok.operands, entry.ok.params);
    assert.ok(Object.keys(entry.bad).length > 0, `${opcode} has no malformed case`);
    for (const [why, bad] of Object.entries(entry.bad)) {
      assert.throws(() => rule!.shape(bad.operands, "params" in bad ? bad.params : entry.ok.params), (e: unknown) => e instanceof ops.ShapeRuleError, `${opcode} accepted ${why}`);
    }
  });
}

test.run();
