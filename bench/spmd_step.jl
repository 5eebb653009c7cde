# A data-parallel training step for the SPMD benchmark (bench/spmd.ts): an MLP's forward pass,
# backward pass and a gradient-descent update, with the batch split over the mesh's `data` axis.

mlp(W1, b1, W2, b2, x) = W2 * tanh.(W1 * x .+ b1) .+ b2

loss(W1, b1, W2, b2, x, y) = sum((mlp(W1, b1, W2, b2, x) .- y) .^ 2) / size(x, 2)

function train_step(W1, b1, W2, b2, x, y)
    l, g = withgradient(loss, W1, b1, W2, b2, x, y)
    η = 0.1f0
    return (W1 .- η .* g[1], b1 .- η .* g[2], W2 .- η .* g[3], b2 .- η .* g[4], l)
end
