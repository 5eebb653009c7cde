// NNlib primitives compiled by our compiler and run on XLA's CPU client, against references
// computed in the test: JAX's lax.conv_general_dilated (and jax.vjp of it for the gradients) for
// convolutions, NumPy for the rest. References see Julia-order arrays: x is (W, H, C, N), so `x.T`
// is JAX's NCHW and `w.T` its OIHW; NNlib's default (flipped=false) is a true convolution, so the
// reference flips the kernel's spatial axes itself.

import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { ArgCase, ConformanceCase } from "../support/conformance.js";
import { compileErrorText, conformanceTests } from "../support/conformance.js";

const F32 = "Float32" as const;
const a = (...size: number[]): ArgCase => ({ eltype: F32, size });
const a64 = (...size: number[]): ArgCase => ({ eltype: "Float64", size });

const JAX = "__import__('jax')";

interface ConvOptions {
  stride?: number[];
  /** (lo, hi) per Julia spatial dimension. */
  pad?: [number, number][];
  dilation?: number[];
  flipped?: boolean;
  groups?: number;
}

/** NNlib.conv as JAX computes it, on Julia-order arrays (expressions `x`, `w`; works on tracers too). */
function convRef(x: string, w: string, nd: number, o: ConvOptions = {}): string {
  const rev = <T>(xs: T[]) => [...xs].reverse();
  const stride = rev(o.stride ?? new Array(nd).fill(1));
  const dil = rev(o.dilation ?? new Array(nd).fill(1));
  const pad = rev(o.pad ?? new Array(nd).fill([0, 0]));
  const axes = `(${Array.from({ length: nd }, (_, i) => i).join(", ")},)`;
  const kernel = o.flipped ? `(${w})` : `${JAX}.numpy.flip(${w}, ${axes})`;
  return `${JAX}.lax.conv_general_dilated((${x}).T, ${kernel}.T, window_strides=${JSON.stringify(stride)}, padding=${JSON.stringify(pad)}, rhs_dilation=${JSON.stringify(dil)}, feature_group_count=${o.groups ?? 1}, precision=${JAX}.lax.Precision.HIGHEST).T`;
}

const conv = (nd: number, o?: ConvOptions) => `np.asarray(${convRef("x1", "x2", nd, o)})`;
/** ∇conv_data(dy, w, cdims) is the vjp of conv with respect to x: f(x, w, dy). */
const convData = (nd: number, o?: ConvOptions) => `np.asarray(${JAX}.vjp(lambda x_: ${convRef("x_", "x2", nd, o)}, x1)[1](x3)[0])`;
/** ∇conv_filter(x, dy, cdims) is the vjp of conv with respect to w: f(x, w, dy). */
const convFilter = (nd: number, o?: ConvOptions) => `np.asarray(${JAX}.vjp(lambda w_: ${convRef("x1", "w_", nd, o)}, x2)[1](x3)[0])`;

/** Pooling with NumPy: pad, take every window, reduce; `fill` is the padding value. */
function poolRef(kind: "max" | "mean" | "mean-exclude", nd: number, k: number[], stride: number[], pad: [number, number][]): string {
  const pads = JSON.stringify([...pad, [0, 0], [0, 0]]);
  const axes = `(${Array.from({ length: nd }, (_, i) => i).join(", ")},)`;
  const last = `(${Array.from({ length: nd }, (_, i) => -nd + i).join(", ")},)`;
  const strided = `[${stride.map((s) => `::${s}`).join(", ")}]`;
  const windows = (expr: string) => `np.lib.stride_tricks.sliding_window_view(${expr}, ${JSON.stringify(k)}, axis=${axes})${strided}`;
  if (kind === "max") return `${windows(`np.pad(x1, ${pads}, constant_values=-np.inf)`)}.max(axis=${last})`;
  const sums = `${windows(`np.pad(x1, ${pads})`)}.sum(axis=${last})`;
  if (kind === "mean") return `${sums} / ${k.reduce((p, q) => p * q, 1)}`;
  return `${sums} / ${windows(`np.pad(np.ones_like(x1), ${pads})`)}.sum(axis=${last})`;
}

