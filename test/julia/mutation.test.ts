// Arrays that change: writes into traced arrays (x[i] = v, x[:, j] = col, x[I] .= v, x[I] .+= v, strided ranges)
// with Julia's aliasing, arrays made with similar, copy, zeros or Array{T}(undef, ...) and then
// filled (in loops that unroll and in loops compiled to an XLA while), outputs collected with
// push!, gradients through writes, and recurrent layers over long sequences as one XLA while.
// References are NumPy (Julia-order arrays, 0-based) or jax.grad over lax.scan, computed in the
// test. Then the constructs that are rejected, each with its located error.

import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { ArgCase, ConformanceCase } from "../support/conformance.js";
import { argSpecsOf, compileErrorText, conformanceTests } from "../support/conformance.js";
import { compileEntry } from "../../compiler/compile.js";

const a = (...size: number[]): ArgCase => ({ eltype: "Float32", size });

// An LSTM as Flux 0.15-0.16 computes it (gates stacked in Wi's rows: input, forget, cell,
// output), over x of size (in, len, batch), written with lax.scan.
const LSTM_SCAN = `
def lstm(Wi, Wh, b, x):
    n = Wh.shape[1]
    def step(carry, xt):
        h, c = carry
        g = Wi @ xt + Wh @ h + b[:, None]
        sig = jax.nn.sigmoid
        c = sig(g[n:2*n]) * c + sig(g[:n]) * jnp.tanh(g[2*n:3*n])
        h = sig(g[3*n:]) * jnp.tanh(c)
        return (h, c), h
    z = jnp.zeros((n, x.shape[2]), x.dtype)
    (h, c), ys = lax.scan(step, (z, z), jnp.moveaxis(x, 1, 0))
    return jnp.moveaxis(ys, 0, 1), h, c
`;

