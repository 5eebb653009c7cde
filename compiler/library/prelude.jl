# The tpu-build prelude: the parts of Base, NNlib and Flux that are written in Julia itself.
# Primitives (arithmetic, math, reductions, shapes) are intrinsics in base.ts; this file composes them
# the way the real libraries do, so their semantics (default `dims`, numerical stability) carry over.

# Base.Pair: `a => b`.
struct Pair{A,B}
    first::A
    second::B
end

# Base.Val: a value lifted into the type domain, for dispatch.
struct Val{x} end
Val(x) = Val{x}()

# `end` in `a[i]` is lastindex(a), in `a[i, j]` lastindex(a, 2); a program's own types define them.
lastindex(a::AbstractArray) = length(a)
lastindex(a::AbstractArray, d::Integer) = size(a, d)

# Base.all / any / count: over arrays of Bools they are reductions (sums of the Bools); over known
# collections, folds that also work when the elements are traced Bools. Empty: all is true, any false.
all(x::AbstractArray{Bool}; dims = :) = dims isa Colon ? sum(.!x) == 0 : sum(.!x; dims) .== 0
any(x::AbstractArray{Bool}; dims = :) = dims isa Colon ? sum(x) > 0 : sum(x; dims) .> 0
count(x::AbstractArray{Bool}; dims = :) = dims isa Colon ? sum(x) : sum(x; dims)
all(x::AbstractArray; dims = :) = error("TypeError: non-boolean ($(eltype(x))) used in boolean context")
any(x::AbstractArray; dims = :) = all(x)
count(x::AbstractArray; dims = :) = all(x)
all(f, x::AbstractArray; dims = :) = all(f.(x); dims)
any(f, x::AbstractArray; dims = :) = any(f.(x); dims)
count(f, x::AbstractArray; dims = :) = count(f.(x); dims)
all(itr) = all(identity, itr)
any(itr) = any(identity, itr)
count(itr) = count(identity, itr)
all(f, itr) = foldl(&, map(f, itr); init = true)
any(f, itr) = foldl(|, map(f, itr); init = false)
count(f, itr) = foldl(+, map(x -> f(x) ? 1 : 0, itr); init = 0)

# In-place writes into arrays (Interpreter.writeInPlace): every name bound to the array sees them.
fill!(x::AbstractArray, v) = (x .= v; x)
copyto!(dest::AbstractArray, src::AbstractArray) = (dest .= src; dest)

# Base.in (∈, ∉): whether some element of the collection == x.
in(x, itr) = foldl((found, y) -> found || y == x, itr; init = false)
in(x, itr::AbstractArray) = any(itr .== x)
in(x, n::Number) = x == n
in(x, r::AbstractRange) = foldl((found, y) -> found || y == x, r; init = false)
const ∈ = in
∉(x, itr) = !in(x, itr)

# ---- Base.Iterators over collections known at compile time --------------------------------------
# Each gives a tuple of the elements Julia's lazy iterator yields, in its order (`for`, collect
# and splatting see the same); zip and enumerate are Base's.
struct Repeated{T}
    x::T
end
repeated(x) = Repeated(x)
repeated(x, n::Integer) = ntuple(_ -> x, n)
take(itr, n::Integer) = (t = Tuple(itr); t[1:min(n, length(t))])
take(r::Repeated, n::Integer) = repeated(r.x, n)
drop(itr, n::Integer) = (t = Tuple(itr); t[min(n, length(t))+1:end])
function partition(itr, n::Integer)
    t = Tuple(itr)
    return ntuple(i -> collect(t[(i-1)*n+1:min(i * n, length(t))]), cld(length(t), n))
end
# product: the first collection varies fastest, as Julia's column-major product does.
product(a) = map(x -> (x,), Tuple(a))
function product(a, b)
    ta, tb = Tuple(a), Tuple(b)
    return ntuple(k -> (ta[mod(k - 1, length(ta)) + 1], tb[div(k - 1, length(ta)) + 1]), length(ta) * length(tb))
end
flatten(itr::Tuple) = foldl((acc, x) -> (acc..., Tuple(x)...), itr; init = ())

# Base.real: the real part, and its type (numbers here are real).
real(x::Real) = x
real(::Type{T}) where {T<:Real} = T

# round/floor/ceil to a type: `floor(Int, x)` is Int(floor(x)) (an InexactError when it does not fit).
round(::Type{T}, x) where {T} = T(round(x))
floor(::Type{T}, x) where {T} = T(floor(x))
ceil(::Type{T}, x) where {T} = T(ceil(x))

function factorial(n::Integer)
    n < 0 && error("DomainError with $n: `n` must not be negative.")
    n > 20 && error("OverflowError: $n is too large to look up in the table; consider using `factorial(big($n))` instead")
    return foldl(*, 1:n; init = 1)
end

# pairs: key => value for NamedTuples, index => value for tuples and vectors.
pairs(x) = map((k, v) -> k => v, keys(x), values(x))

fld(a::Integer, b::Integer) = (q = div(a, b); (a % b != 0) && ((a < 0) != (b < 0)) ? q - 1 : q)
cld(a::Integer, b::Integer) = (q = div(a, b); (a % b != 0) && ((a < 0) == (b < 0)) ? q + 1 : q)
mod(a::Integer, b::Integer) = a - fld(a, b) * b
isodd(n::Integer) = n % 2 != 0
iseven(n::Integer) = n % 2 == 0

# Random numbers (Random stdlib API). A generator is a seed's state on the device: each draw
# advances it. The stream is XLA's three-fry, not Julia's Xoshiro: the same seed gives the same
# numbers in every tpu-build run, but not the numbers Julia itself would draw.
abstract type AbstractRNG end
mutable struct DeviceRNG <: AbstractRNG
    state
end
Xoshiro(seed::Integer) = DeviceRNG(_rng_state(seed))
MersenneTwister(seed::Integer) = DeviceRNG(_rng_state(seed))
TaskLocalRNG() = default_rng()
const _DEFAULT_RNG = DeviceRNG(_rng_state(42))
default_rng() = _DEFAULT_RNG
seed!(rng::DeviceRNG, seed::Integer) = (rng.state = _rng_state(seed); rng)
seed!(seed::Integer) = seed!(_DEFAULT_RNG, seed)

function rand(rng::AbstractRNG, ::Type{T}, dims::Integer...) where {T<:AbstractFloat}
    rng.state, x = _rand_uniform(rng.state, T, dims)
    return x
end
function randn(rng::AbstractRNG, ::Type{T}, dims::Integer...) where {T<:AbstractFloat}
    rng.state, x = _rand_normal(rng.state, T, dims)
    return x
end
rand(rng::AbstractRNG, ::Type{T}, dims::Tuple) where {T<:AbstractFloat} = rand(rng, T, dims...)
randn(rng::AbstractRNG, ::Type{T}, dims::Tuple) where {T<:AbstractFloat} = randn(rng, T, dims...)
rand(rng::AbstractRNG, dims::Integer...) = rand(rng, Float64, dims...)
randn(rng::AbstractRNG, dims::Integer...) = randn(rng, Float64, dims...)
rand(::Type{T}, dims::Integer...) where {T<:AbstractFloat} = rand(default_rng(), T, dims...)
randn(::Type{T}, dims::Integer...) where {T<:AbstractFloat} = randn(default_rng(), T, dims...)
rand(dims::Integer...) = rand(default_rng(), Float64, dims...)
randn(dims::Integer...) = randn(default_rng(), Float64, dims...)
rand32(dims::Integer...) = rand(default_rng(), Float32, dims...)
randn32(dims::Integer...) = randn(default_rng(), Float32, dims...)

zeros32(dims::Integer...) = zeros(Float32, dims...)
ones32(dims::Integer...) = ones(Float32, dims...)

# Flux initialisers (src/utils.jl): fan-in and fan-out as Flux computes them.
nfan() = 1, 1
nfan(n) = 1, n
nfan(n_out, n_in) = n_in, n_out
nfan(dims::Tuple) = nfan(dims...)
nfan(dims...) = prod(dims[1:end-2]) .* (dims[end-1], dims[end])
glorot_uniform(rng::AbstractRNG, dims::Integer...; gain::Real = 1) =
    (rand(rng, Float32, dims...) .- 0.5f0) .* Float32(gain * sqrt(24.0 / sum(nfan(dims...))))
glorot_normal(rng::AbstractRNG, dims::Integer...; gain::Real = 1) =
    randn(rng, Float32, dims...) .* Float32(gain * sqrt(2.0 / sum(nfan(dims...))))
kaiming_uniform(rng::AbstractRNG, dims::Integer...; gain::Real = √2) =
    (rand(rng, Float32, dims...) .- 0.5f0) .* Float32(2 * gain * sqrt(3.0 / first(nfan(dims...))))
kaiming_normal(rng::AbstractRNG, dims::Integer...; gain::Real = √2f0) =
    randn(rng, Float32, dims...) .* Float32(gain / sqrt(first(nfan(dims...))))
glorot_uniform(dims::Integer...; kw...) = glorot_uniform(default_rng(), dims...; kw...)
glorot_normal(dims::Integer...; kw...) = glorot_normal(default_rng(), dims...; kw...)
kaiming_uniform(dims::Integer...; kw...) = kaiming_uniform(default_rng(), dims...; kw...)
kaiming_normal(dims::Integer...; kw...) = kaiming_normal(default_rng(), dims...; kw...)
glorot_uniform(rng::AbstractRNG) = (dims...; kw...) -> glorot_uniform(rng, dims...; kw...)
glorot_normal(rng::AbstractRNG) = (dims...; kw...) -> glorot_normal(rng, dims...; kw...)
kaiming_normal(rng::AbstractRNG) = (dims...; kw...) -> kaiming_normal(rng, dims...; kw...)
kaiming_uniform(rng::AbstractRNG) = (dims...; kw...) -> kaiming_uniform(rng, dims...; kw...)

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