/** NNlib.dot_product_attention on (features, length, batch) arrays, in NumPy: returns (output, scores). */
function attentionRef(h: number, causal: boolean, bias = false): string {
  const split = (v: string) => `${v}.reshape((${v}.shape[0] // ${h}, ${h}) + ${v}.shape[1:], order='F')`;
  const keep = causal ? "(np.arange(x2.shape[1])[:, None] <= np.arange(x1.shape[1])[None, :])[:, :, None, None]" : "True";
  const logits = `np.einsum('dhib,dhjb->jihb', qh, kh) / np.sqrt(np.float32(qh.shape[0]))${bias ? " + x4[:, :, None, None]" : ""}`;
  return `(lambda qh, kh, vh: (lambda lg: (lambda e: (lambda al: (np.einsum('jihb,dhjb->dhib', al, vh).reshape((x3.shape[0], x1.shape[1], x1.shape[2]), order='F'), al))(e / e.sum(0)))(np.exp(lg - lg.max(0))))(np.where(${keep}, ${logits}, -np.inf)))(${split("x1")}, ${split("x2")}, ${split("x3")})`;
}

const sig = "(lambda z: 1 / (1 + np.exp(-z)))";
const softplus = "(lambda z: np.log1p(np.exp(-np.abs(z))) + np.maximum(z, 0))";