const cases: ConformanceCase[] = [
  // ---- x[i] = v and its aliases ------------------------------------------------------------------
  {
    name: "x[i] = v and x[i, j] = v write into the array every alias names; a copy does not see them",
    source: `function f(x)
    y = copy(x)
    z = y
    y[2] = 5
    y[1, 3] = x[2, 2] * 2
    z[3, 4] = -1
    return y, z, x
end`,
    args: [a(3, 4)],
    setup: `
def ref(x):
    y = np.array(x).copy()
    y[1, 0] = 5; y[0, 2] = x[1, 1] * 2; y[2, 3] = -1
    return y, y, x`,
  },
  {
    name: "x[:, j] = col, x[i, :] = row, x[2:3, j] = v and a linear index into a matrix",
    source: `function f(x, c)
    y = zeros(Float32, 3, 4)
    y[:, 2] = c
    y[3, :] = x[1, :]
    y[1:2, 4] = x[2:3, 1]
    y[end] += 10
    return y
end`,
    args: [a(3, 4), a(3)],
    setup: `
def ref(x, c):
    y = np.zeros((3, 4), np.float32)
    y[:, 1] = c; y[2, :] = x[0, :]; y[0:2, 3] = x[1:3, 0]; y[2, 3] += 10
    return y`,
  },
  {
    name: "x[:, j] .= v, x[2:3] .+= v, x[I] .*= s and x[end:-1:1] = v broadcast into the window",
    source: `function f(x, v)
    y = copy(x)
    y[:, 2] .= 0
    y[1, :] .= v[1]
    w = copy(v)
    w[2:3] .+= 1
    w[1:2] .*= 3
    r = zeros(Float32, 4)
    r[end:-1:1] = v
    return y, w, r
end`,
    args: [a(3, 4), a(4)],
    setup: `
def ref(x, v):
    y = np.array(x).copy(); y[:, 1] = 0; y[0, :] = v[0]
    w = np.array(v).copy(); w[1:3] += 1; w[0:2] *= 3
    return y, w, np.array(v)[::-1]`,
  },
  {
    name: "a write at a traced index (the argmax) lands there; past the end it is clamped to the last position, as XLA clamps",
    source: `function f(v)
    i = argmax(v)
    y = copy(v)
    y[i] = 100
    z = zeros(Float32, 6)
    z[i + 10] = 1
    return y, z
end`,
    args: [a(6)],
    setup: `
def ref(v):
    y = np.array(v).copy(); y[np.argmax(v)] = 100
    z = np.zeros(6, np.float32); z[-1] = 1
    return y, z`,
  },
  {
    name: "fill!, copyto! and .= on an array seen through a struct field and a second name",
    source: `struct Buf
    data
end
function f(x)
    b = Buf(zeros(Float32, 2, 3))
    d = b.data
    fill!(d, 2)
    d[1, 1] = x[1]
    copyto!(x, x .* 3)
    return b.data, x
end`,
    args: [a(2, 3)],
    setup: `
def ref(x):
    d = np.full((2, 3), 2, np.float32); d[0, 0] = x[0, 0]
    return d, np.array(x) * 3`,
  },
  {
    name: "writes at strided ranges (x[1:2:5] = v, x[6:-2:2] = v, x[2:2:6, 2:3] .= 1) keep the elements between, and differentiate",
    source: `function f(x, v)
    y = copy(x)
    y[1:2:5] = v
    w = copy(x)
    w[6:-2:2] = v
    z = zeros(Float32, 6, 4)
    z[2:2:6, 2:3] .= 1
    g = gradient(v -> (u = zeros(Float32, 6); u[2:2:6] = v .^ 2; sum(u .* x)), v)[1]
    return y, w, z, g
end`,
    args: [a(6), a(3)],
    setup: `
def ref(x, v):
    y = np.array(x).copy(); y[0:5:2] = v
    w = np.array(x).copy(); w[5:0:-2] = v
    z = np.zeros((6, 4), np.float32); z[1:6:2, 1:3] = 1
    return y, w, z, 2 * np.array(v) * np.array(x)[1:6:2]`,
  },
  // ---- arrays made, then filled --------------------------------------------------------------
  {
    name: "similar(x), Array{Float32}(undef, ...) and Vector{Float32}(undef, n) filled element by element and by slices in known loops",
    source: `function f(x)
    y = similar(x)
    for i in 1:length(x)
        y[i] = 2 * x[i]
    end
    m = Array{Float32}(undef, 2, size(x, 2))
    for j in 1:size(x, 2)
        m[:, j] = x[1:2, j] .+ j
    end
    v = Vector{Float32}(undef, 3)
    v .= 7
    v[2] = sum(x)
    return y, m, v
end`,
    args: [a(3, 4)],
    setup: `
def ref(x):
    m = np.array(x)[0:2, :] + np.arange(1, 5, dtype=np.float32)
    return 2 * x, m, np.array([7, np.sum(x), 7], np.float32)`,
    rtol: 1e-5,
  },
  {
    name: "zeros filled column by column in a loop of 40 steps (an XLA while), through two names of the array",
    source: `function f(x)
    n = size(x, 2)
    y = zeros(Float32, size(x, 1), n)
    z = y
    h = zeros(Float32, size(x, 1))
    for t in 1:n
        h = tanh.(h .+ x[:, t])
        y[:, t] = h
        z[1, t] += 1
    end
    return y, h, z
end`,
    args: [a(3, 40)],
    setup: `
def ref(x):
    y = np.zeros(x.shape, np.float32); h = np.zeros(3, np.float32)
    for t in range(40):
        h = np.tanh(h + x[:, t]); y[:, t] = h; y[0, t] += 1
    return y, h, y`,
  },
  {
    name: "outputs collected with push! in a known loop, joined with hcat(outs...), reduce(hcat, outs) and stack",
    source: `function f(x)
    outs = []
    for t in 1:size(x, 2)
        push!(outs, x[:, t] .* t)
    end
    return hcat(outs...), reduce(hcat, outs), stack(outs), first(outs), last(outs)
end`,
    args: [a(3, 4)],
    setup: `
def ref(x):
    y = np.array(x) * np.arange(1, 5, dtype=np.float32)
    return y, y, y, y[:, 0], y[:, 3]`,
  },
  // ---- gradients -----------------------------------------------------------------------------
  {
    name: "gradient through writes into arrays the function makes (zeros, then columns and elements written) matches jax.grad",
    source: `function f(x)
    function loss(x)
        y = zeros(Float32, 3, 4)
        y[:, 2] = x[:, 1] .* 2
        y[1, 1] = x[2, 3]^2
        y[2:3, 4] .+= x[1:2, 4]
        y[:, 3] .= y[:, 2] .* x[:, 2]
        return sum(y .* y)
    end
    return gradient(loss, x)[1]
end`,
    args: [a(3, 4)],
    setup: `
def ref(x):
    def loss(x):
        y = jnp.zeros((3, 4), jnp.float32)
        y = y.at[:, 1].set(x[:, 0] * 2)
        y = y.at[0, 0].set(x[1, 2] ** 2)
        y = y.at[1:3, 3].add(x[0:2, 3])
        y = y.at[:, 2].set(y[:, 1] * x[:, 1])
        return jnp.sum(y * y)
    return jax.grad(loss)(x)`,
    rtol: 1e-4,
  },
  {
    name: "gradient through a loop of 30 steps writing a traced column each step matches jax.grad",
    source: `function f(x, w)
    function loss(w)
        y = zeros(Float32, size(x))
        for t in 1:size(x, 2)
            y[:, t] = tanh.(w .* x[:, t])
        end
        return sum(y .* x)
    end
    return gradient(loss, w)[1]
end`,
    args: [a(3, 30), a(3)],
    setup: `
def ref(x, w):
    return jax.grad(lambda w: jnp.sum(jnp.tanh(w[:, None] * x) * x))(w)`,
    rtol: 1e-4,
  },
  // ---- recurrent layers as an XLA while --------------------------------------------------------
  {
    name: "LSTM over a sequence of 40 steps (an XLA while) with return_state, and its gradients, match lax.scan and jax.grad",
    source: `using Flux
function f(Wi, Wh, b, x)
    y, (h, c) = LSTM(LSTMCell(Wi, Wh, b); return_state = true)(x)
    g = gradient(m -> sum(sin.(m(x))), LSTM(LSTMCell(Wi, Wh, b)))[1].cell
    return y, h, c, g.Wi, g.Wh, g.bias
end`,
    args: [a(8, 3), a(8, 2), a(8), a(3, 40, 4)],
    setup: `${LSTM_SCAN}
def ref(Wi, Wh, b, x):
    y, h, c = lstm(Wi, Wh, b, x)
    grads = jax.jit(jax.grad(lambda Wi, Wh, b: jnp.sum(jnp.sin(lstm(Wi, Wh, b, x)[0])), (0, 1, 2)))(Wi, Wh, b)
    return (y, h, c) + tuple(grads)`,
    rtol: 1e-4,
  },
];

