"""Build ``first_network.ipynb`` from the cells below, and run it so that it is committed
with the outputs of a full run (its pictures visible to anyone reading it online).

The notebook is written here, as plain Python strings, so that a change to it is a
readable diff. Edit this file, then::

    python notebooks/build_first_network.py          # the cells only, no outputs (seconds)
    python notebooks/build_first_network.py --run    # and run it all, on the full MNIST (minutes)

Commit the notebook as ``--run`` writes it. ``tests/test_notebook.py`` checks that the
cells agree with this file, that the committed outputs come from a full run without a
warning, and that the notebook runs (in quick mode).
"""

import argparse
import os
import time
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
NOTEBOOK = HERE / "first_network.ipynb"

CELLS = []


def md(text):
    CELLS.append(nbformat.v4.new_markdown_cell(text.strip("\n")))


def code(text):
    CELLS.append(nbformat.v4.new_code_cell(text.strip("\n")))


md("""
# Your first neural network, from the pixels up

This notebook trains a network that reads handwritten digits, and then opens it up to see
how it works. Everything runs on [glassnet](../docs/README.md), a deep-learning library
written in NumPy with the Keras API, so every step can be read in a few lines of code.

1. Look at the data
2. Normalize and flatten, and why
3. Build the classic network and train it
4. Evaluate: where does it go wrong?
5. Open the box: one forward pass and one gradient by hand, and backpropagation through a
   hidden layer
6. Overfit on purpose, then fix it
7. A convolutional network, and why it wins
8. Your own digit
9. My network doesn't learn: the doctor

**Quick mode.** With the environment variable `GLASSNET_QUICK=1` (the test suite sets it)
the notebook trains on a subset for fewer epochs and runs in well under a minute. The
numbers quoted in the text are from the full run, on 2 CPU cores.
""")

code("""
import os
import tempfile
import time

import numpy as np
from IPython.display import Image, display

from glassnet import Sequential
from glassnet.datasets import load_dataset
from glassnet.layers import Dense, Dropout, Flatten
from glassnet.workbench import metrics, plots

QUICK = os.environ.get("GLASSNET_QUICK") == "1"


def show(fig):
    \"\"\"Display a matplotlib Figure (glassnet's pictures are plain Figures, no pyplot).\"\"\"
    display(Image(plots.png_bytes(fig)))
""")

md("""
## 1. Look at the data

MNIST: 70,000 handwritten digits, 28x28 pixels, each labelled 0 to 9. 60,000 are for
training and 10,000 are kept aside for the final test. `load_dataset` finds the files on
disk (or downloads them once); offline, it falls back to the 7,000 real MNIST digits that
ship with glassnet, and says so.
""")

code("""
data = load_dataset("mnist", allow_download=not QUICK)
print(data.source)
x_train, y_train, x_test, y_test = data.x_train, data.y_train, data.x_test, data.y_test
if QUICK:  # a subset, so that the whole notebook runs in seconds
    x_train, y_train, x_test, y_test = x_train[:6000], y_train[:6000], x_test[:2000], y_test[:2000]

print("training images:", x_train.shape, x_train.dtype, "  labels:", y_train.shape)
print("test images:    ", x_test.shape)
print("pixel range:", x_train.min(), "to", x_train.max())
show(plots.plot_samples_per_class(x_train, y_train, per_class=10))
""")

md("""
Each image is a 28x28 grid of integers from 0 (no ink: the background) to 255 (full
ink). Stored as brightness, MNIST is white ink on black; glassnet's pictures draw the ink
dark on white paper, as it was written, so in the grid above 0 is white and 255 is black
(the network itself only ever sees the numbers). Are the classes balanced? If 90% of the images were 1s, a network that always says "1"
would score 90% and learn nothing.
""")

code("""
print("images per digit:", dict(enumerate(np.bincount(y_train, minlength=10).tolist())))
show(plots.plot_pixel_histogram(x_train))
""")

md("""
Roughly 10% each: accuracy is a fair measure here. The histogram shows what MNIST digits
are made of: mostly background (0), a peak of full ink (255), and a few grey pixels
at the edges of the strokes.

## 2. Normalize and flatten

**Divide by 255.** The network's first weights are chosen for inputs of about size 1. Fed
0..255, the first layer's outputs are up to 255 times too large, the softmax saturates,
and the gradients of the first layer (which are proportional to its input) are 255 times
too large as well. The loss bounces around or becomes NaN. Dividing by 255 puts every pixel
in 0..1 and costs nothing. More in [why preprocessing matters](../docs/preprocessing.md).
""")

