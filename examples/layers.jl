# Building blocks shared by the examples.

dense(W, b, x, σ) = σ.(W * x .+ b)