# Flux losses (src/losses/functions.jl), default aggregation `mean`.
xlogy(x, y) = ifelse(iszero(x), zero(x * log(y)), x * log(y))
iszero(x) = x == zero(x)
isone(x) = x == one(x)
inv(x::Number) = one(x) / x
mse(ŷ, y; agg = mean) = agg(abs2.(ŷ .- y))
mae(ŷ, y; agg = mean) = agg(abs.(ŷ .- y))
crossentropy(ŷ, y; dims = 1, agg = mean, eps = eps(float(eltype(ŷ)))) = agg(.-sum(xlogy.(y, ŷ .+ eps); dims = dims))
logitcrossentropy(ŷ, y; dims = 1, agg = mean) = agg(.-sum(y .* logsoftmax(ŷ; dims = dims); dims = dims))
binarycrossentropy(ŷ, y; agg = mean, eps = eps(float(eltype(ŷ)))) = agg(@.(-xlogy(y, ŷ + eps) - xlogy(1 - y, 1 - ŷ + eps)))
logitbinarycrossentropy(ŷ, y; agg = mean) = agg(@.((1 - y) * ŷ - logσ(ŷ)))

# ---- Flux layers (src/layers/basic.jl, conv.jl, normalise.jl) --------------------------------------
# Written as Flux 0.15-0.16 writes them. Dropout and the norm layers train (dropout drawn, batch
# statistics used and the running ones updated) when their `active` field says so: `nothing` (the
# default) means within a gradient, as NNlib.within_gradient has it; trainmode!/testmode! set it.

create_bias(weights::AbstractArray, bias::Bool, dims::Integer...) = bias ? zeros(eltype(weights), dims...) : false
create_bias(weights::AbstractArray, bias::AbstractArray, dims::Integer...) = bias

struct Dense{F, M<:AbstractMatrix, B}
    weight::M
    bias::B
    σ::F
    function Dense(W::AbstractMatrix, bias = true, σ = identity)
        b = create_bias(W, bias, size(W, 1))
        return new{typeof(σ), typeof(W), typeof(b)}(W, b, σ)
    end
end
Dense(p::Pair{<:Integer, <:Integer}, σ = identity; init = glorot_uniform, bias = true) = Dense(init(p.second, p.first), bias, σ)
# The constructor of Flux before 0.13, still in much model code: Dense(in, out, σ).
Dense(in::Integer, out::Integer, σ = identity; kw...) = Dense(in => out, σ; kw...)
(a::Dense)(x::AbstractVecOrMat) = a.σ.(a.weight * x .+ a.bias)
(a::Dense)(x::AbstractArray) = reshape(a(reshape(x, size(x, 1), :)), :, size(x)[2:end]...)

struct Chain{T<:Union{Tuple, NamedTuple, AbstractVector}}
    layers::T
end
Chain(xs...) = Chain(xs)
Chain(; kw...) = haskey(kw, :layers) ? error("ArgumentError: a Chain cannot have a named layer called `layers`") : Chain(kw)
applychain(::Tuple{}, x) = x
applychain(fs::Tuple, x) = applychain(tail(fs), first(fs)(x))
(c::Chain)(x) = applychain(Tuple(c.layers), x)
getindex(c::Chain, i::Integer) = c.layers[i]
getindex(c::Chain, i::AbstractVector) = Chain(c.layers[i])
length(c::Chain) = length(c.layers)
lastindex(c::Chain) = length(c.layers)

struct SkipConnection{T, F}
    layers::T
    connection::F
end
(skip::SkipConnection)(x) = skip.connection(skip.layers(x), x)

struct Parallel{F, T}
    connection::F
    layers::T
end
Parallel(connection, layers...) = Parallel(connection, layers)
(m::Parallel)(x) = m.connection(map(f -> f(x), m.layers)...)
(m::Parallel)(xs...) = m.connection(map((f, x) -> f(x), m.layers, xs)...)

# Flux's _isactive: an `active` of `nothing` trains exactly within a gradient.
_isactive(m, x) = isnothing(m.active) ? within_gradient(x) : m.active
_tidy_active(mode::Bool) = mode
_tidy_active(::Nothing) = nothing
_tidy_active(mode) = mode === :auto ? nothing : error("ArgumentError: active = $(mode) is not accepted, must be true/false/nothing or :auto")

# NNlib.dropout: each element (or each slice along `dims`) is zeroed with probability p, the rest
# scaled by 1/(1-p). The mask is drawn from `rng` (XLA's stream, not Julia's). p may be traced (a
# layer's field differentiated, or passed between entries): no branch depends on it, and p = 1
# zeroes everything, as NNlib's Bool mask does.
function dropout(rng::AbstractRNG, A::AbstractArray, p::Real; dims = :)
    T = float(eltype(A))
    pT = convert(real(T), ignore_derivatives(p))  # NNlib's rrule: no tangent for p
    shape = dims isa Colon ? size(A) : ntuple(d -> d in dims ? size(A, d) : 1, ndims(A))
    keep = rand(rng, real(T), shape...) .> pT
    return ifelse.(keep, A .* (one(real(T)) / (1 - pT)), zero(T))
end
dropout(A::AbstractArray, p::Real; dims = :) = dropout(default_rng(), A, p; dims = dims)

mutable struct Dropout{F<:Real, D, R<:AbstractRNG}
    p::F
    dims::D
    active::Union{Bool, Nothing}
    rng::R
end
Dropout(p::Real, dims, active) = Dropout(p, dims, active, default_rng())
function Dropout(p::Real; dims = :, active::Union{Bool, Nothing} = nothing, rng = default_rng())
    0 ≤ p ≤ 1 || error("ArgumentError: Dropout expects 0 ≤ p ≤ 1, got p = $p")
    return Dropout(p, dims, active, rng)
end
Flux.@layer Dropout trainable=()
# Flux passes p * active (dropout of p = 0 is the identity); here the mode is known, so inactive
# layers draw nothing.
(a::Dropout)(x) = _isactive(a, x) ? dropout(a.rng, x, a.p; dims = a.dims) : convert(AbstractArray{float(eltype(x))}, x)

# Flux's AlphaDropout (Klambauer et al., for selu networks): a dropped element becomes selu's
# negative saturation α′ and all are then scaled by A and shifted by B, keeping mean and variance.
# Flux returns x for p = 0 and zeros for p = 1 before drawing; p may be traced (a float field is
# differentiated, as Zygote differentiates it here), so those two cases are selected, not branched on.
mutable struct AlphaDropout{F, R<:AbstractRNG}
    p::F
    active::Union{Bool, Nothing}
    rng::R
end
AlphaDropout(p, active) = AlphaDropout(p, active, default_rng())
function AlphaDropout(p; rng = default_rng(), active::Union{Bool, Nothing} = nothing)
    0 ≤ p ≤ 1 || error("ArgumentError: AlphaDropout expects 0 ≤ p ≤ 1, got p = $p")
    return AlphaDropout(p, active, rng)
end
Flux.@layer AlphaDropout trainable=()
function (a::AlphaDropout)(x::AbstractArray{T}) where {T}
    _isactive(a, x) || return x
    p = a.p
    α′ = T(-1.7580993408473766)  # selu(-Inf) == -λα
    A = T(inv(sqrt((1 - p) * (1 + p * α′^2))))
    B = T(-A * α′ * p)
    noise = rand(a.rng, T, size(x)...)
    y = A .* ifelse.(noise .> p, x, α′) .+ B
    return ifelse.(iszero(p), x, ifelse.(isone(p), sign.(x) .* T(0), y))
end

struct Embedding{W<:AbstractMatrix}
    weight::W
end
Embedding(p::Pair{<:Integer, <:Integer}; init = randn32) = Embedding(init(p.second, p.first))
Embedding(in::Integer, out::Integer; init = randn32) = Embedding(init(out, in))
(m::Embedding)(x::Integer) = m.weight[:, x]
(m::Embedding)(x::AbstractVector) = m.weight[:, x]
(m::Embedding)(x::AbstractArray) = reshape(m(vec(x)), :, size(x)...)
# One-hot input (Bool columns, as onehotbatch gives) selects columns by a product.
(m::Embedding)(x::AbstractVector{Bool}) = m.weight * x
(m::Embedding)(x::AbstractMatrix{Bool}) = m.weight * x
(m::Embedding)(x::AbstractArray{Bool}) = reshape(m(reshape(x, size(x, 1), :)), :, size(x)[2:end]...)

flatten(x::AbstractArray) = reshape(x, :, size(x)[end])

struct Scale{F, A<:AbstractArray, B}
    scale::A
    bias::B
    σ::F
end
Scale(s1::Integer, s23::Integer...; bias = true, init = ones32, _act = identity) = Scale(init(s1, s23...), bias ? zeros32(s1, s23...) : false, _act)
Scale(size_act...; bias = true, init = ones32) = Scale(size_act[1:end-1]...; bias = bias, init = init, _act = size_act[end])
(a::Scale)(x::AbstractArray) = a.σ.(x .* a.scale .+ a.bias)

