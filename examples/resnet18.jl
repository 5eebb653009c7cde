# ResNet-18 (He et al. 2016), written as model libraries write it (Metalhead's resnet.jl, torchvision's
# BasicBlock): a layer list built from a stage configuration with push!, a BasicBlock layer with a
# strided 1×1-convolution shortcut where the shape changes, a 7×7 stride-2 stem with max pooling,
# adaptive mean pooling and a dense classifier. Images are W×H×3×batch.

using Flux

struct BasicBlock
    conv1::Conv
    bn1::BatchNorm
    conv2::Conv
    bn2::BatchNorm
    downsample
end

Flux.@layer BasicBlock

function BasicBlock(inplanes::Int, planes::Int; stride::Int = 1, init = Flux.kaiming_normal)
    conv1 = Conv((3, 3), inplanes => planes; stride = stride, pad = 1, bias = false, init = init)
    bn1 = BatchNorm(planes)
    conv2 = Conv((3, 3), planes => planes; pad = 1, bias = false, init = init)
    bn2 = BatchNorm(planes)
    if stride != 1 || inplanes != planes
        downsample = Chain(Conv((1, 1), inplanes => planes; stride = stride, bias = false, init = init), BatchNorm(planes))
    else
        downsample = identity
    end
    return BasicBlock(conv1, bn1, conv2, bn2, downsample)
end

function (b::BasicBlock)(x)
    out = relu.(b.bn1(b.conv1(x)))
    out = b.bn2(b.conv2(out))
    return relu.(out .+ b.downsample(x))
end

# (planes, blocks, stride) of each stage: ResNet-18 has two blocks in each of four stages.
const RESNET18_STAGES = [(64, 2, 1), (128, 2, 2), (256, 2, 2), (512, 2, 2)]

function resnet(stages; inchannels = 3, nclasses = 1000, init = Flux.kaiming_normal)
    layers = []
    push!(layers, Conv((7, 7), inchannels => 64; stride = 2, pad = 3, bias = false, init = init))
    push!(layers, BatchNorm(64, relu))
    push!(layers, MaxPool((3, 3); stride = 2, pad = 1))
    inplanes = 64
    for (planes, nblocks, stride) in stages
        for i in 1:nblocks
            push!(layers, BasicBlock(inplanes, planes; stride = i == 1 ? stride : 1, init = init))
            inplanes = planes
        end
    end
    push!(layers, AdaptiveMeanPool((1, 1)))
    push!(layers, Flux.flatten)
    push!(layers, Dense(inplanes => nclasses))
    return Chain(layers...)
end

resnet18(; kw...) = resnet(RESNET18_STAGES; kw...)

# The entries: weights drawn from a seed, then the class scores (logits) for a batch of images.
init_resnet18(seed, nclasses) = resnet18(; nclasses = nclasses, init = Flux.kaiming_normal(Xoshiro(seed)))

resnet18_forward(model, images) = model(images)
