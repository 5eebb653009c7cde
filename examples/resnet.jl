# A ResNet basic block (He et al.; Metalhead's basicblock): two 3×3 convolutions with batch
# normalisation and a skip connection, projected by a strided 1×1 convolution when the shape changes.

using Flux

function basicblock(inplanes, planes, stride, init)
    main = Chain(
        Conv((3, 3), inplanes => planes; stride, pad = 1, bias = false, init),
        BatchNorm(planes, relu),
        Conv((3, 3), planes => planes; pad = 1, bias = false, init),
        BatchNorm(planes),
    )
    shortcut = stride == 1 && inplanes == planes ? identity :
        Chain(Conv((1, 1), inplanes => planes; stride, bias = false, init), BatchNorm(planes))
    return Chain(Parallel(+, main, shortcut), relu_all)
end

# The activation after the skip connection (a closure, x -> relu.(x), would pass between entries too).
relu_all(x) = relu.(x)

init_block(seed, inplanes, planes, stride) = basicblock(inplanes, planes, stride, Flux.kaiming_normal(Xoshiro(seed)))

run_block(block, x) = block(x)