code("""
x_train = x_train.astype("float32") / 255.0
x_test = x_test.astype("float32") / 255.0
print("pixel range now:", x_train.min(), "to", x_train.max())
""")

md("""
**Flatten.** A `Dense` layer takes each sample as one row of numbers, so the 28x28 image
becomes 784 numbers, row after row. That is all `Flatten` does:
""")

code("""
image = x_train[0]
row = image.reshape(-1)          # what Flatten() does to each sample: (28, 28) -> (784,)
print(image.shape, "->", row.shape)
print("pixels 150..160 of the flat row:", np.round(row[150:161], 2))
""")

md("""
Flattening forgets which pixels are neighbours: pixel 150 and pixel 178 are one above the
other in the image, but for a `Dense` layer they are just two unrelated inputs. Keep that
in mind for section 7.

## 3. The classic first network

Three Dense layers: 784 inputs -> 128 -> 64 -> 10 outputs, with ReLU between them, dropout
after each hidden layer, and a softmax at the end that turns the 10 scores into
probabilities. This is the network of the Keras tutorial; only the import line differs.
""")

code("""
model = Sequential([
    Flatten(input_shape=(28, 28)),
    Dense(128, activation="relu"), Dropout(0.2),
    Dense(64, activation="relu"), Dropout(0.2),
    Dense(10, activation="softmax"),
], seed=0)
model.summary()
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
""")

md("""
109,386 weights: `784 * 128 + 128` in the first Dense layer alone is 100,480. Training shows
the network 32 images at a time, computes how wrong it is (the loss), works out how each
weight should move to be less wrong (backpropagation), and moves every weight a little
(Adam). One pass over the training set is an epoch. 20% of the training images are held
out to validate after each epoch.

The full run (10 epochs, 48,000 training images) takes under 10 seconds on 2 cores and
ends near 97.9% validation accuracy.
""")

code("""
EPOCHS = 3 if QUICK else 10
start = time.perf_counter()
history = model.fit(x_train, y_train, epochs=EPOCHS, batch_size=32, validation_split=0.2, verbose=2)
print(f"trained in {time.perf_counter() - start:.1f} s")
show(plots.plot_training_curves(history))
""")

md("""
The training accuracy is often a little *lower* than the validation accuracy. That is not a
bug, and there are two reasons: it is measured with dropout switched on, and it is the
average over the epoch, batch by batch, while the weights were still improving, whereas the
validation accuracy is measured once, with the epoch's final weights (see
[dropout](../docs/dropout.md)).

Now the test set, which the network has never seen:
""")

code("""
test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=2)
""")

md("""
The full run reaches about **97.7%** test accuracy: 228 of the 10,000 test digits wrong.

## 4. Evaluate: where does it go wrong?

One number hides a lot. The confusion matrix counts, for each true digit (row), what the
network answered (column). The diagonal holds the right answers.
""")

code("""
probs = model.predict(x_test, verbose=0)   # (N, 10) probabilities
y_pred = probs.argmax(axis=1)          # the most likely digit
show(plots.plot_confusion_matrix(y_test, y_pred))
""")

code("""
per_digit = metrics.per_class_accuracy(y_test, y_pred, num_classes=10)
for digit, accuracy in enumerate(per_digit):
    print(f"digit {digit}: {accuracy:6.1%}  " + "#" * int(round(accuracy * 40)))
print("most confused (true -> predicted, count):", metrics.most_confused(y_test, y_pred, top=5))
""")

md("""
In the full run the most common are 9 -> 4, 5 -> 3 and 4 -> 9: digits that share most of
their strokes. Here are the worst ones, most confident first. Many are hard for people too.
""")

code("""
show(plots.plot_mistakes(x_test, y_test, probs, count=20))
""")

md("""
## 5. Open the box

### One forward pass by hand

The first Dense layer computes `relu(x @ W + b)`. Its weights are plain NumPy arrays:
""")

code("""
dense = model.layers[1]                          # Dense(128, activation="relu")
W, b = dense.params["kernel"], dense.params["bias"]
print("W:", W.shape, " b:", b.shape)

x = x_test[:3].reshape(3, -1)                    # three flattened test images, (3, 784)
z = x @ W + b                                    # (3, 784) @ (784, 128) + (128,) -> (3, 128)
h = np.maximum(z, 0)                             # ReLU
print("by hand == dense.forward:", np.allclose(h, dense.forward(x)))
print("units active for the first image:", int((h[0] > 0).sum()), "of 128")
""")

md("""
### One gradient by hand

Take a single Dense layer with 10 outputs (a linear classifier) and the cross-entropy loss,
computed in float64. The gradient of the loss with respect to the logits `z` is
`(p - y) / N`: the predicted probabilities minus the one-hot truth, divided by the batch
size (why: [softmax and cross-entropy](../docs/softmax_cross_entropy.md)). The chain rule
through `z = x @ W + b` then gives `dW = x.T @ dz` ([Dense](../docs/dense_backprop.md)).
""")