# NNlib.normalise as Flux 0.14-0.16 computes it: note the ε², not ε.
function normalise(x::AbstractArray; dims = ndims(x), eps = 1f-5)
    μ = mean(x; dims = dims)
    σ² = var(x; dims = dims, mean = μ, corrected = false)
    ε = convert(float(eltype(x)), eps)
    return @. (x - μ) / sqrt(σ² + ε^2)
end

struct LayerNorm{F, D, T, N}
    λ::F
    diag::D
    ϵ::T
    size::NTuple{N, Int}
    affine::Bool
end
function LayerNorm(size::Tuple{Vararg{Int}}, λ = identity; affine::Bool = true, eps::Real = 1f-5)
    diag = affine ? Scale(size..., λ) : λ != identity ? (x -> λ.(x)) : identity
    return LayerNorm(λ, diag, eps, size, affine)
end
LayerNorm(size::Integer...; kw...) = LayerNorm(Int.(size); kw...)
LayerNorm(size_act...; kw...) = LayerNorm(Int.(size_act[1:end-1]), size_act[end]; kw...)
function (a::LayerNorm)(x::AbstractArray)
    if a.diag isa Scale
        for d in 1:ndims(a.diag.scale)
            _size_check(a, x, d => size(a.diag.scale, d))
        end
    end
    eps = convert(float(eltype(x)), a.ϵ)
    return a.diag(normalise(x; dims = 1:length(a.size), eps = eps))
end

_size_check(layer, x::AbstractArray, (d, n)::Pair) =
    (d <= ndims(x) && size(x, d) == n) || error("DimensionMismatch: layer $(typeof(layer)) expects size(input, $d) == $n, but got $(d <= ndims(x) ? size(x, d) : "an input with $(ndims(x)) dimensions") (input of size $(size(x)))")

# The norm layers' forward pass (Flux's _norm_layer_forward): statistics over `reduce_dims`, the
# running ones in test mode when tracked; in training, the batch's, and the running ones updated.
function _norm_layer_forward(l, x::AbstractArray{T, N}; reduce_dims, affine_shape) where {T, N}
    if !_isactive(l, x) && l.track_stats
        stats_shape = ntuple(i -> i == N - 1 ? size(x, N - 1) : 1, N)
        μ = reshape(l.μ, stats_shape)
        σ² = reshape(l.σ², stats_shape)
    else
        μ = mean(x; dims = reduce_dims)
        σ² = var(x; mean = μ, dims = reduce_dims, corrected = false)
        if l.track_stats
            _track_stats!(l, x, μ, σ², reduce_dims)
        end
    end
    eps = convert(float(T), l.ϵ)
    hasaffine(l) || return l.λ.((x .- μ) ./ sqrt.(σ² .+ eps))
    γ = reshape(l.γ, affine_shape)
    β = reshape(l.β, affine_shape)
    scale = γ ./ sqrt.(σ² .+ eps)
    bias = .-scale .* μ .+ β
    return l.λ.(scale .* x .+ bias)
end

# The running statistics, momentum-weighted, the variance corrected by m/(m-1). Inside a gradient
# they are stored, not differentiated (Flux's @non_differentiable _track_stats!).
function _track_stats!(bn, x::AbstractArray{T, N}, μ, σ², reduce_dims) where {T, N}
    V = eltype(bn.σ²)
    mtm = bn.momentum
    res_mtm = one(V) - mtm
    m = prod(map(i -> size(x, i), reduce_dims))
    μnew = vec(N ∈ reduce_dims ? μ : mean(μ; dims = N))
    σ²new = vec(N ∈ reduce_dims ? σ² : mean(σ²; dims = N))
    bn.μ = res_mtm .* bn.μ .+ mtm .* μnew
    bn.σ² = res_mtm .* bn.σ² .+ mtm .* (m / (m - one(V))) .* σ²new
    return nothing
end

# A norm layer's shift β, scale γ and running statistics μ, σ² for `chs` channels (nothing where off).
_norm_state(chs, affine, track_stats, initβ, initγ) =
    (affine ? initβ(chs) : nothing, affine ? initγ(chs) : nothing, track_stats ? zeros32(chs) : nothing, track_stats ? ones32(chs) : nothing)

mutable struct BatchNorm{F, V, N, W}
    λ::F
    β::V
    γ::V
    μ::W
    σ²::W
    ϵ::N
    momentum::N
    affine::Bool
    track_stats::Bool
    active::Union{Bool, Nothing}
    chs::Int
end
function BatchNorm(chs::Int, λ = identity; initβ = zeros32, initγ = ones32, affine::Bool = true, track_stats::Bool = true,
                   active::Union{Bool, Nothing} = nothing, eps::Real = 1f-5, momentum::Real = 0.1f0)
    return BatchNorm(λ, _norm_state(chs, affine, track_stats, initβ, initγ)..., eps, momentum, affine, track_stats, active, chs)
end
Flux.@layer BatchNorm trainable=(β, γ)
function (BN::BatchNorm)(x::AbstractArray{T, N}) where {T, N}
    _size_check(BN, x, N - 1 => BN.chs)
    reduce_dims = (ntuple(i -> i, N - 2)..., N)
    affine_shape = ntuple(i -> i == N - 1 ? size(x, N - 1) : 1, N)
    return _norm_layer_forward(BN, x; reduce_dims = reduce_dims, affine_shape = affine_shape)
end

"""
    batchnorm_train(bn, x) -> (y, bn′)

Training-mode BatchNorm as a pure function: the output with the batch's statistics and a copy of
the layer holding the updated running statistics (`bn` itself is unchanged).
"""
function batchnorm_train(bn::BatchNorm, x::AbstractArray)
    bn′ = BatchNorm(bn.λ, bn.β, bn.γ, bn.μ, bn.σ², bn.ϵ, bn.momentum, bn.affine, bn.track_stats, true, bn.chs)
    y = bn′(x)
    bn′.active = bn.active
    return y, bn′
end

mutable struct InstanceNorm{F, V, N, W}
    λ::F
    β::V
    γ::V
    μ::W
    σ²::W
    ϵ::N
    momentum::N
    affine::Bool
    track_stats::Bool
    active::Union{Bool, Nothing}
    chs::Int
end
function InstanceNorm(chs::Int, λ = identity; initβ = zeros32, initγ = ones32, affine::Bool = false, track_stats::Bool = false,
                      active::Union{Bool, Nothing} = nothing, eps::Real = 1f-5, momentum::Real = 0.1f0)
    return InstanceNorm(λ, _norm_state(chs, affine, track_stats, initβ, initγ)..., eps, momentum, affine, track_stats, active, chs)
end
Flux.@layer InstanceNorm trainable=(β, γ)
function (l::InstanceNorm)(x::AbstractArray{T, N}) where {T, N}
    _size_check(l, x, N - 1 => l.chs)
    reduce_dims = ntuple(i -> i, N - 2)
    affine_shape = ntuple(i -> i == N - 1 ? size(x, N - 1) : 1, N)
    return _norm_layer_forward(l, x; reduce_dims = reduce_dims, affine_shape = affine_shape)
end

mutable struct GroupNorm{F, V, N}
    G::Int
    λ::F
    β::V
    γ::V
    μ::Nothing
    σ²::Nothing
    ϵ::N
    momentum::N
    affine::Bool
    track_stats::Bool
    active::Union{Bool, Nothing}
    chs::Int
end
function GroupNorm(chs::Int, G::Int, λ = identity; initβ = zeros32, initγ = ones32, affine::Bool = true,
                   active::Union{Bool, Nothing} = nothing, eps::Real = 1f-5, momentum::Real = 0.1f0)
    chs % G == 0 || error("The number of groups ($(G)) must divide the number of channels ($chs)")
    return GroupNorm(G, λ, _norm_state(chs, affine, false, initβ, initγ)..., eps, momentum, affine, false, active, chs)
end
Flux.@layer GroupNorm trainable=(β, γ)
function (gn::GroupNorm)(x::AbstractArray)
    _size_check(gn, x, ndims(x) - 1 => gn.chs)
    sz = size(x)
    x2 = reshape(x, sz[1:end-2]..., sz[end-1] ÷ gn.G, gn.G, sz[end])
    N = ndims(x2)
    reduce_dims = ntuple(i -> i, N - 2)
    affine_shape = ntuple(i -> i ∈ (N - 1, N - 2) ? size(x2, i) : 1, N)
    x3 = _norm_layer_forward(gn, x2; reduce_dims = reduce_dims, affine_shape = affine_shape)
    return reshape(x3, sz)
end

hasaffine(l::Union{BatchNorm, InstanceNorm, LayerNorm, GroupNorm}) = l.affine

# Flux's WeightNorm (Salimans & Kingma): the layer's field `which` is used as g .* v ./ ‖v‖, the norm
# taken over `dims` (-1: the last dimension, as Flux's default), g trained beside the layer.
# (Flux also refuses an all-zero field, which gives NaN; its values are not known at compile time.)
struct WeightNorm{L, G, D}
    layer::L
    g::G
    which::Symbol
    dims::D
end
Flux.@layer WeightNorm
function WeightNorm(layer::L, which::Symbol = :weight; dims = -1) where {L}
    which in fieldnames(L) || error("ArgumentError: `$L` does not have field `:$which`.")
    x = getfield(layer, which)
    if dims == -1
        dims = ndims(x)
    end
    g = sqrt.(sum(abs2, x; dims = dims) .+ eps(eltype(x)))
    return WeightNorm(layer, g, which, dims)
