# A small character-level GPT: token and position embeddings, transformer blocks (pre-norm causal
# multi-head self-attention and a GELU MLP, each with a residual connection), a final LayerNorm and
# a projection to the vocabulary. Written with Flux's own layers (Embedding, MultiHeadAttention,
# LayerNorm, Dense); tokens are (length, batch) indices, logits (vocab, length, batch).

using Flux

struct Block{A, N, M}
    attn::A
    ln1::N
    ln2::N
    mlp::M
end
Flux.@layer Block

function (b::Block)(x)
    h = b.ln1(x)
    y, _ = b.attn(h; mask = make_causal_mask(h))
    x = x .+ y
    return x .+ b.mlp(b.ln2(x))
end

struct GPT{E, P, B, N, H}
    tok::E
    pos::P
    blocks::B
    ln::N
    head::H
end
Flux.@layer GPT

function (m::GPT)(tokens::AbstractMatrix{<:Integer})
    x = m.tok(tokens) .+ m.pos(1:size(tokens, 1))
    for b in m.blocks
        x = b(x)
    end
    return m.head(m.ln(x))
end

function init_gpt(seed, vocab, dim, nheads, nblocks, context)
    init = Flux.glorot_uniform(Xoshiro(seed))
    blocks = []
    for _ in 1:nblocks
        mlp = Chain(Dense(dim => 4dim, gelu; init), Dense(4dim => dim; init))
        push!(blocks, Block(MultiHeadAttention(dim; nheads, init), LayerNorm(dim), LayerNorm(dim), mlp))
    end
    return GPT(Embedding(vocab => dim; init), Embedding(context => dim; init), Tuple(blocks), LayerNorm(dim), Dense(dim => vocab; init))
end

# The next-token loss and one Adam step: the loss before the step and the model after it.
function gpt_train_step(model, tokens, targets)
    vocab = size(model.head.weight, 1)
    loss(m) = Flux.logitcrossentropy(reshape(m(tokens), vocab, :), Flux.onehotbatch(vec(targets), 1:vocab))
    l, g = Flux.withgradient(loss, model)
    state = Flux.setup(Adam(1f-3), model)
    state, model = Optimisers.update(state, model, g[1])
    return l, model
end

gpt_logits(model, tokens) = model(tokens)