code("""
from glassnet.losses import SparseCategoricalCrossentropy

rng = np.random.default_rng(0)
layer = Dense(10, dtype="float64")
layer.build((784,), rng)
loss_fn = SparseCategoricalCrossentropy(from_logits=True)
xb, yb = x_train[:16].reshape(16, -1).astype("float64"), y_train[:16]

# glassnet: forward, loss, backward
logits = layer.forward(xb)
loss = loss_fn.forward(yb, logits)
layer.backward(loss_fn.backward())

# by hand: softmax, then (p - y) / N, then dW = x.T @ dz
p = np.exp(logits - logits.max(axis=1, keepdims=True))
p /= p.sum(axis=1, keepdims=True)
dz = p.copy()
dz[np.arange(16), yb] -= 1
dz /= 16
dW = xb.T @ dz
print("loss:", round(loss, 4))
print("largest difference, dW by hand vs backward:", np.abs(dW - layer.grads["kernel"]).max())
""")

md("""
And a third opinion: the definition of the derivative. Nudge one weight up and down by a
tiny `eps` and see how the loss changes (central differences).
""")

code("""
i, j, eps = 400, 3, 1e-6                         # pixel 400 (middle of the image), class 3
Wk = layer.params["kernel"]
Wk[i, j] += eps
loss_up = loss_fn.forward(yb, layer.forward(xb))
Wk[i, j] -= 2 * eps
loss_down = loss_fn.forward(yb, layer.forward(xb))
Wk[i, j] += eps                                  # put it back
print(f"finite differences: {(loss_up - loss_down) / (2 * eps):.10f}")
print(f"by hand (x.T @ dz): {dW[i, j]:.10f}")
""")

md("""
`glassnet.gradcheck.check_layer` does exactly this for every input and every weight of a
layer, and the command `glassnet gradcheck` runs it on every layer, activation and loss of
the package ([gradient checking](../docs/gradient_checking.md)). It works on your own
layers too. Here is a layer that squares its input, and a version with a classic
backprop bug (a forgotten factor 2):
""")

code("""
from glassnet.gradcheck import check_layer, run_all
from glassnet.layers import Layer


class Square(Layer):
    def forward(self, x, training=False):
        self.x = x
        return x * x

    def backward(self, dy):
        return 2 * self.x * dy                   # d(x^2)/dx = 2x


class BuggySquare(Square):
    def backward(self, dy):
        return self.x * dy                       # forgot the 2


print(check_layer(Square(), input_shape=(5,)))
print(check_layer(BuggySquare(), input_shape=(5,)))
rows = run_all(only="Dense")
print(f"glassnet gradcheck --only Dense: {sum(r.passed for r in rows)} of {len(rows)} checks pass, "
      f"largest relative error {max(r.max_error for r in rows):.1e}")
""")

# ---- issue 19: backpropagation through a hidden layer, by hand (begin) ------------------------
md("""
### Backpropagation through a hidden layer, by hand

The output layer's gradient is only half of the story. The point of backpropagation is
what happens *below* it: how the blame reaches a hidden layer, whose units have no target
of their own. Here is the whole backward pass of a two-layer network,
softmax-CE -> Dense -> ReLU -> Dense, as a graph
([backprop as a computational graph](../docs/backprop_graph.md)): shapes going forward,
gradients coming back.
""")

code("""
display(Image(filename="../docs/figures/two_layer_backprop.png"))
""")

md("""
Nielsen's chapter 2 sums up backpropagation in four equations. Written for one sample as a
column vector, with `delta = dC/dz` (the "error" of a layer's pre-activations):

| | Nielsen | here: a batch of rows, `W` of shape (inputs, units) |
| --- | --- | --- |
| BP1 | `delta_L = grad_a C * f'(z_L)` | softmax + cross-entropy: `dz2 = (p - y) / N` |
| BP2 | `delta_l = (W_{l+1}^T delta_{l+1}) * f'(z_l)` | `dh = dz2 @ W2.T`, then `dz1 = dh * (z1 > 0)` |
| BP3 | `dC/db_l = delta_l` | `db = dz.sum(axis=0)` (summed over the batch) |
| BP4 | `dC/dW_l = a_{l-1} delta_l^T` | `dW = a_in.T @ dz` |

BP2 is the new one: the hidden layer's error is the layer above's error sent back through
its weights (`@ W2.T`), then masked by the ReLU's slope: 1 where the unit was on, 0 where
it was off. Here it is in NumPy, line by line, against glassnet's own backward pass:
""")

