# The model of the plugin example: one dense layer without its activation.
affine(W, x, b) = W * x .+ b