end
(w::WeightNorm)(x) = reparametrize(w)(x)
function reparametrize(wn::WeightNorm)
    ϵ = eps(eltype(wn.g))
    v = getfield(wn.layer, wn.which)
    n2 = sum(abs2, v; dims = wn.dims)
    w = @. wn.g * v / sqrt(n2 + ϵ)
    return _with_field(wn.layer, wn.which, w)
end
# The struct x with its field `name` replaced by v (Functors.functor's reconstruction).
_with_field(x, name::Symbol, v) = typeof(x)(map(f -> f === name ? v : getfield(x, f), fieldnames(typeof(x)))...)
testmode!(m::Union{Dropout, AlphaDropout, BatchNorm, InstanceNorm, GroupNorm}, mode = true) = (m.active = isnothing(_tidy_active(mode)) ? nothing : !mode; m)

# Convolutional layers. Flux's Conv is a true convolution (NNlib's flipped=false); CrossCor is not.
struct SamePad end
expand(N, i::Tuple) = i
expand(N, i::Integer) = ntuple(_ -> i, N)
calc_padding(pad, k, dilation, stride) = expand(2 * length(k), pad)
calc_padding(pad::Tuple, k, dilation, stride) = pad
function calc_padding(::SamePad, k, dilation, stride)
    amount = (k .- 1) .* dilation
    return Tuple(foldl((acc, a) -> (acc..., cld(a, 2), fld(a, 2)), amount; init = ()))
end
convfilter(k::Tuple, ch::Pair{<:Integer, <:Integer}; init = glorot_uniform, groups = 1) = init(k..., div(ch.first, groups), ch.second)

struct Conv{N, M, F, A, V}
    σ::F
    weight::A
    bias::V
    stride::NTuple{N, Int}
    pad::NTuple{M, Int}
    dilation::NTuple{N, Int}
    groups::Int
end
function Conv(w::AbstractArray{T, N}, b = true, σ = identity; stride = 1, pad = 0, dilation = 1, groups = 1) where {T, N}
    k = size(w)[1:N-2]
    s = expand(N - 2, stride)
    d = expand(N - 2, dilation)
    p = calc_padding(pad, k, d, s)
    return Conv(σ, w, create_bias(w, b, size(w, N)), s, p, d, groups)
end
Conv(k::Tuple, ch::Pair{<:Integer, <:Integer}, σ = identity; init = glorot_uniform, stride = 1, pad = 0, dilation = 1, groups = 1, bias = true) =
    Conv(convfilter(k, ch; init = init, groups = groups), bias, σ; stride = stride, pad = pad, dilation = dilation, groups = groups)
conv_reshape_bias(c) = c.bias isa AbstractVector ? reshape(c.bias, map(_ -> 1, c.stride)..., :, 1) : c.bias
(c::Conv)(x::AbstractArray) = c.σ.(conv(x, c.weight; stride = c.stride, pad = c.pad, dilation = c.dilation, groups = c.groups) .+ conv_reshape_bias(c))

struct CrossCor{N, M, F, A, V}
    σ::F
    weight::A
    bias::V
    stride::NTuple{N, Int}
    pad::NTuple{M, Int}
    dilation::NTuple{N, Int}
end
function CrossCor(w::AbstractArray{T, N}, b = true, σ = identity; stride = 1, pad = 0, dilation = 1) where {T, N}
    k = size(w)[1:N-2]
    s = expand(N - 2, stride)
    d = expand(N - 2, dilation)
    return CrossCor(σ, w, create_bias(w, b, size(w, N)), s, calc_padding(pad, k, d, s), d)
end
CrossCor(k::Tuple, ch::Pair{<:Integer, <:Integer}, σ = identity; init = glorot_uniform, stride = 1, pad = 0, dilation = 1, bias = true) =
    CrossCor(convfilter(k, ch; init = init), bias, σ; stride = stride, pad = pad, dilation = dilation)
(c::CrossCor)(x::AbstractArray) = c.σ.(conv(x, c.weight; stride = c.stride, pad = c.pad, dilation = c.dilation, flipped = true) .+ conv_reshape_bias(c))

# ConvTranspose (src/layers/conv.jl): NNlib's ∇conv_data of the conv whose output has x's size;
# the weight is (k..., out, in), the bias per output channel.
struct ConvTranspose{N, M, F, A, V}
    σ::F
    weight::A
    bias::V
    stride::NTuple{N, Int}
    pad::NTuple{M, Int}
    outpad::NTuple{N, Int}
    dilation::NTuple{N, Int}
    groups::Int
end
calc_padding(::Type{ConvTranspose}, pad, k, dilation, stride) = calc_padding(pad, k, dilation, stride)
calc_padding(::Type{ConvTranspose}, pad::SamePad, k, dilation, stride) = calc_padding(pad, k .- stride .+ 1, dilation, stride)
function ConvTranspose(w::AbstractArray{T, N}, bias = true, σ = identity; stride = 1, pad = 0, outpad = 0, dilation = 1, groups = 1) where {T, N}
    stride = expand(N - 2, stride)
    dilation = expand(N - 2, dilation)
    pad = calc_padding(ConvTranspose, pad, size(w)[1:N-2], dilation, stride)
    b = create_bias(w, bias, size(w, N - 1) * groups)
    return ConvTranspose(σ, w, b, stride, pad, expand(N - 2, outpad), dilation, groups)
end
ConvTranspose(k::NTuple{N, Integer}, ch::Pair{<:Integer, <:Integer}, σ = identity; init = glorot_uniform, stride = 1, pad = 0, outpad = 0, dilation = 1, groups = 1, bias = true) where {N} =
    ConvTranspose(convfilter(k, ch.second => ch.first; init = init, groups = groups), bias, σ; stride = stride, pad = pad, outpad = outpad, dilation = dilation, groups = groups)
function conv_transpose_dims(c::ConvTranspose, x::AbstractArray)
    nd = ndims(x) - 2
    combined_pad = length(c.pad) == nd ? ntuple(i -> 2 * c.pad[i], nd) : ntuple(i -> c.pad[2i-1] + c.pad[2i], nd)
    calc_dim(xsz, wsz, stride, dilation, pad, outpad) = (xsz - 1) * stride + 1 + (wsz - 1) * dilation - pad + outpad
    I = map(calc_dim, size(x)[1:end-2], size(c.weight)[1:end-2], c.stride, c.dilation, combined_pad, c.outpad)
    C_in = size(c.weight)[end-1] * c.groups
    return DenseConvDims((I..., C_in, size(x)[end]), size(c.weight); stride = c.stride, padding = c.pad, dilation = c.dilation, groups = c.groups)
end
(c::ConvTranspose)(x::AbstractArray) = c.σ.(∇conv_data(x, c.weight, conv_transpose_dims(c, x)) .+ conv_reshape_bias(c))

struct MaxPool{N, M}
    k::NTuple{N, Int}
    pad::NTuple{M, Int}
    stride::NTuple{N, Int}
end
MaxPool(k::NTuple{N, Integer}; pad = 0, stride = k) where {N} = MaxPool(k, calc_padding(pad, k, 1, stride), expand(N, stride))
(m::MaxPool)(x) = maxpool(x, m.k; pad = m.pad, stride = m.stride)

struct MeanPool{N, M}
    k::NTuple{N, Int}
    pad::NTuple{M, Int}
    stride::NTuple{N, Int}
end
MeanPool(k::NTuple{N, Integer}; pad = 0, stride = k) where {N} = MeanPool(k, calc_padding(pad, k, 1, stride), expand(N, stride))
(m::MeanPool)(x) = meanpool(x, m.k; pad = m.pad, stride = m.stride)

struct GlobalMaxPool end
(g::GlobalMaxPool)(x) = maxpool(x, size(x)[1:end-2])
struct GlobalMeanPool end
(g::GlobalMeanPool)(x) = meanpool(x, size(x)[1:end-2])

# Flux's adaptive pools (src/layers/conv.jl): the window and stride that give `out` exactly.
struct AdaptiveMaxPool{S, O}
    out::NTuple{O, Int}
    AdaptiveMaxPool(out::NTuple{O, Int}) where {O} = new{O + 2, O}(out)
end
struct AdaptiveMeanPool{S, O}
    out::NTuple{O, Int}
    AdaptiveMeanPool(out::NTuple{O, Int}) where {O} = new{O + 2, O}(out)
end
function _adaptive_window(x::AbstractArray, out)
    insize = size(x)[1:end-2]
    stride = insize .÷ out
    return insize .- (out .- 1) .* stride, stride
end
function (a::AdaptiveMaxPool{S})(x::AbstractArray{T, S}) where {S, T}
    k, stride = _adaptive_window(x, a.out)
    return maxpool(x, k; pad = 0, stride = stride)
end
function (a::AdaptiveMeanPool{S})(x::AbstractArray{T, S}) where {S, T}
    k, stride = _adaptive_window(x, a.out)
    return meanpool(x, k; pad = 0, stride = stride)
end

# ---- Recurrent layers (Flux 0.15-0.16, src/layers/recurrent.jl) ---------------------------------
# A cell maps (x, state) to (output, state); RNN, LSTM, GRU and Recurrence run one over the
# sequence dimension (x is (in, len) or (in, len, batch)).

# MLUtils.chunk: n pieces of size cld(size(x, dims), n) along dims.
function chunk(x::AbstractArray, n::Integer; dims = ndims(x))
    k = cld(size(x, dims), n)
    return ntuple(i -> selectdim(x, dims, ((i - 1) * k + 1):min(i * k, size(x, dims))), n)