code("""
hidden = Dense(32, activation="relu", dtype="float64")
output = Dense(10, dtype="float64")                        # the logits; the softmax is in the loss
rng = np.random.default_rng(0)
hidden.build((784,), rng)
output.build((32,), rng)
xb, yb = x_train[:16].reshape(16, -1).astype("float64"), y_train[:16]
N = len(xb)

# glassnet: forward, loss, backward through both layers
loss = loss_fn.forward(yb, output.forward(hidden.forward(xb)))
hidden.backward(output.backward(loss_fn.backward()))

# by hand, forward
W1, b1 = hidden.params["kernel"], hidden.params["bias"]
W2, b2 = output.params["kernel"], output.params["bias"]
z1 = xb @ W1 + b1                          # (16, 784) @ (784, 32) -> (16, 32)
h = np.maximum(z1, 0)                      # ReLU
z2 = h @ W2 + b2                           # (16, 32) @ (32, 10) -> (16, 10): the logits
p = np.exp(z2 - z2.max(axis=1, keepdims=True))
p /= p.sum(axis=1, keepdims=True)          # softmax

# by hand, backward
dz2 = p.copy()
dz2[np.arange(N), yb] -= 1
dz2 /= N                                   # BP1: (p - y) / N
dW2 = h.T @ dz2                            # BP4: (32, 16) @ (16, 10) -> (32, 10)
db2 = dz2.sum(axis=0)                      # BP3
dh = dz2 @ W2.T                            # BP2, first half: back through the weights -> (16, 32)
dz1 = dh * (z1 > 0)                        # BP2, second half: the ReLU's slope, a 0/1 mask
dW1 = xb.T @ dz1                           # BP4: (784, 16) @ (16, 32) -> (784, 32)
db1 = dz1.sum(axis=0)                      # BP3

for name, mine, layer, key in (("dW2", dW2, output, "kernel"), ("db2", db2, output, "bias"),
                               ("dW1", dW1, hidden, "kernel"), ("db1", db1, hidden, "bias")):
    print(f"{name}: largest |by hand - glassnet| = {np.abs(mine - layer.grads[key]).max():.1e}")
print(f"hidden units switched off for the first image: {int((z1[0] <= 0).sum())} of 32 "
      f"(their entries of dz1 are 0: no blame reaches a unit that was off)")
""")

md("""
Every difference is at the level of float64 rounding: the four equations *are* the
backward pass. Two things to notice. The gradient of `W1` needed `W2` (BP2): a layer's
learning depends on the weights above it, which is why the scale of every layer's weights
matters ([initialization](../docs/initialization.md)). And a unit that is off for every
image gets `dz1 = 0` for all of them, forever: the "dying ReLU"
([activations](../docs/activations.md)).
""")
# ---- issue 19: backpropagation through a hidden layer, by hand (end) --------------------------

md("""
## 6. Overfit on purpose, then fix it

A big network trained on few images learns them by heart: the training loss goes to zero
while the validation loss turns around and *rises*. Here: two layers of 512 units, only
1,000 training images, no dropout.
""")

code("""
from glassnet.callbacks import EarlyStopping
from glassnet.regularizers import l2

x_small, y_small = x_train[:1000], y_train[:1000]
x_val, y_val = x_train[-2000:], y_train[-2000:]          # images the networks never train on
OVERFIT_EPOCHS = 15 if QUICK else 40


def big_network(dropout=0.0, weight_decay=0.0):
    reg = l2(weight_decay) if weight_decay else None
    layers = [Flatten(input_shape=(28, 28))]
    for _ in range(2):
        layers += [Dense(512, activation="relu", kernel_regularizer=reg)]
        layers += [Dropout(dropout)] if dropout else []
    net = Sequential(layers + [Dense(10, activation="softmax")], seed=0)
    net.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return net


overfit = big_network()
overfit.fit(x_small, y_small, epochs=OVERFIT_EPOCHS, validation_data=(x_val, y_val), verbose=0)
h = overfit.history.history
print(f"training accuracy {h['accuracy'][-1]:.1%}, validation accuracy {h['val_accuracy'][-1]:.1%}")
print(f"validation loss: lowest {min(h['val_loss']):.3f} at epoch {int(np.argmin(h['val_loss'])) + 1}, "
      f"last {h['val_loss'][-1]:.3f}")
show(plots.plot_training_curves(overfit.history, title="Overfitting (1,000 images, no regularization)"))
""")

