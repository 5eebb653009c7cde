# The tpu-build prelude: the parts of Base, NNlib and Flux that are written in Julia itself.
# Primitives (arithmetic, math, reductions, shapes) are intrinsics in base.ts; this file composes them
# the way the real libraries do, so their semantics (default `dims`, numerical stability) carry over.

# Base.Val: a value lifted into the type domain, for dispatch.
struct Val{x} end
Val(x) = Val{x}()

isodd(n::Integer) = n % 2 != 0
iseven(n::Integer) = n % 2 == 0

# NNlib activations (src/activations.jl): relu is max(x, 0) in x's type.
relu(x) = max(x, zero(x))
leakyrelu(x, a = oftype(float(x), 0.01)) = max(a * x, x)
relu6(x) = min(max(x, zero(x)), oftype(x, 6))
swish(x) = x * sigmoid(x)
softplus(x) = log1p(exp(-abs(x))) + max(x, zero(x))
elu(x, α = one(x)) = ifelse(x > zero(x), float(x), α * expm1(x))
abs2(x) = x * x

# NNlib.softmax / logsoftmax (src/softmax.jl): dims=1 by default, shifted by the maximum for stability.
function softmax(x; dims = 1)
    y = exp.(x .- maximum(x; dims = dims))
    return y ./ sum(y; dims = dims)
end

function logsoftmax(x; dims = 1)
    y = x .- maximum(x; dims = dims)
    return y .- log.(sum(exp.(y); dims = dims))
end

# Statistics.mean over the whole array.
mean(x) = sum(x) / length(x)

# Flux losses (src/losses/functions.jl), default aggregation `mean`.
mse(ŷ, y) = mean(abs2.(ŷ .- y))
mae(ŷ, y) = mean(abs.(ŷ .- y))
