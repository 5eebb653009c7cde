# An LSTM sequence classifier: an LSTM reads each sequence (features, time, batch), its hidden state
# after the last step goes through a Dense layer to class probabilities. Flux 0.15-0.16's
# recurrent API: LSTM(in => hidden) runs the cell over the time dimension.

using Flux

# The hidden state after the last time step, for every sequence of the batch.
last_step(h) = h[:, end, :]

init_lstm(seed, nin, hidden, nclasses) =
    Chain(LSTM(nin => hidden; init_kernel = Flux.glorot_uniform(Xoshiro(seed)), init_recurrent_kernel = Flux.glorot_uniform(Xoshiro(seed + 1))),
          last_step,
          Dense(hidden => nclasses; init = Flux.glorot_uniform(Xoshiro(seed + 2))),
          softmax)

classify(model, sequences) = model(sequences)