end
zeros_like(x::AbstractArray, sz::Tuple = size(x)) = zeros(eltype(x), sz...)
zeros_like(x::AbstractArray, sz::Integer...) = zeros(eltype(x), sz...)
# Base.stack: arrays of one size, joined along a new dimension `dims` (after the last by default).
function stack(xs; dims = :)
    sz = size(first(xs))
    d = dims isa Colon ? length(sz) + 1 : dims
    return cat(map(x -> reshape(x, sz[1:d-1]..., 1, sz[d:end]...), Tuple(xs))...; dims = d)
end

function scan(cell, x, state)
    # Each step's output is written into one array as the loop runs (_scan, at the end of this
    # file), so a long sequence is an XLA while whose size does not grow with its length.
    return _scan(cell, x, state)
end

struct Recurrence{S, M}
    cell::M
end
Recurrence(cell; return_state = false) = Recurrence{return_state, typeof(cell)}(cell)
initialstates(rnn::Recurrence) = initialstates(rnn.cell)
(rnn::Recurrence)(x::AbstractArray) = rnn(x, initialstates(rnn))
(rnn::Recurrence{false})(x::AbstractArray, state) = first(scan(rnn.cell, x, state))
(rnn::Recurrence{true})(x::AbstractArray, state) = scan(rnn.cell, x, state)

struct RNNCell{F, I, H, V}
    σ::F
    Wi::I
    Wh::H
    bias::V
end
initialstates(rnn::RNNCell) = zeros_like(rnn.Wh, size(rnn.Wh, 2))
function RNNCell((in, out)::Pair, σ = tanh; init_kernel = glorot_uniform, init_recurrent_kernel = glorot_uniform, bias = true)
    Wi = init_kernel(out, in)
    Wh = init_recurrent_kernel(out, out)
    return RNNCell(σ, Wi, Wh, create_bias(Wi, bias, size(Wi, 1)))
end
(rnn::RNNCell)(x::AbstractVecOrMat) = rnn(x, initialstates(rnn))
function (m::RNNCell)(x::AbstractVecOrMat, h::AbstractVecOrMat)
    _size_check(m, x, 1 => size(m.Wi, 2))
    h = m.σ.(m.Wi * x .+ m.Wh * h .+ m.bias)
    return h, h
end

struct LSTMCell{I, H, V}
    Wi::I
    Wh::H
    bias::V
end
initialstates(lstm::LSTMCell) = (zeros_like(lstm.Wh, size(lstm.Wh, 2)), zeros_like(lstm.Wh, size(lstm.Wh, 2)))
function LSTMCell((in, out)::Pair; init_kernel = glorot_uniform, init_recurrent_kernel = glorot_uniform, bias = true)
    Wi = init_kernel(out * 4, in)
    Wh = init_recurrent_kernel(out * 4, out)
    return LSTMCell(Wi, Wh, create_bias(Wi, bias, out * 4))
end
(lstm::LSTMCell)(x::AbstractVecOrMat) = lstm(x, initialstates(lstm))
# The gates in Flux's order: input, forget, cell, output.
function (m::LSTMCell)(x::AbstractVecOrMat, (h, c))
    _size_check(m, x, 1 => size(m.Wi, 2))
    g = m.Wi * x .+ m.Wh * h .+ m.bias
    input, forget, cell, output = chunk(g, 4; dims = 1)
    c = @. sigmoid_fast(forget) * c + sigmoid_fast(input) * tanh_fast(cell)
    h = @. sigmoid_fast(output) * tanh_fast(c)
    return h, (h, c)
end

struct GRUCell{I, H, V}
    Wi::I
    Wh::H
    b::V
end
initialstates(gru::GRUCell) = zeros_like(gru.Wh, size(gru.Wh, 2))
function GRUCell((in, out)::Pair; init_kernel = glorot_uniform, init_recurrent_kernel = glorot_uniform, bias = true)
    Wi = init_kernel(out * 3, in)
    Wh = init_recurrent_kernel(out * 3, out)
    return GRUCell(Wi, Wh, create_bias(Wi, bias, size(Wi, 1)))
end
(gru::GRUCell)(x::AbstractVecOrMat) = gru(x, initialstates(gru))
# GRU as in v1 of Cho et al.: the reset gate scales Wh*h before the candidate's bias is added.
function (m::GRUCell)(x::AbstractVecOrMat, h)
    _size_check(m, x, 1 => size(m.Wi, 2))
    gxs = chunk(m.Wi * x, 3; dims = 1)
    ghs = chunk(m.Wh * h, 3; dims = 1)
    bs = m.b isa AbstractArray ? chunk(m.b, 3; dims = 1) : (false, false, false)
    r = @. sigmoid_fast(gxs[1] + ghs[1] + bs[1])
    z = @. sigmoid_fast(gxs[2] + ghs[2] + bs[2])
    h̃ = @. tanh_fast(gxs[3] + r * ghs[3] + bs[3])
    h = @. (1 - z) * h̃ + z * h
    return h, h
end

# The sequence layers: a cell run by scan; return_state = true also returns the last state.
struct RNN{S, M}
    cell::M
end
RNN((in, out)::Pair, σ = tanh; return_state = false, cell_kwargs...) = RNN(RNNCell(in => out, σ; cell_kwargs...); return_state = return_state)
RNN(cell::RNNCell; return_state::Bool = false) = RNN{return_state, typeof(cell)}(cell)
struct LSTM{S, M}
    cell::M
end
LSTM((in, out)::Pair; return_state = false, cell_kwargs...) = LSTM(LSTMCell(in => out; cell_kwargs...); return_state = return_state)
LSTM(cell::LSTMCell; return_state::Bool = false) = LSTM{return_state, typeof(cell)}(cell)
struct GRU{S, M}
    cell::M
end
GRU((in, out)::Pair; return_state = false, cell_kwargs...) = GRU(GRUCell(in => out; cell_kwargs...); return_state = return_state)
GRU(cell::GRUCell; return_state::Bool = false) = GRU{return_state, typeof(cell)}(cell)
initialstates(rnn::Union{RNN, LSTM, GRU}) = initialstates(rnn.cell)
(rnn::Union{RNN, LSTM, GRU})(x::AbstractArray) = rnn(x, initialstates(rnn))
function (rnn::Union{RNN{false}, LSTM{false}, GRU{false}})(x::AbstractArray, state)
    @assert ndims(x) == 2 || ndims(x) == 3
    return first(scan(rnn.cell, x, state))
end
function (rnn::Union{RNN{true}, LSTM{true}, GRU{true}})(x::AbstractArray, state)
    @assert ndims(x) == 2 || ndims(x) == 3
    return scan(rnn.cell, x, state)
end

# One-hot encoding (OneHotArrays): a Bool matrix with one column per label.
onehotbatch(labels, classes) = reshape(collect(classes), :, 1) .== reshape(collect(labels), 1, :)
# onecold: the label of the largest entry of each column (argmax with dims gives linear indices).
onecold(y::AbstractVector, labels = 1:length(y)) = labels[argmax(y)]
function onecold(y::AbstractMatrix, labels = 1:size(y, 1))
    rows = mod.(vec(argmax(y; dims = 1)) .- 1, size(y, 1)) .+ 1
    return collect(labels)[rows]
end

# Flux's device movement: one device per build here, so moving is the identity (src/functor.jl).
gpu(x) = x
cpu(x) = x
# Flux's testmode!/trainmode! (src/functor.jl): set `active` on every Dropout and norm layer the
# model holds, through its trainable children; `:auto` (or `nothing`) restores within_gradient.
testmode!(m) = testmode!(m, true)
function testmode!(m, mode)
    inactive = _testmode_flag(mode)
    for x in trainable(m)
        testmode!(x, inactive)
    end
    return m
end
_testmode_flag(mode::Union{Bool, Nothing}) = mode
_testmode_flag(mode::Symbol) = mode === :auto ? nothing : error("ArgumentError: testmode! accepts only the symbol :auto, got :$mode")
_testmode_flag(mode) = error("ArgumentError: testmode! does not accept $(mode) as the 2nd argument")
trainmode!(m) = testmode!(m, false)
trainmode!(m, mode::Symbol) = testmode!(m, mode)
trainmode!(m, ::Nothing) = testmode!(m, nothing)

# ---- NNlib activations (src/activations.jl) ---------------------------------------------------
# As NNlib writes them; `oftype(float(x), c)` is NNlib's `oftf(x, c)`. `gelu` is NNlib's default,
# `gelu_tanh` (the tanh approximation); `tanh_fast` and `sigmoid_fast` are NNlib's fast forms,
# which here are the exact functions (XLA's tanh and logistic are already fast).
tanh_fast(x) = tanh(x)
sigmoid_fast(x) = sigmoid(x)
gelu_tanh(x) = x / 2 * (1 + tanh_fast(oftype(float(x), 0.7978845608028654) * (x + oftype(float(x), 0.044715) * x^3)))
gelu(x) = gelu_tanh(x)
gelu_sigmoid(x) = x * sigmoid_fast(oftype(float(x), 1.5957691216057308) * x * muladd(x^2, oftype(float(x), 0.044715), one(x)))
muladd(x, y, z) = x * y + z
logσ(x) = -softplus(-x)
logsigmoid(x) = logσ(x)
hardσ(x) = clamp((x + 3) / 6, 0, 1)
hardsigmoid(x) = hardσ(x)
hardtanh(x) = clamp(x, oftype(x, -1), oftype(x, 1))
hardswish(x) = x * hardσ(x)
selu(x) = oftype(float(x), 1.0507009873554805) * ifelse(x > 0, float(x), oftype(float(x), 1.6732632423543772) * expm1(x))
celu(x, α = 1) = ifelse(x ≥ 0, float(x), oftype(float(x), α) * (exp(x / oftype(float(x), α)) - 1))
softsign(x) = x / (1 + abs(x))
logcosh(x) = x + softplus(-2x) - oftype(float(x), 0.6931471805599453)
mish(x) = x * tanh(softplus(x))
tanhshrink(x) = x - tanh_fast(x)
lisht(x) = x * tanh_fast(x)
trelu(x, theta = 1) = ifelse(x <= theta, zero(x), x)

