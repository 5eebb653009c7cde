# Training in the build graph: a Flux model, Zygote's withgradient and an Optimisers.jl rule, with
# a whole training step — forward, backward and update — in one HLO module, and STEPS steps in
# one HLO while on the device. The pipeline in tpu.config.json: train_init -> train -> train_evaluate.

using Flux, Optimisers

const STEPS = 300

function init_regressor(seed)
    rng = Xoshiro(seed)
    return Chain(
        Dense(4 => 32, tanh; init = glorot_uniform(rng)),
        Dense(32 => 1; init = glorot_uniform(rng)),
    )
end

# A synthetic, learnable task drawn on the device: y = sin(x₁) + x₂x₃/2 - x₄/2 on 256 points.
function dataset(seed)
    x = randn(Xoshiro(seed), Float32, 4, 256)
    y = sin.(x[1:1, :]) .+ 0.5f0 .* x[2:2, :] .* x[3:3, :] .- 0.5f0 .* x[4:4, :]
    return x, y
end

loss(model, x, y) = Flux.mse(model(x), y)

function train_step(model, state, x, y)
    l, grads = Flux.withgradient(m -> loss(m, x, y), model)
    state, model = Optimisers.update(state, model, grads[1])
    return model, state, l
end

function train(model, seed)
    x, y = dataset(seed)
    state = Optimisers.setup(Adam(1f-2), model)
    for i in 1:STEPS
        model, state, l = train_step(model, state, x, y)
    end
    return model
end

function train_evaluate(model, seed)
    x, y = dataset(seed)
    return (loss = loss(model, x, y),)
end
