// HloModule (ir.ts) -> XLA's HLO text, for humans (module.hlo.txt) and for XLA's own text parser
// (`HloModule ...`, `ENTRY %main ...`, `%x = f32[2,3]{1,0} add(f32[2,3]{1,0} %a, ...)`). The syntax
// follows XLA's printer (hlo_instruction.cc, hlo_computation.cc, window_util.cc, literal.cc); every
// attribute kind is checked by parsing our text with XLA in test/hlo-text.test.ts.
//
// The text says what the proto says: names, shapes with their (row-major) layouts, attributes and
// metadata. Only ids are left out, as in XLA's own text.

import type { ArrayShape, ConvolutionDimensionNumbers, HloComputation, HloInstruction, HloModule, HloSharding, Literal, Shape, SourceMetadata, WindowDimension } from "./ir.js";
import { bf16Bits, bf16Value, computationParameters, computationRoot, defaultMinorToMajor, entryComputation, f16Bits, f16Value } from "./encode.js";

/** The module in HLO text: callees before callers, the entry last, as XLA prints it. */
export function printHloModule(module: HloModule): string {
  const entry = entryComputation(module);
  const names = new Map(module.computations.map((c) => [c.id, c.name]));
  const parts = [`HloModule ${identifier(module.name)}, entry_computation_layout={${programShapeText(entry, true)}}`];
  for (const c of module.computations) parts.push(printComputation(c, c.id === entry.id, names));
  return parts.join("\n\n") + "\n";
}

// ---- shapes ---------------------------------------------------------------------------------------

/** `f32[3,2]{1,0}`; scalars print as `f32[]`, tuples as `(a, b)`. */
export function shapeText(shape: Shape, withLayout = true): string {
  switch (shape.kind) {
    case "array": {
      const dims = `${shape.element}[${shape.dims.join(",")}]`;
      return withLayout && shape.dims.length > 0 ? dims + layoutText(shape.dims.length) : dims;
    }
    case "tuple":
      return `(${shape.elements.map((e) => shapeText(e, withLayout)).join(", ")})`;
    case "token":
      return "token[]";
  }
}

/** The default layout's text by rank (`{1,0}` for rank 2), made once per rank. */
const layoutTexts: string[] = [];

function layoutText(rank: number): string {
  return (layoutTexts[rank] ??= `{${defaultMinorToMajor(rank).join(",")}}`);
}

function programShapeText(computation: HloComputation, withLayout: boolean): string {
  const params = computationParameters(computation).map((p) => shapeText(p.shape, withLayout));
  return `(${params.join(", ")})->${shapeText(computationRoot(computation).shape, withLayout)}`;
}

// ---- computations and instructions ---------------------------------------------------------------

function printComputation(c: HloComputation, isEntry: boolean, computationNames: Map<number, string>): string {
  const params = computationParameters(c).map((p) => `${identifier(p.name)}: ${shapeText(p.shape, false)}`);
  let text = `${isEntry ? "ENTRY " : ""}%${identifier(c.name)} (${params.join(", ")}) -> ${shapeText(computationRoot(c).shape, false)} {`;
  const byId = new Map<number, HloInstruction>();
  // Each instruction's shape and name, and its `shape %name` as its users' operand lists show it,
  // made once per instruction.
  const shapes: string[] = [];
  const names: string[] = [];
  const operandTexts = new Map<number, string>();
  for (const i of c.instructions) {
    byId.set(i.id, i);
    const shape = shapeText(i.shape);
    const name = identifier(i.name);
    shapes.push(shape);
    names.push(name);
    operandTexts.set(i.id, `${shape} %${name}`);
  }
  c.instructions.forEach((i, k) => {
    text += `\n  ${i.id === c.rootId ? "ROOT " : ""}${printInstruction(i, shapes[k]!, names[k]!, byId, operandTexts, computationNames)}`;
  });
  return `${text}\n}`;
}

function printInstruction(instr: HloInstruction, shape: string, name: string, byId: Map<number, HloInstruction>, operandTexts: Map<number, string>, computationNames: Map<number, string>): string {
  const a = instr.attributes;
  let inside: string;
  if (instr.opcode === "parameter") inside = String(a.parameterNumber ?? 0);
  else if (instr.opcode === "constant" && a.literal) inside = literalText(a.literal);
  else {
    inside = "";
    for (let k = 0; k < instr.operands.length; k++) {
      const id = instr.operands[k]!;
      const o = operandTexts.get(id);
      if (o === undefined) throw new Error(`internal: ${instr.name} uses instruction ${id}, which is not in its computation`);
      inside += k === 0 ? o : `, ${o}`;
    }
  }
  let line = `%${name} = ${shape} ${instr.opcode}(${inside})`;
  for (const t of attributeTexts(instr, byId, computationNames)) line += `, ${t}`;
  if (instr.metadata) {
    const m = metadataText(instr.metadata);
    if (m) line += `, ${m}`;
  }
  return line;
}

