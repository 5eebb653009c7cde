# VGG19's forward and backward pass for the benchmarks: the loss and its gradient with respect to
# every parameter of a model passed in (not built inside), as a training step would need them.

include("../examples/vgg19.jl")

# testmode!: inside a gradient Flux's Dropout trains (drops at random); the JAX reference has no dropout.
vgg19_loss_gradient(model, images, labels) = Flux.withgradient(m -> Flux.logitcrossentropy(m(images), labels), testmode!(model))
