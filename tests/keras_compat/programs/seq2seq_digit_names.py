# keras.io's "Character-level recurrent sequence-to-sequence model" (lstm_seq2seq), with
# MNIST for its English: the encoder reads an image row by row, and the decoder writes the
# digit's name letter by letter ("seven"), taught with teacher forcing. The encoder's last
# states (return_state=True) start the decoder (initial_state=); for inference the same
# layers are rebuilt into an encoder model and a decoder model that takes states as inputs.
import numpy as np
import keras

names = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
target_characters = sorted(set("".join(names))) + ["\t", "\n"]   # "\t" starts, "\n" ends
num_decoder_tokens = len(target_characters)
max_decoder_seq_length = max(len(n) for n in names) + 2
target_token_index = {char: i for i, char in enumerate(target_characters)}
reverse_target_char_index = {i: char for char, i in target_token_index.items()}
latent_dim = 64

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
encoder_input_data = (x_train / 255.0).astype("float32")          # 28 rows of 28 pixels
decoder_input_data = np.zeros((len(x_train), max_decoder_seq_length, num_decoder_tokens), dtype="float32")
decoder_target_data = np.zeros((len(x_train), max_decoder_seq_length, num_decoder_tokens), dtype="float32")
for i, label in enumerate(y_train):
    target_text = "\t" + names[label] + "\n"
    for t, char in enumerate(target_text):
        decoder_input_data[i, t, target_token_index[char]] = 1.0
        if t > 0:   # decoder_target_data is ahead of decoder_input_data by one timestep
            decoder_target_data[i, t - 1, target_token_index[char]] = 1.0
    decoder_input_data[i, t + 1:, target_token_index["\n"]] = 1.0
    decoder_target_data[i, t:, target_token_index["\n"]] = 1.0

# Define an input sequence and process it.
encoder_inputs = keras.Input(shape=(None, 28))
encoder = keras.layers.LSTM(latent_dim, return_state=True)
encoder_outputs, state_h, state_c = encoder(encoder_inputs)
# We discard `encoder_outputs` and only keep the states.
encoder_states = [state_h, state_c]

# Set up the decoder, using `encoder_states` as initial state.
decoder_inputs = keras.Input(shape=(None, num_decoder_tokens))
decoder_lstm = keras.layers.LSTM(latent_dim, return_sequences=True, return_state=True)
decoder_outputs, _, _ = decoder_lstm(decoder_inputs, initial_state=encoder_states)
decoder_dense = keras.layers.Dense(num_decoder_tokens, activation="softmax")
decoder_outputs = decoder_dense(decoder_outputs)

model = keras.Model([encoder_inputs, decoder_inputs], decoder_outputs)
model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
history = model.fit(
    [encoder_input_data, decoder_input_data],
    decoder_target_data,
    batch_size=64,
    epochs=12,
    validation_split=0.2,
)
model.save("s2s_model.keras")

# Inference: the encoder model, and a decoder model that takes the states as inputs.
model = keras.models.load_model("s2s_model.keras")
encoder_inputs = model.input[0]
encoder_outputs, state_h_enc, state_c_enc = model.layers[2].output
encoder_model = keras.Model(encoder_inputs, [state_h_enc, state_c_enc])

decoder_inputs = model.input[1]
decoder_state_input_h = keras.Input(shape=(latent_dim,))
decoder_state_input_c = keras.Input(shape=(latent_dim,))
decoder_states_inputs = [decoder_state_input_h, decoder_state_input_c]
decoder_lstm = model.layers[3]
decoder_outputs, state_h_dec, state_c_dec = decoder_lstm(decoder_inputs, initial_state=decoder_states_inputs)
decoder_states = [state_h_dec, state_c_dec]
decoder_dense = model.layers[4]
decoder_outputs = decoder_dense(decoder_outputs)
decoder_model = keras.Model([decoder_inputs] + decoder_states_inputs, [decoder_outputs] + decoder_states)


def decode_sequence(input_seq):
    states_value = encoder_model.predict(input_seq, verbose=0)
    target_seq = np.zeros((1, 1, num_decoder_tokens))
    target_seq[0, 0, target_token_index["\t"]] = 1.0
    decoded_sentence = ""
    while True:
        output_tokens, h, c = decoder_model.predict([target_seq] + states_value, verbose=0)
        sampled_token_index = np.argmax(output_tokens[0, -1, :])
        sampled_char = reverse_target_char_index[sampled_token_index]
        if sampled_char == "\n" or len(decoded_sentence) > max_decoder_seq_length:
            break
        decoded_sentence += sampled_char
        target_seq = np.zeros((1, 1, num_decoder_tokens))
        target_seq[0, 0, sampled_token_index] = 1.0
        states_value = [h, c]
    return decoded_sentence


test_images = (x_test[:40] / 255.0).astype("float32")
decoded = [decode_sequence(test_images[i:i + 1]) for i in range(len(test_images))]
read_right = np.mean([text == names[label] for text, label in zip(decoded, y_test[:40])])
print("-")
print("Decoded sentences:", decoded[:5], "read right:", read_right)