const list = (xs: readonly number[]): string => `{${xs.join(",")}}`;

// HLO text names the called computations by role, per opcode (XLA's printer does the same); any
// other opcode calling one computation uses to_apply.
function calledComputationTexts(instr: HloInstruction, byId: Map<number, HloInstruction>, names: Map<number, string>): string[] {
  const called = instr.attributes.calledComputations ?? [];
  if (called.length === 0) return [];
  const ref = (id: number): string => {
    const name = names.get(id);
    if (name === undefined) throw new Error(`internal: ${instr.name} calls computation ${id}, which is not in the module`);
    return `%${identifier(name)}`;
  };
  switch (instr.opcode) {
    case "while":
      // ir.ts order: [condition, body].
      return [`condition=${ref(called[0]!)}`, `body=${ref(called[1]!)}`];
    case "conditional": {
      const selector = byId.get(instr.operands[0]!)?.shape;
      if (selector?.kind === "array" && selector.element === "pred" && called.length === 2) {
        return [`true_computation=${ref(called[0]!)}`, `false_computation=${ref(called[1]!)}`];
      }
      return [`branch_computations={${called.map(ref).join(", ")}}`];
    }
    case "custom-call":
      return [`called_computations={${called.map(ref).join(", ")}}`];
    default:
      if (called.length !== 1) return [`calls={${called.map(ref).join(", ")}}`];
      return [`to_apply=${ref(called[0]!)}`];
  }
}

function attributeTexts(instr: HloInstruction, byId: Map<number, HloInstruction>, computationNames: Map<number, string>): string[] {
  const a = instr.attributes;
  const out: string[] = [];
  if (a.tupleIndex !== undefined) out.push(`index=${a.tupleIndex}`);
  if (a.sliceDimensions) {
    const withStride = a.sliceDimensions.some((s) => s.stride !== 1);
    out.push(`slice={${a.sliceDimensions.map((s) => `[${s.start}:${s.limit}${withStride ? `:${s.stride}` : ""}]`).join(", ")}}`);
  }
  if (a.dimensions) {
    // iota keeps its one dimension in `dimensions` in the proto, but HLO text names it iota_dimension.
    out.push(instr.opcode === "iota" ? `iota_dimension=${a.dimensions[0] ?? 0}` : `dimensions=${list(a.dimensions)}`);
  }
  if (a.window) out.push(`window={${windowText(a.window)}}`);
  if (a.convolutionDimensionNumbers) out.push(`dim_labels=${dimLabels(a.convolutionDimensionNumbers)}`);
  if (a.featureGroupCount !== undefined && a.featureGroupCount !== 1) out.push(`feature_group_count=${a.featureGroupCount}`);
  if (a.batchGroupCount !== undefined && a.batchGroupCount !== 1) out.push(`batch_group_count=${a.batchGroupCount}`);
  const d = a.dotDimensionNumbers;
  if (d) {
    if (d.lhsBatchDimensions.length) out.push(`lhs_batch_dims=${list(d.lhsBatchDimensions)}`);
    out.push(`lhs_contracting_dims=${list(d.lhsContractingDimensions)}`);
    if (d.rhsBatchDimensions.length) out.push(`rhs_batch_dims=${list(d.rhsBatchDimensions)}`);
    out.push(`rhs_contracting_dims=${list(d.rhsContractingDimensions)}`);
  }
  if (a.operandPrecision && a.operandPrecision.some((p) => p !== 0)) {
    out.push(`operand_precision={${a.operandPrecision.map((p) => PRECISION_NAMES[p] ?? "default").join(",")}}`);
  }
  if (a.comparisonDirection) out.push(`direction=${a.comparisonDirection}`);
  if (a.comparisonType) out.push(`type=${a.comparisonType}`);
  if (a.paddingConfig) {
    const interior = a.paddingConfig.some((p) => p.interiorPadding !== 0);
    out.push(`padding=${a.paddingConfig.map((p) => `${p.edgePaddingLow}_${p.edgePaddingHigh}${interior ? `_${p.interiorPadding}` : ""}`).join("x")}`);
  }
  if (a.dynamicSliceSizes) out.push(`dynamic_slice_sizes=${list(a.dynamicSliceSizes)}`);
  const g = a.gatherDimensionNumbers;
  if (g) {
    out.push(`offset_dims=${list(g.offsetDims)}`, `collapsed_slice_dims=${list(g.collapsedSliceDims)}`, `start_index_map=${list(g.startIndexMap)}`, `index_vector_dim=${g.indexVectorDim}`);
  }
  if (a.gatherSliceSizes) out.push(`slice_sizes=${list(a.gatherSliceSizes)}`);
  const s = a.scatterDimensionNumbers;
  if (s) {
    out.push(`update_window_dims=${list(s.updateWindowDims)}`, `inserted_window_dims=${list(s.insertedWindowDims)}`, `scatter_dims_to_operand_dims=${list(s.scatterDimsToOperandDims)}`, `index_vector_dim=${s.indexVectorDim}`);
  }
  if (a.indicesAreSorted) out.push("indices_are_sorted=true");
  if (a.uniqueIndices) out.push("unique_indices=true");
  if (a.distribution !== undefined) out.push(`distribution=${DISTRIBUTION_NAMES[a.distribution] ?? `rng_invalid`}`);
  if (a.rngAlgorithm !== undefined) out.push(`algorithm=${RNG_ALGORITHM_NAMES[a.rngAlgorithm] ?? "rng_default"}`);
  if (a.isStable) out.push("is_stable=true");
  if (a.customCallTarget !== undefined) out.push(`custom_call_target=${quoted(a.customCallTarget)}`);
  if (a.sharding !== undefined) out.push(`sharding=${shardingText(a.sharding)}`);
  out.push(...calledComputationTexts(instr, byId, computationNames));
  return out;
}

