# Julia's juxtaposition and literal rules, traced: 3x^2 + 2x is 3*(x^2) + 2*x.
poly(x) = 3x^2 + 2x + 1

# The same polynomial with `@.` and a user-defined scalar function broadcast over an array.
smooth(x) = @. 0.5f0 * poly(x) + 1f-3

# Several methods, chosen by argument type.
scaled(x::AbstractArray, s::Real) = x .* s
scaled(x::AbstractArray, s::AbstractArray) = x .* s'
scaled(x::Real, s::Real) = x * s

function features(x, y, s)
    centred = x .- sum(x; dims = 1) ./ size(x, 1)
    spread = sqrt.(sum(abs2.(centred); dims = 1) ./ size(x, 1))
    return (smooth.(x), scaled(y, s), spread, maximum(x), minimum(x; dims = 2), prod(y; dims = 1), transpose(x) * y)
end
