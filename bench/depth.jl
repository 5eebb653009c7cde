# Models of growing depth for the front end's scaling (bench/scaling.ts): the VGG family (11, 13,
# 16 and 19 weight layers, Simonyan & Zisserman's configurations A, B, D and E) and a GPT-style
# stack of N blocks (causal self-attention, then a feed-forward layer, each with a residual and
# layer normalisation).

include("../examples/vgg19.jl")
include("../examples/attention.jl")

# Output channels per convolution (:M is a max pooling) of VGG with `depth` weight layers.
function vgg_config(depth)
    depth == 11 && return (64, :M, 128, :M, 256, 256, :M, 512, 512, :M, 512, 512, :M)
    depth == 13 && return (64, 64, :M, 128, 128, :M, 256, 256, :M, 512, 512, :M, 512, 512, :M)
    depth == 16 && return (64, 64, :M, 128, 128, :M, 256, 256, 256, :M, 512, 512, 512, :M, 512, 512, 512, :M)
    depth == 19 && return VGG19_CONFIG
    error("VGG has 11, 13, 16 or 19 weight layers")
end

function vgg(depth, seed, imsize, nclasses)
    init = Flux.glorot_uniform(Xoshiro(seed))
    side = imsize ÷ 32
    return Chain(
        vgg_convolutions(vgg_config(depth), 3, init)...,
        Flux.flatten,
        Dense(512 * side * side => 4096, relu; init),
        Dense(4096 => 4096, relu; init),
        Dense(4096 => nclasses; init),
    )
end

struct FeedForward{U, D, N}
    up::U
    down::D
    norm::N
end

FeedForward(dim::Integer; init = Flux.glorot_uniform) = FeedForward(Dense(dim => 4dim, gelu; init), Dense(4dim => dim; init), LayerNorm(dim))

(f::FeedForward)(x) = x .+ f.down(f.up(f.norm(x)))

function gpt(seed, dim, nheads, nblocks)
    init = Flux.glorot_uniform(Xoshiro(seed))
    return Chain(ntuple(i -> isodd(i) ? CausalSelfAttention(dim, nheads; init) : FeedForward(dim; init), 2nblocks)...)
end

forward(model, x) = model(x)