/** `{replicated}`, `{devices=[1,4]0,1,2,3}`, `{devices=[2,1,2]0,2,1,3 last_tile_dim_replicate}`, `{{...}, {...}}`. */
function shardingText(s: HloSharding): string {
  switch (s.kind) {
    case "replicated":
      return "{replicated}";
    case "tuple":
      return `{${s.elements.map(shardingText).join(", ")}}`;
    case "tiled":
      return `{devices=[${s.tileAssignmentDimensions.join(",")}]${s.tileAssignmentDevices.join(",")}${s.replicateOnLastTileDim ? " last_tile_dim_replicate" : ""}}`;
  }
}

// PrecisionConfig.Precision, RandomDistribution and RandomAlgorithm, as XLA's text spells them.
const PRECISION_NAMES = ["default", "high", "highest"];
const DISTRIBUTION_NAMES: Record<number, string> = { 1: "rng_uniform", 2: "rng_normal" };
const RNG_ALGORITHM_NAMES = ["rng_default", "rng_three_fry", "rng_philox"];

/** `size=3x3 stride=2x1 pad=0_0x1_1 lhs_dilate=... rhs_dilate=... rhs_reversal=1x1`, each part only when not the default. */
function windowText(dims: WindowDimension[]): string {
  const parts = [`size=${dims.map((w) => w.size).join("x")}`];
  const part = (name: string, values: (string | number)[], isDefault: boolean) => {
    if (!isDefault) parts.push(`${name}=${values.join("x")}`);
  };
  part("stride", dims.map((w) => w.stride), dims.every((w) => w.stride === 1));
  part("pad", dims.map((w) => `${w.paddingLow}_${w.paddingHigh}`), dims.every((w) => w.paddingLow === 0 && w.paddingHigh === 0));
  part("lhs_dilate", dims.map((w) => w.baseDilation), dims.every((w) => w.baseDilation === 1));
  part("rhs_dilate", dims.map((w) => w.windowDilation), dims.every((w) => w.windowDilation === 1));
  part("rhs_reversal", dims.map((w) => (w.windowReversal ? 1 : 0)), dims.every((w) => !w.windowReversal));
  return dims.length === 0 ? "" : parts.join(" ");
}

/** `b01f_01io->b01f`: each operand's dimensions labelled batch/feature (b, f; i, o) or by spatial index. */
function dimLabels(dn: ConvolutionDimensionNumbers): string {
  const rank = dn.inputSpatialDimensions.length + 2;
  const labels = (first: [number, string], second: [number, string], spatial: number[]): string => {
    const chars: string[] = new Array(rank).fill("?");
    chars[first[0]] = first[1];
    chars[second[0]] = second[1];
    spatial.forEach((d, i) => (chars[d] = String(i)));
    return chars.join("");
  };
  const lhs = labels([dn.inputBatchDimension, "b"], [dn.inputFeatureDimension, "f"], dn.inputSpatialDimensions);
  const rhs = labels([dn.kernelInputFeatureDimension, "i"], [dn.kernelOutputFeatureDimension, "o"], dn.kernelSpatialDimensions);
  const out = labels([dn.outputBatchDimension, "b"], [dn.outputFeatureDimension, "f"], dn.outputSpatialDimensions);
  return `${lhs}_${rhs}->${out}`;
}

