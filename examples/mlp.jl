# A two-layer perceptron classifier written the way Flux code is, with its parameters as plain
# arrays (structs and Flux layers come with the wider language support).

include("layers.jl")

"""
    init_mlp(W1, W2, scale)

Scales standard-normal draws into initial weights (a Glorot-like `scale` is a compile-time
constant) and starts the biases at zero.
"""
function init_mlp(W1, W2, scale)
    b1 = zeros_like_rows(W1)
    b2 = zeros_like_rows(W2)
    return (W1 .* Float32(scale / sqrt(size(W1, 2))), b1, W2 .* Float32(scale / sqrt(size(W2, 2))), b2)
end

function predict(params, x)
    W1, b1, W2, b2 = params
    h = dense(W1, b1, x, relu)
    return softmax(dense(W2, b2, h, identity))
end

# Mean cross-entropy of the predicted class probabilities against one-hot labels, and accuracy.
function evaluate(probs, labels)
    loss = -sum(labels .* log.(probs .+ 1f-7)) / size(probs, 2)
    correct = sum(maximum(probs; dims = 1) .== sum(probs .* labels; dims = 1))
    return (loss = loss, accuracy = correct / size(probs, 2))
end
