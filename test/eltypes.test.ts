// The element-type records (compiler/eltypes.ts) against their independent sources: NumPy's dtypes
// (descriptor, item size, finfo, iinfo), ml_dtypes for bfloat16, and XLA's own PrimitiveType enum
// as jaxlib exposes it.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { ELEMENT_TYPES, ELTYPES } from "../compiler/eltypes.js";
import { runPython } from "./support/jax.js";

const NUMPY_NAME: Record<string, string> = {
  Float16: "float16", BFloat16: "bfloat16", Float32: "float32", Float64: "float64",
  Int8: "int8", Int16: "int16", Int32: "int32", Int64: "int64",
  UInt8: "uint8", UInt16: "uint16", UInt32: "uint32", UInt64: "uint64", Bool: "bool",
};

interface Facts { npy: string; primitive: string; bytes: number; xlaNumber: number; xlaName: string; floatmax?: number; eps?: number; significandBits?: number; range?: [string, string] }

test("every element type's record agrees with NumPy, ml_dtypes and XLA's PrimitiveType", async () => {
  const facts = await runPython<Record<string, Facts>>(
    `
import re, numpy as np, ml_dtypes, jax
from jax._src.lib import xla_client as xc
jax.config.update("jax_enable_x64", True)
def primitive_of(dt):
    # The HLO element type JAX gives a parameter of this dtype, e.g. "f32[] parameter(0)".
    text = jax.jit(lambda x: x).lower(jax.ShapeDtypeStruct((), dt)).as_text(dialect="hlo")
    return re.search(r"(\\w+)\\[\\] parameter\\(0\\)", text).group(1)
out = {}
for julia, name in INPUT.items():
    dt = np.dtype(ml_dtypes.bfloat16) if name == "bfloat16" else np.dtype(name)
    prim = primitive_of(dt)
    pt = xc.PrimitiveType[prim.upper()]
    f = {"npy": "<V2" if name == "bfloat16" else dt.str, "bytes": dt.itemsize, "primitive": prim, "xlaNumber": int(pt), "xlaName": pt.name}
    if dt.kind == "f" or name == "bfloat16":
        fi = ml_dtypes.finfo(dt)
        f.update(floatmax=float(fi.max), eps=float(fi.eps), significandBits=int(fi.nmant) + 1)
    elif dt.kind in "iu":
        ii = np.iinfo(dt)
        f["range"] = [str(ii.min), str(ii.max)]
    else:
        f["range"] = ["0", "1"]
    out[julia] = f
emit(out)
`,
    NUMPY_NAME,
  );
  assert.equal(Object.keys(facts).sort(), [...ELEMENT_TYPES].sort());
  for (const t of ELEMENT_TYPES) {
    const e = ELTYPES[t], f = facts[t]!;
    // NumPy writes '|' for one-byte types and '<' otherwise, as we do.
    assert.is(e.npy, f.npy, `${t} npy`);
    assert.is(e.bytes, f.bytes, `${t} bytes`);
    assert.is(e.primitive, f.primitive, `${t} primitive`);
    assert.is(e.xlaNumber, f.xlaNumber, `${t} xla number`);
    assert.is(e.xlaName, f.xlaName, `${t} xla name`);
    assert.is(e.floatmax, f.floatmax, `${t} floatmax`);
    assert.is(e.eps, f.eps, `${t} eps`);
    assert.is(e.significandBits, f.significandBits, `${t} significand bits`);
    assert.equal(e.range?.map(String), f.range, `${t} range`);
    assert.is(e.kind === "float", f.floatmax !== undefined, `${t} kind`);
  }
});

test("every element type states its support on every platform; TPU has no Float64 arithmetic and emulates 64-bit integers", () => {
  for (const t of ELEMENT_TYPES) assert.equal(Object.keys(ELTYPES[t].platforms).sort(), ["cpu", "cuda", "rocm", "tpu"], t);
  assert.is(ELTYPES.Float64.platforms.tpu, "storage");
  assert.is(ELTYPES.Int64.platforms.tpu, "emulated");
  assert.is(ELTYPES.Float32.platforms.tpu, "native");
  for (const t of ELEMENT_TYPES) assert.is(ELTYPES[t].platforms.cpu, "native", t);
});

test.run();