/** Instructions emitted by one call share their metadata object, so each is printed once. */
const metadataTexts = new WeakMap<SourceMetadata, string | undefined>();

function metadataText(m: SourceMetadata): string | undefined {
  if (metadataTexts.has(m)) return metadataTexts.get(m);
  const text = printMetadata(m);
  metadataTexts.set(m, text);
  return text;
}

function printMetadata(m: SourceMetadata): string | undefined {
  const parts: string[] = [];
  if (m.opType) parts.push(`op_type=${quoted(m.opType)}`);
  if (m.opName) parts.push(`op_name=${quoted(m.opName)}`);
  if (m.sourceFile) parts.push(`source_file=${quoted(m.sourceFile)}`);
  if (m.sourceLine) parts.push(`source_line=${m.sourceLine}`);
  return parts.length ? `metadata={${parts.join(" ")}}` : undefined;
}

// ---- literals -------------------------------------------------------------------------------------

/** Nested braces in row-major order (`{ { 1, 2 }, { 3, 4 } }`); a scalar is the bare value. */
export function literalText(literal: Literal): string {
  const shape = literal.shape;
  const values = (literal.values as (number | bigint | boolean)[]).map((v) => scalarText(shape, v));
  if (shape.dims.length === 0) return values[0] ?? "0";
  let next = 0;
  const nest = (dim: number): string => {
    const n = shape.dims[dim]!;
    if (dim === shape.dims.length - 1) {
      const row = values.slice(next, next + n);
      next += n;
      return `{${row.join(", ")}}`;
    }
    const inner = Array.from({ length: n }, () => nest(dim + 1));
    return `{ ${inner.join(", ")} }`;
  };
  return nest(0);
}

function scalarText(shape: ArrayShape, v: number | bigint | boolean): string {
  switch (shape.element) {
    case "pred":
      return v ? "true" : "false";
    case "f16":
      return floatText(f16Value(f16Bits(Number(v))), 16);
    case "bf16":
      return floatText(bf16Value(bf16Bits(Number(v))), 16);
    case "f32":
      return floatText(Math.fround(Number(v)), 32);
    case "f64":
      return floatText(Number(v), 64);
    default:
      return typeof v === "bigint" ? v.toString() : BigInt(Math.trunc(Number(v))).toString();
  }
}

/**
 * The shortest decimal that reads back as the same value (XLA reads a literal as a double and
 * rounds it to the element type, as the proto encoder does), with XLA's spellings of inf and nan.
 */
function floatText(x: number, bits: 16 | 32 | 64): string {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  // XLA's parser reads "-0" as the integer 0 (and so +0.0), though XLA's printer writes it; "-0.0" keeps the sign.
  if (Object.is(x, -0)) return "-0.0";
  if (bits === 32) {
    for (let p = 1; p <= 9; p++) {
      const s = x.toPrecision(p);
      if (Math.fround(Number(s)) === x) return normalizeNumber(s);
    }
  }
  return normalizeNumber(String(x));
}

/** JS spells exponents `1e+21` and `1.5e-7`, which XLA's lexer reads as they are; keep plain integers plain. */
function normalizeNumber(s: string): string {
  return s.includes("e") ? s : String(Number(s));
}

// ---- names and strings ---------------------------------------------------------------------------

/** HLO text names are [A-Za-z_][A-Za-z0-9_.-]*; anything else becomes `_`. */
function identifier(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_.\-]/g, "_");
  return /^[A-Za-z_]/.test(s) ? s : `_${s}`;
}

/** A C-escaped string literal, as XLA's printer writes (and its lexer reads) them. */
function quoted(s: string): string {
  if (!/[\\"\x00-\x1f\x7f]/.test(s)) return `"${s}"`;
  let out = "";
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === "\\") out += "\\\\";
    else if (ch === '"') out += '\\"';
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (c < 0x20 || c === 0x7f) out += `\\${c.toString(8).padStart(3, "0")}`;
    else out += ch;
  }
  return `"${out}"`;
}