md("""
Three fixes, usually combined:

* **Dropout** switches half of the units off at random in every step, so no unit can
  rely on another: the network can't memorize with a few special-purpose units.
* **L2** (`kernel_regularizer=l2(1e-4)`) adds `1e-4 * sum(W**2)` to the loss, so large
  weights cost something and the network prefers many small ones.
* **Early stopping** watches the validation loss and stops when it hasn't improved for
  `patience` epochs, then puts back the weights of the best epoch.
""")

code("""
fixed = big_network(dropout=0.5, weight_decay=1e-4)
stop = EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True)
fixed.fit(x_small, y_small, epochs=OVERFIT_EPOCHS, validation_data=(x_val, y_val), callbacks=[stop],
          verbose=0)
cross_entropy = SparseCategoricalCrossentropy()   # the plain loss, without the L2 penalty
for name, net in (("no regularization", overfit), ("dropout + L2 + early stopping", fixed)):
    p_val = net.predict(x_val, verbose=0)
    print(f"{name:30s} validation cross-entropy {cross_entropy(y_val, p_val):.3f}, "
          f"accuracy {np.mean(p_val.argmax(axis=1) == y_val):.1%}, "
          f"{len(net.history.history['loss'])} epochs")
show(plots.plot_training_curves(fixed.history, title="Dropout + L2 + early stopping"))
""")

md("""
In the full run the unregularized network's validation loss is lowest at epoch 6 and then
climbs steadily while its training accuracy sits at 100%: it grows ever more confident,
including about the images it gets wrong. With dropout, L2 and early stopping, the
validation cross-entropy ends about a third lower (0.23 instead of 0.35) and training
stops by itself after 17 epochs. The accuracy moves much less (93.5% to 94.1%): with only
1,000 images, no regularizer can make up for the missing examples. More data is the best
regularizer of all, which is why the real training uses all 48,000.

## 7. A convolutional network, and why it wins

A convolution slides small filters (3x3 here) over the image and uses the same weights at
every position, so a stroke detector works wherever the stroke is: move the digit and its
feature maps move with it (convolution is *equivariant* to shifts, not invariant). Pooling
keeps the strongest response in each 2x2 window, which makes the result a little less
sensitive to a shift of a pixel within a window, no more. Inside, each convolution is one
big matrix multiply
([convolution as a matrix multiply](../docs/im2col.md)).
""")

code("""
from glassnet.layers import Conv2D, MaxPooling2D

cnn = Sequential([
    Conv2D(32, 3, activation="relu", input_shape=(28, 28, 1)), MaxPooling2D(2),
    Conv2D(64, 3, activation="relu"), MaxPooling2D(2),
    Flatten(),
    Dense(128, activation="relu"), Dropout(0.5),
    Dense(10, activation="softmax"),
], seed=0)
cnn.summary()
cnn.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
""")

md("""
`(N, 28, 28)` images are accepted where the model wants `(28, 28, 1)`, as in Keras. The full
run trains for 3 epochs on all 60,000 images with batch 128.
""")

code("""
CNN_EPOCHS = 2 if QUICK else 3
start = time.perf_counter()
cnn.fit(x_train, y_train, epochs=CNN_EPOCHS, batch_size=64 if QUICK else 128, verbose=2)
print(f"trained in {time.perf_counter() - start:.1f} s")
cnn_loss, cnn_accuracy = cnn.evaluate(x_test, y_test, verbose=0)
print(f"test accuracy: CNN {cnn_accuracy:.2%}, MLP {test_accuracy:.2%}")
""")

md("""
The full run: about **98.7%** for the CNN after 3 epochs (about 22 s each on 2 cores)
against 97.7% for the MLP after 10, so the CNN makes about half as many mistakes. Does it
also cope better with a digit that is not centred? Move every test digit 3 pixels to the
right. For the MLP, every pixel now lands on different weights. The CNN's filters slide
with the digit, but its Dense layers, after `Flatten`, still see the shifted maps:
""")

code("""
shifted = np.zeros_like(x_test)
shifted[:, :, 3:] = x_test[:, :, :-3]                    # 3 pixels to the right
for name, net in (("MLP", model), ("CNN", cnn)):
    _, original = net.evaluate(x_test, y_test, verbose=0)
    _, moved = net.evaluate(shifted, y_test, verbose=0)
    print(f"{name}: {original:.1%} on the test set, {moved:.1%} with every digit shifted 3 pixels")
""")

md("""
In the full run the MLP falls to about 62% and the CNN to about 86%: both lose, the CNN
much less. Its convolutions and poolings carry a feature to a shifted place in the maps,
and the two 2x2 poolings absorb part of the move; the Dense layers on top were trained on
centred digits and do the rest of the damage. That is why MNIST digits are centred, and
why your own digit must be too (section 8). What did the first convolution learn? Its 32 filters, and what they make of one digit:
""")