# ---- NNlib.dot_product_attention (src/attention.jl) -------------------------------------------
# Inputs are (features, length, batch...); returns the output (v_dim, q_len, batch...) and the
# attention scores (kv_len, q_len, nheads, batch...). A `mask` is a Bool array broadcastable to the
# scores (true keeps), a `bias` is added to them, and `fdrop` is applied after the softmax.
function dot_product_attention(q, k, v, bias = nothing; fdrop = identity, mask = nothing, nheads = 1)
    _check_attention_sizes(q, k, v, nheads)
    batch_size = size(q)[3:end]
    q3 = reshape(q, size(q, 1), size(q, 2), :)
    k3 = reshape(k, size(k, 1), size(k, 2), :)
    v3 = reshape(v, size(v, 1), size(v, 2), :)
    x, α = _dot_product_attention(split_heads(q3, nheads), split_heads(k3, nheads), split_heads(v3, nheads), bias, fdrop, mask)
    x = join_heads(x)
    return reshape(x, size(x, 1), size(x, 2), batch_size...), reshape(α, size(α, 1), size(α, 2), size(α, 3), batch_size...)
end

function _dot_product_attention(q, k, v, bias, fdrop, mask)
    α = dot_product_attention_scores(q, k, bias; fdrop = fdrop, mask = mask)
    vt = permutedims(v, (1, 3, 2, 4))
    x = batched_mul(vt, α)
    return permutedims(x, (1, 3, 2, 4)), α
end

# q and k are (features ÷ nheads, nheads, length, batch); the scores are (kv_len, q_len, nheads, batch).
function dot_product_attention_scores(q, k, bias = nothing; fdrop = identity, mask = nothing)
    kt = permutedims(k, (3, 1, 2, 4))
    qt = permutedims(q, (1, 3, 2, 4)) ./ sqrt(convert(eltype(q), size(q, 1)))
    logits = batched_mul(kt, qt)
    logits = apply_attn_bias(logits, bias)
    logits = apply_attn_mask(logits, mask)
    α = softmax(logits; dims = 1)
    return fdrop(α)
end

apply_attn_bias(logits, bias::Nothing) = logits
apply_attn_bias(logits, bias) = logits .+ bias
apply_attn_mask(logits, mask::Nothing) = logits
apply_attn_mask(logits, mask) = ifelse.(mask, logits, typemin(eltype(logits)))
split_heads(x, nheads) = reshape(x, size(x, 1) ÷ nheads, nheads, size(x)[2:end]...)
join_heads(x) = reshape(x, :, size(x)[3:end]...)

# ---- Flux.MultiHeadAttention (src/layers/attention.jl) ----------------------------------------
# Projections of q, k and v (Dense, no bias by default), NNlib.dot_product_attention over nheads,
# dropout on the scores, and an output projection; returns the output and the scores.
struct MultiHeadAttention{P1, D, P2}
    nheads::Int
    q_proj::P1
    k_proj::P1
    v_proj::P1
    attn_drop::D
    out_proj::P2
end
function MultiHeadAttention(dims; nheads::Int = 8, bias::Bool = false, init = glorot_uniform, dropout_prob = 0.0)
    dims = normalize_mha_dims(dims)
    dims.qk % nheads == 0 || error("ArgumentError: qk_dim = $(dims.qk) should be divisible by nheads = $(nheads)")
    dims.v % nheads == 0 || error("ArgumentError: v_dim = $(dims.v) should be divisible by nheads = $(nheads)")
    q_proj = Dense(dims.q_in => dims.qk; bias = bias, init = init)
    k_proj = Dense(dims.k_in => dims.qk; bias = bias, init = init)
    v_proj = Dense(dims.v_in => dims.v; bias = bias, init = init)
    out_proj = Dense(dims.v => dims.out; bias = bias, init = init)
    return MultiHeadAttention(nheads, q_proj, k_proj, v_proj, Dropout(dropout_prob), out_proj)
end
normalize_mha_dims(dims::Int) = (q_in = dims, k_in = dims, v_in = dims, qk = dims, v = dims, out = dims)
# in => (qk, v) => out, where in may be (q_in, k_in, v_in) and the middle one number.
function normalize_mha_dims(dims::Pair)
    in, qkv, out = dims.first, dims.second.first, dims.second.second
    q_in, k_in, v_in = in isa Int ? (in, in, in) : in
    qk, v = qkv isa Int ? (qkv, qkv) : qkv
    return (q_in = q_in, k_in = k_in, v_in = v_in, qk = qk, v = v, out = out)
end
(mha::MultiHeadAttention)(qkv; kws...) = mha(qkv, qkv, qkv; kws...)
(mha::MultiHeadAttention)(q, kv; kws...) = mha(q, kv, kv; kws...)
function (mha::MultiHeadAttention)(q_in::AbstractArray{<:Any, 3}, k_in::AbstractArray{<:Any, 3}, v_in::AbstractArray{<:Any, 3}, bias = nothing; mask = nothing)
    q = mha.q_proj(q_in)
    k = mha.k_proj(k_in)
    v = mha.v_proj(v_in)
    x, α = dot_product_attention(q, k, v, bias; nheads = mha.nheads, mask = mask, fdrop = mha.attn_drop)
    return mha.out_proj(x), α
end

# LinearAlgebra.triu / tril: the upper (j - i >= k) or lower (j - i <= k) triangle, zeros elsewhere.
function triu(M::AbstractMatrix, k::Integer = 0)
    m, n = size(M)
    keep = reshape(collect(1:n), 1, n) .- reshape(collect(1:m), m, 1) .>= k
    return ifelse.(keep, M, zero(eltype(M)))
end
function tril(M::AbstractMatrix, k::Integer = 0)
    m, n = size(M)
    keep = reshape(collect(1:n), 1, n) .- reshape(collect(1:m), m, 1) .<= k
    return ifelse.(keep, M, zero(eltype(M)))
end

# Flux.outputsize: the size of m's output for an input of this size (traced on zeros; nothing of it stays in the module).
outputsize(m, inputsize::Tuple; padbatch = false) = size(m(zeros(Float32, (padbatch ? (inputsize..., 1) : inputsize)...)))

# ---- Statistics (Statistics.jl) ---------------------------------------------------------------
# The keyword front ends of Statistics.jl; `_mean`, `_var` and `_std` are intrinsics
# (library/array-functions.ts) with Statistics' semantics: the mean is taken in float(eltype),
# `dims` keeps the reduced dimensions, var and std are corrected (n - 1) unless `corrected=false`,
# and a given `mean` is used instead of recomputing it.
mean(A; dims = :) = _mean(identity, A, dims)
mean(f, A; dims = :) = _mean(f, A, dims)
var(A; corrected = true, mean = nothing, dims = :) = _var(A, corrected, mean, dims)
std(A; corrected = true, mean = nothing, dims = :) = _std(A, corrected, mean, dims)

# ---- Zygote and Optimisers.jl (src/rules.jl) ------------------------------------------------------
# gradient, withgradient and pullback are intrinsics (library/autodiff.ts); gradients are
# NamedTuples mirroring structs, with `nothing` where there is no gradient.

isnothing(::Nothing) = true
isnothing(::Any) = false
something(x::Nothing, y...) = something(y...)
something(x::Any, y...) = x

# Optimisers.jl's rules: `init(rule, x)` is a parameter's initial state and `apply!(rule, state,
# x, dx)` returns the new state and the step to subtract (x′ = x - step). Hyperparameters are
# converted to the parameter's element type, as Optimisers does, so Float32 models stay Float32.
# setup, update and update! walk the model (library/optimisers.ts); a parameter's state is a Leaf.
mutable struct Leaf{R, S}
    rule::R
    state::S
end

abstract type AbstractRule end

struct Descent{T} <: AbstractRule
    eta::T
end
Descent(; eta = 1f-1) = Descent(eta)
init(o::Descent, x::AbstractArray) = nothing
apply!(o::Descent, state, x, dx) = (state, dx .* eltype(x)(o.eta))

struct Momentum{T} <: AbstractRule
    eta::T
    rho::T
end
Momentum(eta, rho = 9f-1) = Momentum{typeof(float(eta))}(eta, rho)
Momentum(; eta = 1f-2, rho = 9f-1) = Momentum(eta, rho)
init(o::Momentum, x::AbstractArray) = zero(x)
function apply!(o::Momentum, mvel, x, dx)
    T = eltype(x)
    mvel = T(o.rho) .* mvel .+ T(o.eta) .* dx
    return mvel, mvel
end

struct Nesterov{T} <: AbstractRule
    eta::T
    rho::T