const cases: ConformanceCase[] = [
  // ---- conv ------------------------------------------------------------------------------
  { name: "conv defaults to a true convolution (the kernel is flipped)", source: "f(x, w) = conv(x, w)", args: [a(7, 6, 3, 2), a(3, 3, 3, 4)], ref: conv(2), rtol: 1e-4 },
  { name: "conv with flipped=true is a cross-correlation", source: "f(x, w) = conv(x, w; flipped = true)", args: [a(7, 6, 3, 2), a(3, 3, 3, 4)], ref: conv(2, { flipped: true }), rtol: 1e-4 },
  { name: "conv with stride 2", source: "f(x, w) = conv(x, w; stride = 2)", args: [a(9, 8, 2, 2), a(3, 3, 2, 3)], ref: conv(2, { stride: [2, 2] }), rtol: 1e-4 },
  { name: "conv with pad = 1 pads every side", source: "f(x, w) = conv(x, w; pad = 1)", args: [a(6, 5, 2, 1), a(3, 3, 2, 3)], ref: conv(2, { pad: [[1, 1], [1, 1]] }), rtol: 1e-4 },
  { name: "conv with one pad per spatial dimension", source: "f(x, w) = conv(x, w; pad = (2, 1))", args: [a(6, 5, 2, 1), a(3, 2, 2, 3)], ref: conv(2, { pad: [[2, 2], [1, 1]] }), rtol: 1e-4 },
  { name: "conv with asymmetric (lo, hi) padding per dimension", source: "f(x, w) = conv(x, w; pad = (1, 0, 2, 1))", args: [a(6, 5, 2, 2), a(3, 3, 2, 3)], ref: conv(2, { pad: [[1, 0], [2, 1]] }), rtol: 1e-4 },
  { name: "conv with dilation 2", source: "f(x, w) = conv(x, w; dilation = 2)", args: [a(9, 9, 2, 1), a(3, 3, 2, 2)], ref: conv(2, { dilation: [2, 2] }), rtol: 1e-4 },
  { name: "conv with per-dimension stride, dilation and asymmetric pad", source: "f(x, w) = conv(x, w; stride = (1, 2), dilation = (2, 1), pad = (0, 1, 1, 1))", args: [a(9, 8, 2, 2), a(3, 3, 2, 3)], ref: conv(2, { stride: [1, 2], dilation: [2, 1], pad: [[0, 1], [1, 1]] }), rtol: 1e-4 },
  { name: "conv with groups = 2", source: "f(x, w) = conv(x, w; groups = 2)", args: [a(6, 6, 4, 2), a(3, 3, 2, 6)], ref: conv(2, { groups: 2 }), rtol: 1e-4 },
  { name: "conv with groups = 3, flipped, padded", source: "f(x, w) = conv(x, w; groups = 3, flipped = true, pad = 1)", args: [a(5, 5, 3, 2), a(2, 2, 1, 6)], ref: conv(2, { groups: 3, flipped: true, pad: [[1, 1], [1, 1]] }), rtol: 1e-4 },
  { name: "1-d conv (W, C, N) with stride and pad", source: "f(x, w) = conv(x, w; stride = 2, pad = (2, 1))", args: [a(11, 3, 2), a(4, 3, 5)], ref: conv(1, { stride: [2], pad: [[2, 1]] }), rtol: 1e-4 },
  { name: "3-d conv (W, H, D, C, N) with pad and stride", source: "f(x, w) = conv(x, w; pad = 1, stride = (1, 2, 1))", args: [a(5, 6, 4, 2, 2), a(3, 3, 2, 2, 3)], ref: conv(3, { pad: [[1, 1], [1, 1], [1, 1]], stride: [1, 2, 1] }), rtol: 1e-4 },
  { name: "conv with a DenseConvDims equals conv with keywords", source: "function f(x, w)\n    cdims = DenseConvDims(x, w; stride = 2, padding = (1, 0, 0, 1), dilation = (1, 2))\n    return conv(x, w, cdims), output_size(cdims)\nend", args: [a(8, 9, 2, 2), a(3, 2, 2, 3)], ref: `(${conv(2, { stride: [2, 2], pad: [[1, 0], [0, 1]], dilation: [1, 2] })}, 4, 4)`, rtol: 1e-4 },
  { name: "conv of Float64 arrays", source: "f(x, w) = conv(x, w; pad = 1)", args: [a64(5, 4, 2, 1), a64(3, 3, 2, 2)], ref: conv(2, { pad: [[1, 1], [1, 1]] }), rtol: 1e-10 },
  { name: "depthwiseconv is a grouped conv with the multiplier channels of each input channel together", source: "f(x, w) = depthwiseconv(x, w; pad = 1)", args: [a(6, 5, 3, 2), a(3, 3, 2, 3)], ref: `np.asarray(${convRef("x1", "x2.reshape((3, 3, 1, 6), order='F')", 2, { pad: [[1, 1], [1, 1]], groups: 3 })})`, rtol: 1e-4 },
  // ---- ∇conv_data, ∇conv_filter ---------------------------------------------------------------
  { name: "∇conv_data is the vjp of conv in x", source: "f(x, w, dy) = ∇conv_data(dy, w, DenseConvDims(x, w))", args: [a(6, 5, 2, 2), a(3, 3, 2, 3), a(4, 3, 3, 2)], ref: convData(2), rtol: 1e-4 },
  { name: "∇conv_data with stride 2 and asymmetric padding (output size not divisible)", source: "f(x, w, dy) = ∇conv_data(dy, w, DenseConvDims(x, w; stride = 2, padding = (1, 0, 2, 1)))", args: [a(8, 7, 2, 2), a(3, 3, 2, 3), a(4, 4, 3, 2)], ref: convData(2, { stride: [2, 2], pad: [[1, 0], [2, 1]] }), rtol: 1e-4 },
  { name: "∇conv_data with dilation and groups", source: "f(x, w, dy) = ∇conv_data(dy, w, DenseConvDims(x, w; dilation = (2, 1), groups = 2, padding = 1))", args: [a(7, 6, 4, 2), a(3, 3, 2, 6), a(5, 6, 6, 2)], ref: convData(2, { dilation: [2, 1], groups: 2, pad: [[1, 1], [1, 1]] }), rtol: 1e-4 },
  { name: "∇conv_data with flipkernel=true", source: "f(x, w, dy) = ∇conv_data(dy, w, DenseConvDims(x, w; flipkernel = true, stride = (2, 1)))", args: [a(7, 6, 2, 1), a(3, 2, 2, 3), a(3, 5, 3, 1)], ref: convData(2, { flipped: true, stride: [2, 1] }), rtol: 1e-4 },
  { name: "∇conv_data of a 3-d convolution", source: "f(x, w, dy) = ∇conv_data(dy, w, DenseConvDims(x, w; padding = 1, stride = 2))", args: [a(5, 4, 6, 2, 1), a(3, 3, 3, 2, 2), a(3, 2, 3, 2, 1)], ref: convData(3, { pad: [[1, 1], [1, 1], [1, 1]], stride: [2, 2, 2] }), rtol: 1e-4 },
  { name: "∇conv_filter is the vjp of conv in w", source: "f(x, w, dy) = ∇conv_filter(x, dy, DenseConvDims(x, w))", args: [a(6, 5, 2, 2), a(3, 3, 2, 3), a(4, 3, 3, 2)], ref: convFilter(2), rtol: 1e-4 },
  { name: "∇conv_filter with stride, asymmetric padding and dilation", source: "f(x, w, dy) = ∇conv_filter(x, dy, DenseConvDims(x, w; stride = 2, padding = (0, 1, 1, 0), dilation = (1, 2)))", args: [a(9, 8, 2, 2), a(3, 3, 2, 3), a(4, 3, 3, 2)], ref: convFilter(2, { stride: [2, 2], pad: [[0, 1], [1, 0]], dilation: [1, 2] }), rtol: 1e-4 },
  { name: "∇conv_filter with groups", source: "f(x, w, dy) = ∇conv_filter(x, dy, DenseConvDims(x, w; groups = 2, padding = 1))", args: [a(6, 5, 4, 2), a(3, 3, 2, 6), a(6, 5, 6, 2)], ref: convFilter(2, { groups: 2, pad: [[1, 1], [1, 1]] }), rtol: 1e-4 },
  { name: "∇conv_filter of a flipped 1-d convolution", source: "f(x, w, dy) = ∇conv_filter(x, dy, DenseConvDims(x, w; flipkernel = true, stride = 3, padding = 2))", args: [a(13, 2, 3), a(4, 2, 3), a(5, 3, 3)], ref: convFilter(1, { flipped: true, stride: [3], pad: [[2, 2]] }), rtol: 1e-4 },
  // ---- pooling ---------------------------------------------------------------------------
  { name: "maxpool with a (2, 2) window strides by the window", source: "f(x) = maxpool(x, (2, 2))", args: [a(6, 7, 2, 2)], ref: poolRef("max", 2, [2, 2], [2, 2], [[0, 0], [0, 0]]) },
  { name: "maxpool with pad = 1 and stride = 2 ignores the padding", source: "f(x) = maxpool(x, (3, 3); pad = 1, stride = 2)", args: [a(7, 6, 2, 1)], ref: poolRef("max", 2, [3, 3], [2, 2], [[1, 1], [1, 1]]) },
  { name: "maxpool with asymmetric padding and per-dimension stride", source: "f(x) = maxpool(x, (2, 3); pad = (1, 0, 0, 2), stride = (1, 2))", args: [a(5, 6, 3, 2)], ref: poolRef("max", 2, [2, 3], [1, 2], [[1, 0], [0, 2]]) },
  { name: "1-d maxpool", source: "f(x) = maxpool(x, (3,); stride = 2)", args: [a(9, 2, 2)], ref: poolRef("max", 1, [3], [2], [[0, 0]]) },
  { name: "meanpool divides by the window size", source: "f(x) = meanpool(x, (2, 2))", args: [a(6, 4, 2, 2)], ref: poolRef("mean", 2, [2, 2], [2, 2], [[0, 0], [0, 0]]) },
  { name: "meanpool counts zero padding in the divisor by default", source: "f(x) = meanpool(x, (3, 3); pad = 1, stride = 2)", args: [a(7, 6, 2, 1)], ref: poolRef("mean", 2, [3, 3], [2, 2], [[1, 1], [1, 1]]) },
  { name: "meanpool with count_include_pad=false divides by the in-bounds count", source: "f(x) = meanpool(x, (3, 3); pad = 1, stride = 2, count_include_pad = false)", args: [a(7, 6, 2, 1)], ref: poolRef("mean-exclude", 2, [3, 3], [2, 2], [[1, 1], [1, 1]]) },
  { name: "3-d meanpool", source: "f(x) = meanpool(x, (2, 2, 2))", args: [a(4, 6, 4, 2, 1)], ref: poolRef("mean", 3, [2, 2, 2], [2, 2, 2], [[0, 0], [0, 0], [0, 0]]) },
  // ---- batched_mul -------------------------------------------------------------------------
  { name: "batched_mul multiplies matching slices of the last dimension", source: "f(A, B) = batched_mul(A, B)", args: [a(3, 4, 5), a(4, 2, 5)], ref: "np.einsum('ikb,kjb->ijb', x1, x2)" },
  { name: "batched_mul broadcasts a batch of one and a matrix; ⊠ is batched_mul", source: "f(A, B, M) = (batched_mul(A, B), A ⊠ M, M' ⊠ B)", args: [a(3, 4, 5), a(4, 2, 1), a(4, 2)], ref: "(np.einsum('ikb,kj->ijb', x1, x2[:, :, 0]), np.einsum('ikb,kj->ijb', x1, x3), np.einsum('ki,kjb->ijb', x3, x2))" },
  { name: "batched_mul of 4-d arrays flattens the batch dimensions", source: "f(A, B) = batched_mul(A, B)", args: [a(2, 3, 2, 3), a(3, 4, 2, 3)], ref: "np.einsum('ikbc,kjbc->ijbc', x1, x2)" },
  { name: "batched_transpose and batched_adjoint swap the first two dimensions", source: "f(A, B) = (batched_mul(batched_transpose(A), B), batched_adjoint(B))", args: [a(4, 3, 2), a(4, 5, 2)], ref: "(np.einsum('kib,kjb->ijb', x1, x2), np.transpose(x2, (1, 0, 2)))" },
  // ---- attention -----------------------------------------------------------------------------
  { name: "dot_product_attention with one head returns output and scores", source: "f(q, k, v) = dot_product_attention(q, k, v)", args: [a(4, 5, 2), a(4, 6, 2), a(3, 6, 2)], ref: attentionRef(1, false) },
  { name: "dot_product_attention with a causal mask and two heads", source: "f(q, k, v) = dot_product_attention(q, k, v; mask = make_causal_mask(q), nheads = 2)", args: [a(6, 5, 2), a(6, 5, 2), a(4, 5, 2)], ref: attentionRef(2, true) },
  { name: "dot_product_attention with a bias", source: "f(q, k, v, b) = dot_product_attention(q, k, v, b)", args: [a(4, 3, 2), a(4, 5, 2), a(2, 5, 2), a(5, 3)], ref: attentionRef(1, false, true) },
  { name: "make_causal_mask is m[i, j] = i ≤ j", source: "f(x) = make_causal_mask(x)", args: [a(3, 4, 2)], ref: "np.triu(np.ones((4, 4), dtype=bool))" },
  // ---- activations -------------------------------------------------------------------------
  { name: "gelu is NNlib's tanh approximation", source: "f(x) = (gelu.(x), gelu_tanh.(x))", args: [a(4, 5)], ref: "(lambda g: (g, g))((0.5 * x1 * (1 + np.tanh(np.sqrt(2 / np.pi) * (x1 + 0.044715 * x1 ** 3)))).astype(np.float32))" },
  { name: "logσ, softplus and swish", source: "f(x) = (logσ.(x), logsigmoid.(x), softplus.(x), swish.(x))", args: [a(6)], ref: `(-${softplus}(-x1), -${softplus}(-x1), ${softplus}(x1), x1 * ${sig}(x1))` },
  { name: "elu, leakyrelu, selu and celu", source: "f(x) = (elu.(x), elu.(x, 0.5f0), leakyrelu.(x), leakyrelu.(x, 0.2f0), selu.(x), celu.(x))", args: [a(7)], ref: "(np.where(x1 >= 0, x1, np.expm1(x1)), np.where(x1 >= 0, x1, 0.5 * np.expm1(x1)), np.where(x1 > 0, x1, 0.01 * x1), np.where(x1 > 0, x1, 0.2 * x1), 1.0507009873554805 * np.where(x1 > 0, x1, 1.6732632423543772 * np.expm1(x1)), np.where(x1 >= 0, x1, np.expm1(x1)))" },
  { name: "hardσ, hardtanh, softsign and mish", source: "f(x) = (hardσ.(x), hardtanh.(x), softsign.(x), mish.(x))", args: [a(3, 3)], ref: `(np.clip((x1 + 3) / 6, 0, 1), np.clip(x1, -1, 1), x1 / (1 + np.abs(x1)), x1 * np.tanh(${softplus}(x1)))` },
  { name: "logsoftmax along dims = 2", source: "f(x) = logsoftmax(x; dims = 2)", args: [a(3, 4)], ref: "x1 - x1.max(1, keepdims=True) - np.log(np.exp(x1 - x1.max(1, keepdims=True)).sum(1, keepdims=True))" },
  // ---- a small CNN -------------------------------------------------------------------------
  { name: "conv, relu, maxpool, flatten and dense compose", source: "function f(x, w, W)\n    h = maxpool(relu.(conv(x, w; pad = 1)), (2, 2))\n    return softmax(W * reshape(h, :, size(h, 4)))\nend", args: [a(8, 8, 1, 3), a(3, 3, 1, 2), a(5, 32)], ref: `(lambda h: (lambda z: np.exp(z - z.max(0)) / np.exp(z - z.max(0)).sum(0))(x3 @ h.reshape((-1, h.shape[3]), order='F')))(np.maximum(${conv(2, { pad: [[1, 1], [1, 1]] })}, 0).reshape((2, 4, 2, 4, 2, 3), order='F').max(axis=(0, 2)))`, rtol: 1e-4 },
];