code("""
show(plots.plot_conv_filters(cnn))
show(plots.plot_feature_maps(cnn, x_test[0]))
""")

md("""
## 8. Your own digit

A network that scores 98% on MNIST often gets your own digit wrong. The network is not the
problem: the picture is. MNIST digits are white on black, fitted into a 20x20 box with the
aspect ratio kept, and centred by their center of mass in 28x28. A photo of a digit on
paper is dark on light, somewhere in a big frame, under uneven light.

Put the path of your own photo in `MY_PHOTO`. Without one, we make a "photo" from a test
digit: dark ink on greyish paper with a lighting gradient and noise, four times too big
and off-centre.
""")

code("""
from PIL import Image as PILImage

MY_PHOTO = None                                           # e.g. "my_seven.jpg"

if MY_PHOTO is None:
    rng = np.random.default_rng(1)
    digit = data.x_test[0]                                # a 7, uint8, white on black
    ink = np.asarray(PILImage.fromarray(digit).resize((112, 112), PILImage.BICUBIC)) / 255.0
    paper = np.linspace(0.95, 0.75, 300)[None, :] * np.ones((220, 1))   # light to the left
    paper += rng.normal(0, 0.02, paper.shape)
    paper[60:172, 30:142] *= 1 - 0.85 * ink               # dark ink, off-centre
    MY_PHOTO = os.path.join(tempfile.mkdtemp(), "photo.png")
    PILImage.fromarray((np.clip(paper, 0, 1) * 255).astype(np.uint8)).save(MY_PHOTO)
    print("made", MY_PHOTO, "from a test image of a", data.y_test[0])
""")

md("""
The naive way squeezes the whole photo into 28x28. `to_mnist` repeats MNIST's preparation
instead: it finds the ink, removes the paper's uneven light, inverts dark-on-light, fits
the digit into 20x20 with its aspect ratio, and centres it by center of mass
([why preprocessing matters](../docs/preprocessing.md)).
""")

code("""
from matplotlib.figure import Figure

from glassnet.workbench.preprocess import to_mnist

photo = PILImage.open(MY_PHOTO).convert("L")
naive = np.asarray(photo.resize((28, 28))).astype("float32") / 255.0
prepared = to_mnist(MY_PHOTO)

fig = Figure(figsize=(9, 3.4), layout="constrained")
axes = fig.subplots(1, 3)
pictures = [(np.asarray(photo), "the photo", None), (naive, "squeezed to 28x28", naive),
            (prepared, "to_mnist", prepared)]
for ax, (picture, title, seen) in zip(axes, pictures):
    ax.imshow(picture, cmap="gray", vmin=0, vmax=255 if seen is None else 1)
    ax.set_xticks([]), ax.set_yticks([])
    if seen is not None:
        mlp_p, cnn_p = model.predict(seen[None], verbose=0)[0], cnn.predict(seen[None], verbose=0)[0]
        title += f"\\nMLP: {mlp_p.argmax()} ({mlp_p.max():.0%}), CNN: {cnn_p.argmax()} ({cnn_p.max():.0%})"
    ax.set_title(title, fontsize=10)
fig.suptitle("each drawn as brightness, as the network reads it: bright = ink, as in MNIST", fontsize=9)
show(fig)
""")

md("""
The squeezed photo is mostly light paper, which to an MNIST network looks like a page
covered in ink: its answer is a guess. After `to_mnist` both networks read the digit.

From the command line the same preparation is one command, which also saves what the
network saw and which of its pixels mattered most to the answer:

    glassnet predict model.npz my_seven.jpg --show seen.png

A model trained by `glassnet train` also answers "that doesn't look like a digit" for a
picture that is none (a letter, a doodle), instead of calling it a 4 with confidence.
`glassnet serve model.npz` opens a page where you can draw digits and watch the network's
probabilities change as you draw; when it reads one of yours wrong, "Wrong? It was a ..."
keeps it, and `glassnet train --resume model.npz --extra-data DIR` teaches the network
your handwriting.
""")

# ---- issue 19: my network doesn't learn (begin) ------------------------------------------------
md("""
## 9. My network doesn't learn

Sooner or later a network will train to 11% and stay there, or print `nan`. Karpathy's
"recipe for training neural networks" says what to check before touching anything else:
the data, the loss at the start, whether the network can learn a handful of samples by
heart, the gradients, and the learning rate. `glassnet.workbench.doctor.diagnose` (and the
command `glassnet doctor`) makes those checks in a second or two, and says for each one
what it measured, what that means and what to try.

Here is a network with three classic mistakes in it. Let the doctor find them, one fix at
a time.
""")