const test = suite("mutation: writes into traced arrays, arrays filled in loops, recurrent layers as a while");
conformanceTests(test, cases);

test("an LSTM over a sequence compiles to a module whose size does not grow with the sequence's length", () => {
  const source = `using Flux
f(Wi, Wh, b, x) = LSTM(LSTMCell(Wi, Wh, b))(x)`;
  const instructions = (len: number) => {
    const c: ConformanceCase = { name: "lstm", source, args: [a(8, 3), a(8, 2), a(8), a(3, len, 4)] };
    const r = compileEntry({ entry: "lstm", file: "main.jl", function: "f", args: argSpecsOf(c), readSource: (p) => (p === "main.jl" ? source : undefined) });
    assert.ok(r.ok, "compiles");
    return r.ok ? r.text.split("\n").filter((l) => /^\s*(ROOT )?%/.test(l)).length : 0;
  };
  const short = instructions(20);
  assert.ok(short < 200, `${short} instructions for 20 steps`);
  assert.is(instructions(500), short);
});

// ---- what is rejected ---------------------------------------------------------------------------

test("a known index out of bounds is Julia's BoundsError at the index", () => {
  const e = compileErrorText("f(x) = (y = copy(x); y[5] = 1; y)", [[4]]);
  assert.match(e, /bounds-error: BoundsError: attempt to access \(4,\) array at index \[5\]/);
  assert.match(compileErrorText("f(x) = (y = copy(x); y[2:4, 1] .= 0; y)", [[3, 2]]), /BoundsError: attempt to access \(3, 2\) array at index \[2:4\] in dimension 1/);
});

test("writing into an argument of a differentiated function is Zygote's \"Mutating arrays is not supported\"", () => {
  const e = compileErrorText("f(x) = gradient(x -> (x[1] = 0; sum(x)), x)[1]", [[3]]);
  assert.match(e, /mutation-in-gradient: Mutating arrays is not supported/);
  assert.match(e, /copy it first/);
  // So is writing into an array the function reads from outside, and .= into an argument.
  assert.match(compileErrorText("f(x, w) = gradient(w -> (x .= w; sum(x)), w)[1]", [[3], [3]]), /mutation-in-gradient/);
});

test("a write under a condition on traced values is an error that suggests ifelse", () => {
  const e = compileErrorText("f(x) = (y = copy(x); if sum(x) > 0; y[1] = 0; end; y)", [[3]]);
  assert.match(e, /traced-mutation: writing into an array in place under a condition on traced values/);
  assert.match(e, /ifelse/);
});

test("a write into a view or reshape of an array is an error, not a write the parent misses", () => {
  assert.match(compileErrorText("f(x) = (y = copy(x); v = view(y, :, 1); v[1] = 0; y)", [[3, 2]]), /unsupported-mutation: writing in place into an array that shares its memory/);
  assert.match(compileErrorText("f(x) = (y = copy(x); r = reshape(y, 6); r[1] = 0; y)", [[3, 2]]), /unsupported-mutation/);
});

test("assignments Julia rejects: one value to many places, a size mismatch, an array into one element", () => {
  assert.match(compileErrorText("f(x) = (y = copy(x); y[1:2] = 1; y)", [[3]]), /ArgumentError: indexed assignment with a single value to possibly many locations is not supported; perhaps use broadcasting `.=` instead\?/);
  assert.match(compileErrorText("f(x) = (y = zeros(Float32, 3, 2); y[:, 1] = x; y)", [[2]]), /DimensionMismatch: tried to assign an array of size \(2,\) to a destination of size \(3, 1\)/);
  assert.match(compileErrorText("f(x) = (y = copy(x); y[1] = x; y)", [[3]]), /MethodError: cannot convert/);
});

test("a write at an array of traced indices (a scatter) is not supported yet, and says so", () => {
  assert.match(compileErrorText("f(x) = (y = copy(x); y[Int.(round.(abs.(x))) .+ 1] = x; y)", [[3]]), /unsupported-index: writing at an array of traced indices \(a scatter\) is not supported yet/);
});

test.run();
