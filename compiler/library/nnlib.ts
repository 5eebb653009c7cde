// NNlib primitives over the op table: convolutions and their gradients, pooling, batched matrix
// products and the helpers of attention. Semantics follow NNlib's own implementation
// (src/conv.jl, src/impl/conv_direct.jl, src/dim_helpers/*.jl, src/pooling.jl,
// src/impl/pooling_direct.jl, src/batched/*.jl, src/attention.jl); the activations, softmax and
// dot_product_attention itself are Julia code in prelude.jl.
//
// Layouts are Julia's: x is (spatial..., channels, batch), a kernel is
// (spatial..., channels_in ÷ groups, channels_out). ArrayLowering maps them to XLA dimensions.

import type { ElementType } from "../../plugins/api.js";
import { ELTYPES } from "../eltypes.js";
import type { Span } from "../diagnostics.js";
import type { WindowDimension } from "../hlo/ir.js";
import * as ops from "../hlo/ops.js";
import type { ConvLayout } from "../semantics/arrays.js";
import { showSize } from "../semantics/arrays.js";
import { describeValue } from "../semantics/describe.js";
import { concrete, isFloat, isInteger, promoteType } from "../semantics/types.js";
import type { CallArgs, NamedTupleValue, Tensor, Value } from "../semantics/values.js";
import { NOTHING, num, tuple } from "../semantics/values.js";
import type { IntrinsicLibrary } from "./intrinsics.js";
import { toNumber } from "./numbers.js";

/** DenseConvDims, as NNlib's struct stores it: spatial sizes, channels, groups, and padding as (lo, hi) per spatial dimension. */
interface ConvDims {
  inputSize: number[];
  kernelSize: number[];
  channelsIn: number;
  channelsOut: number;
  groups: number;
  stride: number[];
  /** (lo1, hi1, lo2, hi2, ...), NNlib's order. */
  padding: number[];
  dilation: number[];
  flipkernel: boolean;
}

const CONV_DIMS_FIELDS = ["input_size", "kernel_size", "channels_in", "channels_out", "groupcount", "stride", "padding", "dilation", "flipkernel"];