code("""
from glassnet.layers import Dense, Flatten
from glassnet.optimizers import Adam
from glassnet.workbench.doctor import diagnose, healthy, report

raw_pixels = data.x_train[:4096]                      # 0..255: forgot to divide by 255
labels = data.y_train[:4096]


def build(activation="sigmoid", initializer="small_random", rate=10.0):
    net = Sequential([Flatten(input_shape=(28, 28))]
                     + [Dense(64, activation=activation, kernel_initializer=initializer) for _ in range(6)]
                     + [Dense(10, activation="softmax")], seed=0)
    net.compile(optimizer=Adam(rate), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return net


def doctor(net, x):
    \"\"\"Run the checks; print the problems (and warnings) in full, the rest as one line.\"\"\"
    findings = diagnose(net, x, labels)
    for finding in findings:
        if finding.status != "ok":
            print(finding, end="\\n\\n")
    print("fine:", ", ".join(f.check for f in findings if f.status == "ok"))
    print("verdict:", report(findings).splitlines()[-1])
    return findings


findings = doctor(build(), raw_pixels)
""")

md("""
A list of problems. Don't fix them all at once: some are consequences of others, and
every measurement depends on the data. So start where the data enters: the inputs are 85
times larger than the initial weights expect (**input scale**), which is also why most of
the first layer's sigmoids sit on their flat ends (**units**). Divide by 255:
""")

code("""
pixels = raw_pixels.astype("float32") / 255.0
findings = doctor(build(), pixels)
""")

md("""
The input findings are gone, and the doctor points at the network itself: **vanishing
gradients**. Six sigmoid layers with tiny initial weights pass back almost nothing: each
layer multiplies the gradient by at most 1/4 and by its small weights, so the first layer
gets less than a billionth of the last layer's gradient and can't learn. Its advice: ReLU with
He initialisation. (The learning-rate findings are still there; they come last, because
the range test measured this broken network.)
""")

code("""
findings = doctor(build(activation="relu", initializer="he_normal"), pixels)
""")

md("""
The gradients flow, and what is left is the **learning rate**: at 10, every step
overshoots, the loss blows up and most ReLUs die after a few dozen steps. The range test
(see [batch size and learning rate](../docs/batch_size_and_learning_rate.md)) measured the
useful range; take its suggestion:
""")

code("""
suggested = next(f for f in findings if f.check == "learning-rate range").values["suggestion"]
print(f"the range test suggests {suggested:.2g}")
fixed = build(activation="relu", initializer="he_normal", rate=suggested)
findings = doctor(fixed, pixels)
fixed.fit(pixels, labels, epochs=2, batch_size=32, verbose=0)
print(f"after 2 epochs on {len(pixels)} images: test accuracy "
      f"{fixed.evaluate(x_test, y_test, verbose=0)[1]:.1%}")
""")

md("""
Healthy, and it learns. Each fix came from one finding, in the order that matters: data,
then architecture, then optimiser. From the command line, `glassnet doctor` runs the same
checks on a saved model or a zoo architecture (`glassnet doctor --raw-pixels`,
`glassnet doctor --lr 10`, `glassnet doctor my_model.npz --json`), and
`glassnet train --find-lr` draws the range test.
""")
# ---- issue 19: my network doesn't learn (end) --------------------------------------------------

md("""
## Where next

* The [docs](../docs/README.md): one short page per idea, each linked to the code.
* `glassnet train --arch cnn` trains the CNN on all of MNIST; `glassnet report` makes a page
  with every picture of this notebook for a saved model.
* [Write your own layer](../docs/custom_layers.md), check it with `check_layer`, and train it.
* The "why" pages: [activations](../docs/activations.md),
  [cross-entropy or squared error](../docs/cross_entropy_vs_mse.md),
  [batch size and learning rate](../docs/batch_size_and_learning_rate.md),
  [underfitting and overfitting](../docs/bias_variance.md).
""")


# ---- section: reading a whole number with CTC (issue 16, line-reader) --------------------
# Self-contained: it loads its own digits and imports what it uses.

md("""
## Reading a whole number, like a sequence model

A network that reads one digit at 99% reads a seven-digit number right only
`0.99 ** 7 = 93%` of the time, and that is *if* the number was cut into digits correctly.
When digits touch, the cut fails and no classifier can repair half a digit. A **line
reader** never cuts: a small CNN slides along the whole strip and gives, every 4 columns,
scores for the ten digits and a *blank*. CTC (connectionist temporal classification)
reads the text off those columns (merge repeats, drop blanks) and, in training, sums over
every way of placing the label on the columns, so it is never told where a digit is
([reading numbers](../docs/reading_numbers.md)).

First, numbers written from MNIST *training* digits: touching, slanted, thin and bold.
""")