end
Nesterov(eta, rho = 9f-1) = Nesterov{typeof(float(eta))}(eta, rho)
Nesterov(; eta = 1f-3, rho = 9f-1) = Nesterov(eta, rho)
init(o::Nesterov, x::AbstractArray) = zero(x)
function apply!(o::Nesterov, vel, x, dx)
    T = eltype(x)
    η, ρ = T(o.eta), T(o.rho)
    newdx = -(ρ^2) .* vel .+ (1 + ρ) * η .* dx
    return ρ .* vel .- η .* dx, newdx
end

struct RMSProp{T} <: AbstractRule
    eta::T
    rho::T
    epsilon::T
end
RMSProp(eta, rho = 9f-1, epsilon = 1f-8) = RMSProp{typeof(float(eta))}(eta, rho, epsilon)
RMSProp(; eta = 1f-3, rho = 9f-1, epsilon = 1f-8) = RMSProp(eta, rho, epsilon)
init(o::RMSProp, x::AbstractArray) = zero(x)
function apply!(o::RMSProp, quad, x, dx)
    T = eltype(x)
    η, ρ, ϵ = T(o.eta), T(o.rho), T(o.epsilon)
    quad = ρ .* quad .+ (1 - ρ) .* abs2.(dx)
    return quad, dx .* η ./ (sqrt.(quad) .+ ϵ)
end

struct Adam{T} <: AbstractRule
    eta::T
    beta::Tuple{T, T}
    epsilon::T
end
Adam(eta, beta = (9f-1, 9.99f-1), epsilon = 1f-8) = Adam{typeof(float(eta))}(eta, beta, epsilon)
Adam(; eta = 1f-3, beta = (9f-1, 9.99f-1), epsilon = 1f-8) = Adam(eta, beta, epsilon)
init(o::Adam, x::AbstractArray) = (zero(x), zero(x), (eltype(x)(o.beta[1]), eltype(x)(o.beta[2])))
function apply!(o::Adam, state, x, dx)
    T = eltype(x)
    η, ϵ = T(o.eta), T(o.epsilon)
    β1, β2 = T(o.beta[1]), T(o.beta[2])
    mt, vt, βt = state
    mt = β1 .* mt .+ (1 - β1) .* dx
    vt = β2 .* vt .+ (1 - β2) .* abs2.(dx)
    step = mt ./ (1 - βt[1]) ./ (sqrt.(vt ./ (1 - βt[2])) .+ ϵ) .* η
    return (mt, vt, (βt[1] * β1, βt[2] * β2)), step
end

struct WeightDecay{T} <: AbstractRule
    lambda::T
end
WeightDecay(; lambda = 5f-4) = WeightDecay(lambda)
init(o::WeightDecay, x::AbstractArray) = nothing
apply!(o::WeightDecay, state, x, dx) = (state, dx .+ eltype(x)(o.lambda) .* x)

struct OptimiserChain{O} <: AbstractRule
    opts::O
end
OptimiserChain(opts...) = OptimiserChain(opts)
init(o::OptimiserChain, x::AbstractArray) = map(opt -> init(opt, x), o.opts)
function apply!(o::OptimiserChain, states, x, dx)
    news = ()
    for (opt, s) in zip(o.opts, states)
        s2, dx = apply!(opt, s, x, dx)
        news = (news..., s2)
    end
    return news, dx
end

# AdamW as Optimisers 0.2 defines it: Adam followed by decoupled weight decay.
AdamW(eta, beta = (9f-1, 9.99f-1), lambda = 0f0, epsilon = 1f-8) = OptimiserChain(Adam(eta, beta, epsilon), WeightDecay(lambda))
AdamW(; eta = 1f-3, beta = (9f-1, 9.99f-1), lambda = 0f0, epsilon = 1f-8) = AdamW(eta, beta, lambda, epsilon)

_leaf_init(rule, x) = Leaf(rule, init(rule, x))
function _leaf_update(leaf::Leaf, x, dx)
    s, step = apply!(leaf.rule, leaf.state, x, dx)
    return Leaf(leaf.rule, s), x .- step
end

# Flux.train! in its explicit form (Flux 0.14-0.16, src/train.jl): for each element of `data`
# (a tuple is splatted into the loss), the gradient of loss(model, d...) with respect to the model
# and an Optimisers.update! of the model and the state in place. Over a collection known at compile
# time, the loop is unrolled into the one module. (Flux's check that the loss is finite would need
# a run-time error, which XLA has not: it is left out.)
function train!(loss, model, data, opt; cb = nothing)
    isnothing(cb) || error("train! does not support callback functions. For more control use a loop with `gradient` and `update!`.")
    for d in data
        d_splat = d isa Tuple ? d : (d,)
        l, gs = withgradient(m -> loss(m, d_splat...), model)
        update!(opt, model, gs[1])
    end
    return nothing
end

# ---- Implicit parameters (Zygote's Params and Grads, Flux.params, Flux.Optimise) -----------------
# The style of Flux before 0.14's explicit one: `ps = Flux.params(model)`, `gs = gradient(() ->
# loss(x, y), ps)` returning Grads indexed by the parameter arrays themselves (`gs[m.weight]`,
# `nothing` for a parameter the loss does not depend on, as Zygote gives), then
# `Flux.Optimise.update!(opt, ps, gs)` writing into the parameters. Arrays are keyed by identity
# (IdDict), as Zygote keys them.

# Zygote's Params (src/compiler/interface.jl): the arrays in order, each once.
struct Params
    order::Vector{Any}
    params::IdDict{Any, Bool}
end
Params() = Params([], IdDict{Any, Bool}())
Params(xs) = push!(Params(), xs...)
function push!(ps::Params, x)
    if !haskey(ps.params, x)
        push!(ps.order, x)
        ps.params[x] = true
    end
    return ps
end
function push!(ps::Params, xs...)
    for x in xs
        push!(ps, x)
    end
    return ps
end
in(x, ps::Params) = haskey(ps.params, x)
length(ps::Params) = length(ps.order)
getindex(ps::Params, i::Integer) = ps.order[i]
iterate(ps::Params, i = 1) = i > length(ps.order) ? nothing : (ps.order[i], i + 1)

# Zygote's Grads: a parameter's gradient is gs[p]; an array that is not a parameter is a KeyError.
struct Grads
    grads::IdDict{Any, Any}
    params::Params
end
getindex(gs::Grads, x) = gs.grads[x]
haskey(gs::Grads, x) = x in gs.params
keys(gs::Grads) = gs.params
length(gs::Grads) = length(gs.params)
iterate(gs::Grads, i = 1) = i > length(gs.params) ? nothing : (gs[gs.params[i]], i + 1)

# gradient(f, ps) and withgradient(f, ps) differentiate the zero-argument f with respect to the
# arrays in ps, wherever f reads them (library/autodiff.ts), and make the Grads here.
function _grads(ps::Params, grads::Tuple)
    d = IdDict{Any, Any}()
    for (p, g) in zip(ps.order, grads)
        d[p] = g
    end
    return Grads(d, ps)
end

# Flux.params (src/functor.jl): every numeric array the model trains (its `trainable` children,
# depth first), each once.
function params(m...)
    ps = Params()
    _params!(ps, m)
    return ps
end
_params!(ps::Params, x::AbstractArray{<:Number}) = push!(ps, x)
function _params!(ps::Params, x)
    for child in trainable(x)
        _params!(ps, child)
    end
    return ps
end

# Flux.Optimise.update! (Flux 0.14, src/optimise/train.jl): each parameter with a gradient steps in
# place, x .-= apply!(opt, x, x̄), with the optimiser's state for it. The old optimisers Descent,
# Momentum, Nesterov, RMSProp and Adam step as the Optimisers.jl rules of the same names above
# (the same updates, with hyperparameters taken in the parameter's type); the state of each
# parameter is kept by the optimiser value, as Flux.Optimise's mutable optimisers keep theirs.
function update!(opt::AbstractRule, ps::Params, gs::Grads)
    state = _implicit_state(opt)
    for x in ps
        x̄ = gs[x]
        isnothing(x̄) && continue
        s, step = apply!(opt, haskey(state, x) ? state[x] : init(opt, x), x, x̄)
        state[x] = s
        x .-= step
    end
    return nothing
end
update!(opt::AbstractRule, ps::Params, gs::Union{Tuple, NamedTuple}) = error("can't mix implicit Params with explicit gradients: for the implicit style, update!(opt, ::Params, ::Grads) needs the gradient from gradient(() -> loss(...), ps)")

# Flux.Optimise.train! (Flux 0.14): for each element of `data` (a tuple is splatted into the loss),
# the gradient of loss(d...) with respect to ps, an update! of the parameters in place, then the
# callback(s) `cb`. (Flux's check that the loss is finite would need a run-time error, which XLA
# has not; Flux.stop() and skip() would need try/catch.)
function train!(loss, ps::Params, data, opt::AbstractRule; cb = () -> ())
    callbacks = cb isa Union{Tuple, AbstractVector} ? cb : (cb,)
    for d in data
        d_splat = d isa Tuple ? d : (d,)
        gs = gradient(() -> loss(d_splat...), ps)
        update!(opt, ps, gs)
        for c in callbacks
            c()
        end
    end
    return nothing
end

# `Array{T}(undef, dims...)`: memory Julia leaves uninitialized is zeros here (Interpreter.call).
struct UndefInitializer end
const undef = UndefInitializer()