export function defineNNlib(lib: IntrinsicLibrary): void {
  const { interp, arrays, fail, define, arity, methodError } = lib;

  const spanOf = (args: CallArgs, i: number): Span => args.argSpans[i] ?? args.span;
  const mismatch = (message: string, span: Span) => fail("dimension-mismatch", `DimensionMismatch: ${message}`, span);
  const tupleText = (xs: number[]) => (xs.length === 1 ? `(${xs[0]},)` : `(${xs.join(", ")})`);

  const arrayArg = (args: CallArgs, name: string, i: number): Tensor => {
    const x = args.positional[i];
    if (!x || x.kind !== "tensor" || x.scalar) throw methodError(name, args);
    return x;
  };

  const knownInt = (v: Value, what: string, span: Span): number => {
    if (v.kind !== "number" || !isInteger(concrete(v.type)) || v.type === "Bool") throw fail("argument-error", `ArgumentError: ${what} must be an integer known at compile time, got ${describeValue(v)}`, span);
    return toNumber(v.value);
  };

  /** NNlib's `expand` then check_spdf's `expand_size`: an Int repeats `n` times, a tuple is taken as is. */
  const expand = (v: Value, n: number, what: string, span: Span): number[] => {
    if (v.kind === "tuple") return v.elements.map((e) => knownInt(e, what, span));
    return new Array<number>(n).fill(knownInt(v, what, span));
  };

  const keyword = (args: CallArgs, name: string, fallback: Value): Value => args.keywords.get(name) ?? fallback;

  const knownBool = (v: Value, what: string, span: Span): boolean => {
    if (v.kind !== "number" || v.type !== "Bool") throw fail("type-error", `TypeError: ${what} must be a Bool known at compile time, got ${describeValue(v)}`, span);
    return Boolean(v.value);
  };

  /**
   * check_spdf (src/dim_helpers/ConvDims.jl): stride and dilation have one entry per spatial
   * dimension; padding has one (symmetric) or two (lo, hi) per spatial dimension; the dilated
   * kernel must fit in the padded input.
   */
  const checkSpdf = (xSize: number[], wSpatial: number[], stride: Value, padding: Value, dilation: Value, span: Span) => {
    const nd = xSize.length - 2;
    const s = expand(stride, nd, "stride", span);
    const d = expand(dilation, nd, "dilation", span);
    const p = expand(padding, nd, "pad", span);
    if (s.length !== nd) throw mismatch(`Stride ${s.length}d, should be ${nd}d!`, span);
    if (d.length !== nd) throw mismatch(`Dilation ${d.length}d, should be ${nd}d!`, span);
    let pp: number[];
    if (p.length === 2 * nd) pp = p;
    else if (p.length === nd) pp = p.flatMap((x) => [x, x]);
    else throw mismatch(`Padding ${p.length}d, should be either ${nd}d or ${2 * nd}d!`, span);
    if (s.some((x) => x < 1)) throw fail("argument-error", `ArgumentError: stride must be positive, got ${tupleText(s)}`, span);
    if (d.some((x) => x < 1)) throw fail("argument-error", `ArgumentError: dilation must be positive, got ${tupleText(d)}`, span);
    if (pp.some((x) => x < 0)) throw fail("argument-error", `ArgumentError: padding must not be negative, got ${tupleText(pp)}`, span);
    for (let i = 0; i < nd; i++) {
      const [is, ks, pl, ph, ds] = [xSize[i]!, wSpatial[i]!, pp[2 * i]!, pp[2 * i + 1]!, d[i]!];
      if (is + pl + ph < (ks - 1) * ds + 1) throw mismatch(`Kernel * dilation ((${ks} - 1) * ${ds} + 1) cannot be larger than input + padding (${is} + ${pl} + ${ph})!`, span);
    }
    return { stride: s, padding: pp, dilation: d };
  };

  const checkRank = (x: Tensor, w: Tensor, name: string, span: Span) => {
    if (x.size.length !== w.size.length) throw mismatch(`Rank of x and w must match! (${x.size.length} vs. ${w.size.length})`, span);
    if (x.size.length < 3 || x.size.length > 5) throw fail("no-method", `MethodError: ${name} takes 3-, 4- or 5-dimensional arrays (1-, 2- or 3-d convolutions), got size ${showSize(x.size)}`, span);
  };

  /** DenseConvDims(x_size, w_size; stride, padding, dilation, groups, flipkernel) (src/dim_helpers/DenseConvDims.jl). */
  const denseConvDims = (xSize: number[], wSize: number[], stride: Value, padding: Value, dilation: Value, groups: number, flipkernel: boolean, span: Span): ConvDims => {
    const n = xSize.length;
    const spdf = checkSpdf(xSize, wSize.slice(0, n - 2), stride, padding, dilation, span);
    if (groups < 1) throw fail("argument-error", `ArgumentError: groups must be positive, got ${groups}`, span);
    if (xSize[n - 2] !== wSize[n - 2]! * groups) throw mismatch(`Input channels must match! (${xSize[n - 2]} vs. ${wSize[n - 2]})`, span);
    if (xSize[n - 2]! % wSize[n - 2]! !== 0 || wSize[n - 1]! % groups !== 0)
      throw mismatch(`Group count should be divisble by input and output channels (${groups} vs. ${tupleText(wSize.slice(n - 2))})`, span);
    return { inputSize: xSize.slice(0, n - 2), kernelSize: wSize.slice(0, n - 2), channelsIn: xSize[n - 2]!, channelsOut: wSize[n - 1]!, groups, ...spdf, flipkernel };
  };

  const outputSize = (c: ConvDims): number[] =>
    c.inputSize.map((is, i) => Math.floor((is + c.padding[2 * i]! + c.padding[2 * i + 1]! - (c.kernelSize[i]! - 1) * c.dilation[i]! - 1) / c.stride[i]!) + 1);

  const intTuple = (xs: number[]): Value => tuple(xs.map((x) => num("Int64", x)));

  /** Until structs land, a DenseConvDims is a NamedTuple with the struct's field names. */
  const convDimsValue = (c: ConvDims): NamedTupleValue => ({
    kind: "namedtuple",
    names: CONV_DIMS_FIELDS,
    elements: [intTuple(c.inputSize), intTuple(c.kernelSize), num("Int64", c.channelsIn), num("Int64", c.channelsOut), num("Int64", c.groups), intTuple(c.stride), intTuple(c.padding), intTuple(c.dilation), num("Bool", c.flipkernel)],
  });

  const convDimsOf = (v: Value, span: Span): ConvDims => {
    if (v.kind !== "namedtuple" || CONV_DIMS_FIELDS.some((f) => !v.names.includes(f))) throw fail("type-error", `TypeError: expected a DenseConvDims, got ${describeValue(v)}`, span);
    const field = (f: string) => v.elements[v.names.indexOf(f)]!;
    const ints = (f: string) => expand(field(f), 0, f, span);
    return {
      inputSize: ints("input_size"), kernelSize: ints("kernel_size"),
      channelsIn: knownInt(field("channels_in"), "channels_in", span), channelsOut: knownInt(field("channels_out"), "channels_out", span), groups: knownInt(field("groupcount"), "groupcount", span),
      stride: ints("stride"), padding: ints("padding"), dilation: ints("dilation"), flipkernel: knownBool(field("flipkernel"), "flipkernel", span),
    };
  };

  const promoted = (a: Tensor, b: Tensor): [Tensor, Tensor] => {
    const t = concrete(promoteType(a.eltype, b.eltype));
    return [arrays.convert(a, t), arrays.convert(b, t)];
  };

  const spatialDims = (nd: number) => Array.from({ length: nd }, (_, i) => i);

  const window = (sizes: number[], f: (i: number) => Partial<WindowDimension>): WindowDimension[] =>
    sizes.map((size, i) => ({ size, stride: 1, paddingLow: 0, paddingHigh: 0, windowDilation: 1, baseDilation: 1, windowReversal: false, ...f(i) }));

  /** The standard layout: (spatial..., channel, batch) for data, (spatial..., in, out) for kernels. */
  const standardLayout = (n: number): ConvLayout => {
    const spatial = spatialDims(n - 2);
    return { input: { batch: n - 1, feature: n - 2, spatial }, kernel: { output: n - 1, input: n - 2, spatial }, output: { batch: n - 1, feature: n - 2, spatial } };
  };

  // NNlib's conv with flipkernel=false indexes the kernel as w[K - k + 1] (kproj in
  // src/impl/conv_direct.jl; flipped indices in conv_im2col.jl too): a true convolution. XLA's
  // convolution is a cross-correlation, so the kernel is reversed in its spatial dimensions unless
  // flipped=true. (NNlib's docstring says the opposite; the implementation is what runs.)
  const correlationKernel = (w: Tensor, c: ConvDims): Tensor => (c.flipkernel ? w : arrays.reverseDims(w, spatialDims(c.kernelSize.length)));

  const conv = (x: Tensor, w: Tensor, c: ConvDims): Tensor => {
    const [xp, wp] = promoted(x, w);
    const n = x.size.length;
    const win = window(c.kernelSize, (i) => ({ stride: c.stride[i], paddingLow: c.padding[2 * i], paddingHigh: c.padding[2 * i + 1], windowDilation: c.dilation[i] }));
    return arrays.convolution(xp, correlationKernel(wp, c), standardLayout(n), win, c.groups, 1);
  };

  /**
   * ∇conv_data(dy, w, cdims): the gradient of conv(x, w, cdims) with respect to x. As a
   * convolution of dy (dilated by the stride) with the kernel's spatial reverse, input and output
   * channels exchanged; with groups, each group's output channels become its input channels.
   */
  const convData = (dy: Tensor, w: Tensor, c: ConvDims): Tensor => {
    const [dyp, wp] = promoted(dy, w);
    const n = dy.size.length, nd = n - 2, G = c.groups;
    const sp = spatialDims(nd);
    const outSize = dy.size.slice(0, nd);
    // The correlation kernel reversed: w itself unless flipped (where the forward pass used w).
    let k = c.flipkernel ? arrays.reverseDims(wp, sp) : wp;
    const [I, O] = [wp.size[n - 2]!, wp.size[n - 1]!];
    if (G > 1) {
      // (spatial..., I, O) -> (spatial..., I, O÷G, G) -> (spatial..., I, G, O÷G) -> (spatial..., I*G, O÷G).
      k = arrays.reshape(k, [...c.kernelSize, I, O / G, G]);
      k = arrays.permute(k, [...sp, nd, nd + 2, nd + 1]);
      k = arrays.reshape(k, [...c.kernelSize, I * G, O / G]);
    }
    const layout: ConvLayout = { input: { batch: n - 1, feature: n - 2, spatial: sp }, kernel: { output: n - 2, input: n - 1, spatial: sp }, output: { batch: n - 1, feature: n - 2, spatial: sp } };
    const win = window(c.kernelSize, (i) => {
      const kd = (c.kernelSize[i]! - 1) * c.dilation[i]! + 1;
      const lo = c.padding[2 * i]!;
      return { paddingLow: kd - lo - 1, paddingHigh: c.inputSize[i]! + lo - (outSize[i]! - 1) * c.stride[i]! - 1, windowDilation: c.dilation[i], baseDilation: c.stride[i] };
    });
    return arrays.convert(arrays.convolution(dyp, k, layout, win, G, 1), dy.eltype);
  };

  /**
   * ∇conv_filter(x, dy, cdims): the gradient of conv(x, w, cdims) with respect to w. As a
   * convolution of x (channels as the batch) with dy (batch as the contracted feature),
   * window-strided by the dilation and dilated by the stride; groups become batch groups.
   */
  const convFilter = (x: Tensor, dy: Tensor, c: ConvDims): Tensor => {
    const [xp, dyp] = promoted(x, dy);
    const n = x.size.length, nd = n - 2;
    const sp = spatialDims(nd);
    const outSize = dy.size.slice(0, nd);
    const layout: ConvLayout = { input: { batch: n - 2, feature: n - 1, spatial: sp }, kernel: { output: n - 2, input: n - 1, spatial: sp }, output: { batch: n - 2, feature: n - 1, spatial: sp } };
    const win = window(outSize, (i) => {
      const kd = (c.kernelSize[i]! - 1) * c.dilation[i]! + 1;
      const lo = c.padding[2 * i]!;
      return { stride: c.dilation[i], paddingLow: lo, paddingHigh: (outSize[i]! - 1) * c.stride[i]! + 1 - c.inputSize[i]! + kd - lo - 1, windowDilation: c.stride[i] };
    });
    const dw = arrays.convolution(xp, dyp, layout, win, 1, c.groups);
    return arrays.convert(correlationKernel(dw, c), dy.eltype);
  };

  /** Checks data against a DenseConvDims as NNlib's check_dims does. */
  const checkData = (what: string, t: Tensor, spatial: number[], channels: number, span: Span) => {
    const n = t.size.length;
    if (n !== spatial.length + 2) throw mismatch(`${what} must have ${spatial.length + 2} dimensions for this DenseConvDims, got size ${showSize(t.size)}`, span);
    if (t.size.slice(0, n - 2).some((d, i) => d !== spatial[i])) throw mismatch(`${what} spatial size (${tupleText(t.size.slice(0, n - 2))} vs. ${tupleText(spatial)})`, span);
    if (t.size[n - 2] !== channels) throw mismatch(`${what} channel count (${t.size[n - 2]} vs. ${channels})`, span);
  };

  const checkKernel = (w: Tensor, c: ConvDims, span: Span) => {
    const n = w.size.length;
    if (n !== c.kernelSize.length + 2 || w.size.slice(0, n - 2).some((d, i) => d !== c.kernelSize[i])) throw mismatch(`Kernel spatial size (${tupleText(w.size.slice(0, Math.max(0, n - 2)))} vs. ${tupleText(c.kernelSize)})`, span);
    if (w.size[n - 2]! * c.groups !== c.channelsIn) throw mismatch(`Kernel input channel count (${w.size[n - 2]} vs. ${c.channelsIn})`, span);
    if (w.size[n - 1] !== c.channelsOut) throw mismatch(`Kernel output channel count (${w.size[n - 1]} vs. ${c.channelsOut})`, span);
  };

  const convKeywords = ["stride", "pad", "dilation", "flipped", "groups"];

  define("conv", (args) => {
    arity(args, "conv", 2, 3);
    const x = arrayArg(args, "conv", 0), w = arrayArg(args, "conv", 1);
    checkRank(x, w, "conv", args.span);
    if (args.positional.length === 3) {
      lib.keywords(args, "conv");
      const c = convDimsOf(args.positional[2]!, spanOf(args, 2));
      checkData("Data input", x, c.inputSize, c.channelsIn, spanOf(args, 0));
      checkKernel(w, c, spanOf(args, 1));
      return conv(x, w, c);
    }
    lib.keywords(args, "conv", convKeywords);
    const one = num("Int64", 1);
    const c = denseConvDims(x.size, w.size, keyword(args, "stride", one), keyword(args, "pad", num("Int64", 0)), keyword(args, "dilation", one),
      knownInt(keyword(args, "groups", one), "groups", args.span), knownBool(keyword(args, "flipped", num("Bool", false)), "flipped", args.span), args.span);
    return conv(x, w, c);
  });

  define("DenseConvDims", (args) => {
    arity(args, "DenseConvDims", 2);
    lib.keywords(args, "DenseConvDims", ["stride", "padding", "dilation", "groups", "flipkernel"]);
    const sizeOf = (v: Value, i: number) => {
      if (v.kind === "tensor" && !v.scalar) return v.size;
      if (v.kind === "tuple") return expand(v, 0, "size", spanOf(args, i));
      throw methodError("DenseConvDims", args);
    };
    const xs = sizeOf(args.positional[0]!, 0), ws = sizeOf(args.positional[1]!, 1);
    if (xs.length !== ws.length) throw mismatch(`Rank of x and w must match! (${xs.length} vs. ${ws.length})`, args.span);
    const one = num("Int64", 1);
    return convDimsValue(denseConvDims(xs, ws, keyword(args, "stride", one), keyword(args, "padding", num("Int64", 0)), keyword(args, "dilation", one),
      knownInt(keyword(args, "groups", one), "groups", args.span), knownBool(keyword(args, "flipkernel", num("Bool", false)), "flipkernel", args.span), args.span));
  });

  define("output_size", (args) => {
    arity(args, "output_size", 1);
    return intTuple(outputSize(convDimsOf(args.positional[0]!, spanOf(args, 0))));
  });

  define("∇conv_data", (args) => {
    arity(args, "∇conv_data", 3);
    lib.keywords(args, "∇conv_data");
    const dy = arrayArg(args, "∇conv_data", 0), w = arrayArg(args, "∇conv_data", 1);
    const c = convDimsOf(args.positional[2]!, spanOf(args, 2));
    checkData("Data output", dy, outputSize(c), c.channelsOut, spanOf(args, 0));
    checkKernel(w, c, spanOf(args, 1));
    return convData(dy, w, c);
  });

  define("∇conv_filter", (args) => {
    arity(args, "∇conv_filter", 3);
    lib.keywords(args, "∇conv_filter");
    const x = arrayArg(args, "∇conv_filter", 0), dy = arrayArg(args, "∇conv_filter", 1);
    const c = convDimsOf(args.positional[2]!, spanOf(args, 2));
    checkData("Data input", x, c.inputSize, c.channelsIn, spanOf(args, 0));
    checkData("Data output", dy, outputSize(c), c.channelsOut, spanOf(args, 1));
    if (x.size[x.size.length - 1] !== dy.size[dy.size.length - 1]) throw mismatch(`Batch size (${x.size[x.size.length - 1]} vs. ${dy.size[dy.size.length - 1]})`, args.span);
    return convFilter(x, dy, c);
  });

  // depthwiseconv (src/conv.jl): a grouped conv with groups = channels_in, the weight
  // (spatial..., multiplier, channels_in) reshaped to (spatial..., 1, multiplier * channels_in).
  define("depthwiseconv", (args) => {
    arity(args, "depthwiseconv", 2);
    lib.keywords(args, "depthwiseconv", ["stride", "pad", "dilation", "flipped"]);
    const x = arrayArg(args, "depthwiseconv", 0), w = arrayArg(args, "depthwiseconv", 1);
    checkRank(x, w, "depthwiseconv", args.span);
    const n = x.size.length;
    if (x.size[n - 2] !== w.size[n - 1]) throw mismatch(`Input channels must match! (${x.size[n - 2]} vs. ${w.size[n - 1]})`, args.span);
    const grouped = arrays.reshape(w, [...w.size.slice(0, n - 2), 1, w.size[n - 2]! * w.size[n - 1]!]);
    const one = num("Int64", 1);
    const c = denseConvDims(x.size, grouped.size, keyword(args, "stride", one), keyword(args, "pad", num("Int64", 0)), keyword(args, "dilation", one),
      x.size[n - 2]!, knownBool(keyword(args, "flipped", num("Bool", false)), "flipped", args.span), args.span);
    return conv(x, grouped, c);
  });

  // ---- pooling -------------------------------------------------------------------------------

  /** PoolDims(x, k; stride, padding): the reduce-window over the spatial dimensions (channels and batch untouched). */
  const poolWindow = (x: Tensor, args: CallArgs, name: string): WindowDimension[] => {
    const kv = args.positional[1]!;
    if (kv.kind !== "tuple") throw methodError(name, args, `${name}(x, k) takes the window as a tuple, e.g. (2, 2)`);
    const k = expand(kv, 0, `${name}: window size`, spanOf(args, 1));
    const n = x.size.length;
    if (n < 3 || n > 5) throw fail("no-method", `MethodError: ${name} takes 3-, 4- or 5-dimensional arrays, got size ${showSize(x.size)}`, args.span);
    if (k.length !== n - 2) throw mismatch(`${name}: the window ${tupleText(k)} must have one size per spatial dimension of an array of size ${showSize(x.size)} (${n - 2})`, spanOf(args, 1));
    const spdf = checkSpdf(x.size, k, keyword(args, "stride", kv), keyword(args, "pad", num("Int64", 0)), num("Int64", 1), args.span);
    return window(x.size, (i) => (i < n - 2 ? { size: k[i], stride: spdf.stride[i], paddingLow: spdf.padding[2 * i], paddingHigh: spdf.padding[2 * i + 1] } : { size: 1 }));
  };

  /** nextfloat(typemin(T)) for floats (NNlib's maxpool initial value), typemin(T) for integers. */
  const maxpoolInit = (t: ElementType): number | bigint => {
    const info = ELTYPES[t];
    if (info.floatmax !== undefined) return -info.floatmax;
    if (info.kind !== "signed") return 0;
    return info.bytes === 8 ? info.range![0] : Number(info.range![0]);
  };

  define("maxpool", (args) => {
    arity(args, "maxpool", 2);
    lib.keywords(args, "maxpool", ["pad", "stride"]);
    const x = arrayArg(args, "maxpool", 0);
    return arrays.reduceWindowWith(ops.maximum, maxpoolInit(x.eltype), x, poolWindow(x, args, "maxpool"));
  });

  // meanpool divides by prod(k) by default (count_include_pad=true: zero padding counts); with
  // count_include_pad=false by the number of in-bounds elements of each window.
  define("meanpool", (args) => {
    arity(args, "meanpool", 2);
    lib.keywords(args, "meanpool", ["pad", "stride", "count_include_pad"]);
    const x = arrayArg(args, "meanpool", 0);
    if (!isFloat(x.eltype)) throw fail("inexact-error", `meanpool of an ${x.eltype} array: NNlib computes the mean in the element type, which needs floats; convert with Float32.(x)`, args.span);
    const win = poolWindow(x, args, "meanpool");
    const includePad = knownBool(keyword(args, "count_include_pad", num("Bool", true)), "count_include_pad", args.span);
    const sum = arrays.reduceWindowWith(ops.add, 0, x, win);
    const count = includePad
      ? arrays.constant(x.eltype, win.reduce((p, w) => p * w.size, 1))
      : arrays.reduceWindowWith(ops.add, 0, { ...arrays.broadcastTo(arrays.constant(x.eltype, 1), x.size), scalar: false }, win);
    const reciprocal = arrays.elementwise(ops.divide, [arrays.constant(x.eltype, 1), count], false);
    return arrays.elementwise(ops.multiply, [sum, reciprocal], false);
  });

  // ---- batched matrix products ---------------------------------------------------------------

  /**
   * batched_mul (src/batched/batchedmul.jl): C[:, :, k...] = A[:, :, k...] * B[:, :, k...]. A
   * 3-d operand with batch size 1, or a matrix, is used for every batch; higher ranks flatten
   * their batch dimensions.
   */
  const batchedMul = (args: CallArgs): Value => {
    arity(args, "batched_mul", 2);
    lib.keywords(args, "batched_mul");
    let [a, b] = promoted(arrayArg(args, "batched_mul", 0), arrayArg(args, "batched_mul", 1));
    if (a.size.length < 2 || b.size.length < 2) throw methodError("batched_mul", args);
    const as = a.size, bs = b.size;
    if (as.length === 2 && bs.length === 2) throw methodError("batched_mul", args, "batched_mul needs a 3-dimensional array; use * for two matrices");
    let batch: number[];
    if (as.length === 2 || bs.length === 2) batch = (as.length === 2 ? bs : as).slice(2);
    else if (as.length === 3 && bs.length === 3) {
      if (as[2] !== bs[2] && as[2] !== 1 && bs[2] !== 1) throw mismatch(`batch size mismatch: A has size ${showSize(as)}, B has size ${showSize(bs)}`, args.span);
      batch = [Math.max(as[2]!, bs[2]!)];
    } else {
      if (as.length !== bs.length || as.slice(2).some((d, i) => d !== bs[i + 2])) throw mismatch(`batch size has to be the same for the two arrays: A has size ${showSize(as)}, B has size ${showSize(bs)}`, args.span);
      batch = as.slice(2);
    }
    const B = batch.reduce((p, q) => p * q, 1);
    const to3 = (t: Tensor): Tensor => {
      const flat = t.size.length === 2 ? arrays.reshape(t, [...t.size, 1]) : arrays.reshape(t, [t.size[0]!, t.size[1]!, t.size.slice(2).reduce((p, q) => p * q, 1)]);
      return flat.size[2] === B ? flat : { ...arrays.broadcastTo(flat, [flat.size[0]!, flat.size[1]!, B]), scalar: false };
    };
    a = to3(a);
    b = to3(b);
    if (a.size[1] !== b.size[0]) throw mismatch(`A has dimensions ${showSize(as)} but B has dimensions ${showSize(bs)}: size(A, 2) must equal size(B, 1)`, args.span);
    const c = arrays.batchedMatmul(a, b);
    return batch.length === 1 ? c : arrays.reshape(c, [c.size[0]!, c.size[1]!, ...batch]);
  };
  define(["batched_mul", "⊠"], batchedMul);

  // batched_transpose/batched_adjoint are lazy wrappers in NNlib; values here, so the permuted
  // array itself (the adjoint of a real number is itself).
  const batchedTranspose = (name: string) =>
    define(name, (args) => {
      arity(args, name, 1);
      const x = arrayArg(args, name, 0);
      if (x.size.length !== 3) throw methodError(name, args, `${name} takes a 3-dimensional array`);
      return arrays.permute(x, [1, 0, 2]);
    });
  batchedTranspose("batched_transpose");
  batchedTranspose("batched_adjoint");

  // ---- attention helpers (dot_product_attention is in prelude.jl) -----------------------------

  /** make_causal_mask(x; dims=2): a (len, len) Bool matrix with m[i, j] = i ≤ j, len = size(x, dims). */
  define("make_causal_mask", (args) => {
    arity(args, "make_causal_mask", 1);
    lib.keywords(args, "make_causal_mask", ["dims"]);
    const x = arrayArg(args, "make_causal_mask", 0);
    const d = knownInt(keyword(args, "dims", num("Int64", 2)), "dims", args.span);
    const len = x.size[d - 1] ?? 1;
    const rows = arrays.iota("Int64", [len, len], 0), cols = arrays.iota("Int64", [len, len], 1);
    return arrays.compare("LE", rows, cols, false);
  });

  /** The argument checks of NNlib's dot_product_attention for (features, length, batch) arrays. */
  define("_check_attention_sizes", (args) => {
    arity(args, "_check_attention_sizes", 4);
    const [q, k, v] = [0, 1, 2].map((i) => arrayArg(args, "dot_product_attention", i)) as [Tensor, Tensor, Tensor];
    const nheads = knownInt(args.positional[3]!, "nheads", args.span);
    const sizes = `size(q): ${showSize(q.size)}, size(k): ${showSize(k.size)}, size(v): ${showSize(v.size)}`;
    const argumentError = (m: string) => fail("argument-error", `ArgumentError: ${m}`, args.span);
    if (q.size.length !== k.size.length || q.size.length !== v.size.length) throw methodError("dot_product_attention", args, "query, key and value must have the same number of dimensions");
    if (q.size.length < 2) throw methodError("dot_product_attention", args, "query, key and value are (features, length, batch...) arrays");
    if (nheads < 1 || [q, k, v].some((t) => t.size[0]! % nheads !== 0)) throw argumentError(`First dimension in query, key and value must be divisible by \`nheads\`. Instead: ${sizes}, nheads: ${nheads}`);
    if ([k, v].some((t) => t.size.slice(2).some((d, i) => d !== q.size[i + 2]))) throw argumentError(`Batch dimensions have to be the same. Instead: ${sizes}`);
    if (q.size[0] !== k.size[0]) throw argumentError(`First dimension in query and key has to be the same. Instead: size(q): ${showSize(q.size)}, size(k): ${showSize(k.size)}`);
    if (k.size[1] !== v.size[1]) throw argumentError(`Second dimension in key and value has to be the same. Instead: size(k): ${showSize(k.size)}, size(v): ${showSize(v.size)}`);
    void interp;
    return NOTHING;
  });
}
