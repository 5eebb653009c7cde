# A causal self-attention block (GPT-style): a fused query/key/value projection, multi-head
# attention with a causal mask (NNlib.dot_product_attention), an output projection, and a residual
# connection with layer normalisation. Sequences are (features, length, batch).

using Flux

struct CausalSelfAttention{Q, O, N}
    qkv::Q
    proj::O
    norm::N
    nheads::Int
end

function CausalSelfAttention(dim::Integer, nheads::Integer; init = Flux.glorot_uniform)
    @assert dim % nheads == 0 "the model dimension must divide into the heads"
    return CausalSelfAttention(Dense(dim => 3dim; init), Dense(dim => dim; init), LayerNorm(dim), nheads)
end

function (m::CausalSelfAttention)(x)
    d = size(x, 1)
    h = m.norm(x)
    qkv = m.qkv(h)
    q, k, v = qkv[1:d, :, :], qkv[d+1:2d, :, :], qkv[2d+1:3d, :, :]
    y, _ = dot_product_attention(q, k, v; mask = make_causal_mask(x; dims = 2), nheads = m.nheads)
    return x .+ m.proj(y)
end

init_attention(seed, dim, nheads) = CausalSelfAttention(dim, nheads; init = Flux.glorot_uniform(Xoshiro(seed)))

attend(block, x) = block(x)