# scan's loop: the first step fixes the outputs' size, each step writes its (out, batch) slice of
# the (out, len, batch) result (a sequence of 16 steps or fewer unrolls).
function _scan(cell, x, state)
    y1, state = cell(selectdim(x, 2, 1), state)
    n = size(y1, 1)
    ys = similar(y1, n, size(x, 2), length(y1) ÷ n)
    ys[:, 1, :] = reshape(y1, n, :)
    for t in 2:size(x, 2)
        y, state = cell(selectdim(x, 2, t), state)
        ys[:, t, :] = reshape(y, n, :)
    end
    return reshape(ys, n, size(x, 2), size(y1)[2:end]...), state
end

# The optimisers' names before Flux 0.13 (Flux's @deprecate_binding ADAM Adam and others).
const ADAM = Adam
const ADAMW = AdamW

# ---- More of Base, NNlib and Flux that model files use (issue 12) ------------------------------
# Kept at the end of the file: the source lines above are in the modules' metadata.

# Base.Fix2 as closures: `==(3)`, `>(0)`, `in(xs)` are functions of one argument.
==(x) = y -> y == x
!=(x) = y -> y != x
>(x) = y -> y > x
<(x) = y -> y < x
>=(x) = y -> y >= x
<=(x) = y -> y <= x
in(xs) = y -> in(y, xs)

trunc(x::Integer) = x
trunc(x::Real) = ifelse(x < 0, ceil(x), floor(x))
trunc(::Type{T}, x) where {T} = T(trunc(x))

# Base.isnan/isinf/isfinite as base/float.jl defines them.
isnan(x::AbstractFloat) = x != x
isnan(x::Real) = false
isinf(x::AbstractFloat) = abs(x) == Inf
isinf(x::Real) = false
isfinite(x::AbstractFloat) = !isnan(x - x)
isfinite(x::Real) = true

function binomial(n::Integer, k::Integer)
    (k < 0 || k > n) && return 0
    return foldl((acc, i) -> div(acc * (n - k + i), i), 1:k; init = 1)
end

# Base.range and LinRange (base/range.jl): `stop` and `length` make a Float64 range of evenly spaced values.
range(start; length = nothing, stop = nothing, step = nothing) = _range(start, step, stop, length)
range(start, stop; length = nothing, step = nothing) = _range(start, step, stop, length)
_range(a, ::Nothing, ::Nothing, ::Nothing) = error("ArgumentError: At least one of `length` or `stop` must be specified")
_range(a, step, ::Nothing, ::Nothing) = error("ArgumentError: At least one of `length` or `stop` must be specified")
_range(a, step, stop, ::Nothing) = a:step:stop
_range(a, ::Nothing, stop, ::Nothing) = a:stop
_range(a, ::Nothing, ::Nothing, len::Integer) = a:a+len-1
_range(a, step, ::Nothing, len::Integer) = a:step:a+step*(len-1)
_range(a, ::Nothing, stop, len::Integer) = len == 1 ? (float(a):1.0:float(a)) : (float(a):(float(stop) - float(a)) / (len - 1):float(stop))
_range(a, step, stop, len::Integer) = error("ArgumentError: Too many arguments specified; try passing only one of `stop` or `length`")
LinRange(start, stop, len::Integer) = _range(start, nothing, stop, len)

eachindex(x) = keys(x)
eachindex(x::AbstractArray) = 1:length(x)
keys(x::AbstractArray) = 1:length(x)

# findfirst/findlast over known collections: the index of the first (last) element where f holds, or nothing.
function findfirst(f::Function, itr)
    for (i, x) in enumerate(itr)
        f(x) && return i
    end
    return nothing
end
function findlast(f::Function, itr)
    t = Tuple(itr)
    for i in length(t):-1:1
        f(t[i]) && return i
    end
    return nothing
end

pairs(x::AbstractArray) = map(i -> i => x[i], Tuple(keys(x)))

xlogx(x) = ifelse(iszero(x), zero(x * log(x)), x * log(x))
epseltype(x) = eps(float(eltype(x)))
ofeltype(x, y) = convert(float(eltype(x)), y)
msle(ŷ, y; agg = mean, ϵ = epseltype(ŷ)) = agg((log.((ŷ .+ ϵ) ./ (y .+ ϵ))) .^ 2)
function huber_loss(ŷ, y; agg = mean, δ = ofeltype(ŷ, 1))
    abs_error = abs.(ŷ .- y)
    temp = ignore_derivatives(abs_error .< δ)
    x = ofeltype(ŷ, 0.5)
    return agg(((abs_error .^ 2) .* temp) .* x .+ δ * (abs_error .- x * δ) .* (1 .- temp))
end
function label_smoothing(y, α::Number; dims::Int = 1)
    0 < α < 1 || error("ArgumentError: α must be between 0 and 1")
    dims == 0 && return y .* (1 - α) .+ α / 2
    dims == 1 && return y .* (1 - α) .+ α / size(y, 1)
    error("ArgumentError: `dims` should be either 0 or 1")
end
function kldivergence(ŷ, y; dims = 1, agg = mean, ϵ = epseltype(ŷ))
    entropy = agg(sum(xlogx.(y); dims = dims))
    cross_entropy = crossentropy(ŷ, y; dims = dims, agg = agg, eps = ϵ)
    return entropy + cross_entropy
end
poisson_loss(ŷ, y; agg = mean) = agg(ŷ .- xlogy.(y, ŷ))
hinge_loss(ŷ, y; agg = mean) = agg(max.(0, 1 .- ŷ .* y))
squared_hinge_loss(ŷ, y; agg = mean) = agg((max.(0, 1 .- ŷ .* y)) .^ 2)
dice_coeff_loss(ŷ, y; smooth = ofeltype(ŷ, 1.0)) = 1 - (2 * sum(y .* ŷ) + smooth) / (sum(y .^ 2) + sum(ŷ .^ 2) + smooth)
function tversky_loss(ŷ, y; β = ofeltype(ŷ, 0.7))
    num = sum(y .* ŷ) + 1
    den = sum(y .* ŷ + β * (1 .- y) .* ŷ + (1 - β) * y .* (1 .- ŷ)) + 1
    return 1 - num / den
end

# Chain(enc = ..., dec = ...) keeps its layers' names in a NamedTuple, as Flux's values(kw) does.
getindex(c::Chain, s::Symbol) = c.layers[s]

onehot(label, classes) = collect(classes) .== label

# NNlib.upsample_nearest and Flux's Upsample (src/layers/upsample.jl): each pixel repeated `scale` times.
upsample_nearest(x, scale::NTuple{N, Integer}) where {N} = repeat(x; inner = (scale..., ntuple(_ -> 1, ndims(x) - N)...))
function upsample_nearest(x; size)
    scale = size .÷ Base.size(x)[1:length(size)]
    all(scale .* Base.size(x)[1:length(size)] .== size) || error("ArgumentError: upsample_nearest: the new size $size is not an integer multiple of the input's")
    return upsample_nearest(x, scale)
end
struct Upsample{mode, S, T}
    scale::S
    size::T
end
function Upsample(mode::Symbol = :nearest; scale = nothing, size = nothing)
    mode in (:nearest, :bilinear, :trilinear) || error("ArgumentError: mode=:$mode is not supported")
    (isnothing(scale) == isnothing(size)) && error("ArgumentError: Either scale or size should be specified (but not both).")
    return Upsample{mode, typeof(scale), typeof(size)}(scale, size)
end
Upsample(scale, mode::Symbol = :nearest) = Upsample(mode; scale)
function (m::Upsample{:nearest})(x)
    isnothing(m.size) || return upsample_nearest(x; size = m.size)
    return upsample_nearest(x, m.scale isa Integer ? ntuple(_ -> m.scale, ndims(x) - 2) : m.scale)
end
(m::Upsample)(x) = error("Upsample with bilinear or trilinear interpolation is not supported yet; use :nearest")

# NNlib.pixel_shuffle and Flux's PixelShuffle: channels r^d*c become an r-times larger image of c channels.
function pixel_shuffle(x, r::Integer)
    d = ndims(x) - 2
    sizein = size(x)[1:d]
    cin, n = size(x, d + 1), size(x, d + 2)
    cin % r^d == 0 || error("ArgumentError: expected channels divisible by $(r^d), got $cin")
    cout = cin ÷ r^d
    x = reshape(x, sizein..., ntuple(_ -> r, d)..., cout, n)
    perm = foldl((acc, i) -> (acc..., d + i, i), 1:d; init = ())
    x = permutedims(x, (perm..., 2d + 1, 2d + 2))
    return reshape(x, map(s -> s * r, sizein)..., cout, n)
end
struct PixelShuffle
    factor::Int
end
(m::PixelShuffle)(x) = pixel_shuffle(x, m.factor)

# Flux.@autosize (src/outputsize.jl; the macro is Interpreter.evalAutosize): the size an `_` stands
# for, the second-last dimension of the layer's input (Flux's channel dimension), the first for
# Dense and LayerNorm; and the lazy layer, built by its first call from that input.
autosizefor(::Any, x::AbstractArray) = size(x, max(1, ndims(x) - 1))
autosizefor(::Type{<:Dense}, x::AbstractArray) = size(x, 1)
autosizefor(::Type{<:LayerNorm}, x::AbstractArray) = size(x, 1)
mutable struct _AutosizeLazyLayer
    make
    layer
end
function (l::_AutosizeLazyLayer)(x::AbstractArray, ys::AbstractArray...)
    l.layer === nothing || return l.layer(x, ys...)
    made = l.make(x)
    y = made(x, ys...)
    l.layer = made
    return y
end
_autosize_size(sizes, k) = haskey(sizes, k) ? sizes[k] : error("@autosize: this layer never ran on the input of the given size, so its `_` has no size (is it reached from the model's call?)")
