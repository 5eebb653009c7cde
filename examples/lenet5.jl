# LeNet-5 as in Flux's model zoo (vision/conv_mnist): two 5×5 convolutions with max pooling, then
# three dense layers. Images are 28×28×1×N (Julia's WHCN layout).

using Flux

function lenet5(seed)
    init = Flux.glorot_uniform(Xoshiro(seed))
    return Chain(
        Conv((5, 5), 1 => 6, relu; init),
        MaxPool((2, 2)),
        Conv((5, 5), 6 => 16, relu; init),
        MaxPool((2, 2)),
        Flux.flatten,
        Dense(256 => 120, relu; init),
        Dense(120 => 84, relu; init),
        Dense(84 => 10; init),
    )
end

classify(model, images) = softmax(model(images))