code("""
import numpy as np
from matplotlib.figure import Figure

from glassnet.datasets import load_dataset, numbers
from glassnet.engine.ctc import CTCLoss
from glassnet.workbench import line_reader

digits = load_dataset("mnist", allow_download=not QUICK)
train_digits = (digits.x_train, digits.y_train)          # uint8 digits and their labels
examples = numbers.compose(*train_digits, 3, length=(3, 8), seed=0, **numbers.TRAINING)

fig = Figure(figsize=(8, 3.6), layout="constrained")
for ax, image, label in zip(fig.subplots(3, 1), examples.images, examples.labels):
    ax.imshow(image, cmap="gray")
    ax.set_title(f"label: {label}", fontsize=9)
    ax.set_xticks([]), ax.set_yticks([])
show(fig)
""")

md("""
The line reader is an ordinary `Sequential`: convolutions, then a bidirectional GRU that
runs along the strip's steps both ways, trained with `fit` and the CTC loss; the labels are the digits padded with -1 (class 10 is the blank). The full run
trains on 30,000 fresh numbers (a few minutes); `glassnet train --task numbers` trains the
real one on far more.
""")

code("""
LINE_WIDTH = 128 if QUICK else 256
LINE_EPOCHS, PER_EPOCH = (2, 300) if QUICK else (6, 5000)
lengths = (1, 4) if QUICK else (1, 10)

reader = line_reader.line_model(width=LINE_WIDTH, seed=0)
reader.compile(optimizer="adam", loss=CTCLoss(blank=line_reader.BLANK))
for epoch in range(LINE_EPOCHS):
    strips, labels = line_reader.training_strips(PER_EPOCH, seed=epoch, digits=train_digits,
                                                 width=LINE_WIDTH, lengths=lengths)
    reader.fit(strips, labels, epochs=1, batch_size=32, verbose=2)
print("labels look like:", labels[0])
""")

md("""
Now a number from the *test* digits. Under the strip: the probability of each class at
each output step. Each digit lights up for a step or two near its middle; blank fills the
rest. (In quick mode the reader has barely trained, so expect a poor guess.)
""")

code("""
test_numbers = numbers.compose(digits.x_test, digits.y_test, 50, length=lengths[1] if QUICK else 7,
                               seed=1)
strips = [line_reader.picture_strip(image)[0] for image in test_numbers.images]
logits = line_reader.line_logits(reader, strips)
read, _, probabilities, _ = line_reader.decode(logits[0])
show(line_reader.plot_columns(strips[0], probabilities, read,
                              title=f"a test number: {test_numbers.labels[0]}"))
texts = ["".join(map(str, line_reader.decode(row)[0])) for row in logits]
whole, right, wrong_count = line_reader.score_texts(texts, test_numbers.labels)
print(f"line reader on {len(texts)} numbers from MNIST test digits: {whole:.0%} whole, "
      f"{right:.1%} of digits")
""")

md("""
In the full run this small reader already reads most seven-digit numbers whole. The one
`glassnet train --task numbers` makes trains longer, on numbers of 1 to 10 digits, and
`benchmarks/read_numbers.py` compares it with the segmenter on 1,000 numbers.
""")
# ---- end of section: reading a whole number with CTC ---------------------------------------


def build():
    notebook = nbformat.v4.new_notebook()
    notebook.cells = CELLS
    for number, cell in enumerate(CELLS):
        cell["id"] = f"cell-{number:02d}"  # fixed ids (not nbformat's random ones): clean diffs
    notebook.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    return notebook


def run(notebook, timeout=3600):
    """Execute ``notebook`` in place, top to bottom, as a reader would (not in quick mode)."""
    from nbclient import NotebookClient

    os.environ.pop("GLASSNET_QUICK", None)
    os.environ.setdefault("MPLBACKEND", "Agg")
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(HERE)}})
    client.execute()   # raises CellExecutionError, naming the cell, if one fails
    return notebook


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Write notebooks/first_network.ipynb from this file.")
    parser.add_argument("--run", action="store_true",
                        help="also run it (full MNIST, a few minutes) and keep the outputs")
    args = parser.parse_args()
    notebook = build()
    if args.run:
        start = time.perf_counter()
        run(notebook)
        print(f"ran it in {time.perf_counter() - start:.0f}s")
    nbformat.write(notebook, NOTEBOOK)
    print(f"wrote {NOTEBOOK} ({len(CELLS)} cells, {'with the outputs of a full run' if args.run else 'no outputs'})")
