# An MLP classifier in Flux style: the model is built from a seed in one entry (`init`), and its
# parameters flow through the build graph into `predict` and `evaluate`.

using Flux

include("layers.jl")

"""
    init_mlp(seed, hidden)

A 16 → hidden → 10 classifier with Flux's default (Glorot-uniform) initialisation, drawn from a
seeded generator. `hidden` is a compile-time constant from the manifest.
"""
function init_mlp(seed, hidden)
    rng = Xoshiro(seed)
    return Chain(
        Dense(16 => hidden, relu; init = glorot_uniform(rng)),
        Dense(hidden => 10; init = glorot_uniform(rng)),
    )
end

predict(model, x) = softmax(model(x))

# Mean cross-entropy of the predicted class probabilities against one-hot labels, and accuracy.
function evaluate(probs, labels)
    loss = Flux.crossentropy(probs, labels)
    correct = sum(maximum(probs; dims = 1) .== sum(probs .* labels; dims = 1))
    return (loss = loss, accuracy = correct / size(probs, 2))
end