const test = suite("julia nnlib");
conformanceTests(test, cases);

// ---- diagnostics: NNlib's own messages, with Julia-order sizes -----------------------------------

const compileError = compileErrorText;

const errors: [string, string, number[][], RegExp][] = [
  ["conv with mismatched channels is a DimensionMismatch", "f(x, w) = conv(x, w)", [[5, 5, 3, 1], [3, 3, 2, 4]], /DimensionMismatch: Input channels must match! \(3 vs\. 2\)/],
  ["conv with a kernel larger than the padded input", "f(x, w) = conv(x, w; pad = (0, 1))", [[2, 5, 1, 1], [3, 3, 1, 1]], /DimensionMismatch: Kernel \* dilation \(\(3 - 1\) \* 1 \+ 1\) cannot be larger than input \+ padding \(2 \+ 0 \+ 0\)!/],
  ["conv with the wrong number of paddings", "f(x, w) = conv(x, w; pad = (1, 1, 1))", [[5, 5, 1, 1], [3, 3, 1, 1]], /DimensionMismatch: Padding 3d, should be either 2d or 4d!/],
  ["an unknown keyword of conv lists the accepted ones", "f(x, w) = conv(x, w; padding = 1)", [[5, 5, 1, 1], [3, 3, 1, 1]], /no keyword argument `padding`.*keywords: stride, pad, dilation, flipped, groups/],
  ["batched_mul with different batch sizes", "f(A, B) = batched_mul(A, B)", [[2, 3, 4], [3, 2, 5]], /DimensionMismatch: batch size mismatch: A has size \(2, 3, 4\), B has size \(3, 2, 5\)/],
  ["maxpool with a window of the wrong rank", "f(x) = maxpool(x, (2,))", [[4, 4, 1, 1]], /DimensionMismatch: maxpool: the window \(2,\) must have one size per spatial dimension/],
  ["attention with heads that do not divide the features", "f(q) = dot_product_attention(q, q, q; nheads = 3)", [[4, 5, 2]], /ArgumentError: First dimension in query, key and value must be divisible by `nheads`/],
];

for (const [name, source, sizes, pattern] of errors) {
  test(name, () => {
    assert.match(compileError(source, sizes), pattern);
  });
}

test.run();
