# VGG19, the model of the paper (Simonyan & Zisserman; Metalhead's VGG): sixteen 3×3 convolutions
# in five blocks, each block ending in 2×2 max pooling, then three dense layers. Images are
# imsize×imsize×3×batch; the paper ran 224×224 images.

using Flux

# Output channels per convolution; :M is a max pooling.
const VGG19_CONFIG = (64, 64, :M, 128, 128, :M, 256, 256, 256, 256, :M, 512, 512, 512, 512, :M, 512, 512, 512, 512, :M)

function vgg_convolutions(config, inchannels, init)
    layers = ()
    channels = inchannels
    for c in config
        if c == :M
            layers = (layers..., MaxPool((2, 2)))
        else
            layers = (layers..., Conv((3, 3), channels => c, relu; pad = 1, init))
            channels = c
        end
    end
    return layers
end

"""
    vgg19(seed, imsize, nclasses)

VGG19 with Glorot-uniform weights drawn from `seed`. `imsize` (a multiple of 32) fixes the size
of the first dense layer, as the paper's 224 gives 7×7×512 → 4096.
"""
function vgg19(seed, imsize, nclasses)
    init = Flux.glorot_uniform(Xoshiro(seed))
    side = imsize ÷ 32
    return Chain(
        vgg_convolutions(VGG19_CONFIG, 3, init)...,
        Flux.flatten,
        Dense(512 * side * side => 4096, relu; init),
        Dropout(0.5),
        Dense(4096 => 4096, relu; init),
        Dropout(0.5),
        Dense(4096 => nclasses; init),
    )
end

# The forward pass of the paper: class probabilities for a batch of images.
vgg19_forward(model, images) = softmax(model(images))

# The forward pass with the model built inside, from a seed: one module, no parameter transfer
# (the compile-only entry that reports the paper's instruction count).
vgg19_random_forward(images, seed, nclasses) = vgg19_forward(vgg19(seed, size(images, 1), nclasses), images)
