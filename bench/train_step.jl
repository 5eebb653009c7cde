# One training step of the MLP regressor of examples/train.jl for the benchmarks: forward, backward
# and an Adam update from a fresh optimiser state, on data passed in.

include("../examples/train.jl")

function adam_step(model, x, y)
    state = Optimisers.setup(Adam(1f-2), model)
    model, state, l = train_step(model, state, x, y)
    return model, l
end
