"""``keras.ops.stft`` and ``keras.ops.istft``: a signal as overlapping windowed frames' spectra, and back.

**STFT.** Cut the signal ``(..., L)`` into frames of ``fft_length`` samples, ``sequence_stride``
apart (``center``: the signal first padded by reflection with ``fft_length // 2`` on each
side, so frame ``t`` is centred on sample ``t * stride``). Multiply each frame by the window
(a periodic Hann or Hamming bell of ``sequence_length`` samples, zero-padded to
``fft_length`` in the middle), and take its real FFT::

    X[..., t, k] = sum_n frame_t[n] * w[n] * exp(-2 pi i k n / fft_length)

The result is ``(real, imag)``, each ``(..., frames, fft_length // 2 + 1)``, as Keras gives it.

**Inverse.** Each frame's inverse FFT, times the window divided by the sum of the squared
windows that overlap there, is added back where it was cut (overlap-add, TensorFlow's
``inverse_stft``): where the frames overlap fully, that gives the signal exactly back.
"""

import numpy as np

from glassnet.engine.autodiff import data_of


def _window(window, sequence_length, fft_length, dtype):
    """The window ``(fft_length,)``: the bell of ``sequence_length`` samples in the middle
    (no window: ones over the whole frame, as TensorFlow's)."""
    if window is None:
        return np.ones(fft_length, dtype)
    if isinstance(window, str):
        if window not in ("hann", "hamming"):
            raise ValueError(f'If a string is passed to `window`, it must be one of `"hann"`, `"hamming"`. '
                             f"Received: window={window}")
        a = 0.5 if window == "hann" else 0.54          # periodic: the bell of sequence_length + 1, last left out
        bell = a - (1 - a) * np.cos(2 * np.pi * np.arange(sequence_length) / sequence_length)
    else:
        bell = np.asarray(data_of(window), np.float64)
        if bell.shape != (sequence_length,):
            raise ValueError(f"The shape of `window` must be equal to [sequence_length]. Received: window "
                             f"shape={bell.shape}")
    left = (fft_length - sequence_length) // 2
    return np.pad(bell, (left, fft_length - sequence_length - left)).astype(dtype)


def _inverse_window(win, stride):
    """``win / d``, ``d[n]`` the sum of ``win**2`` over the samples a stride apart from ``n``
    (TensorFlow's ``inverse_stft_window_fn``): overlap-adding frames windowed twice gives 1."""
    overlaps = -(-len(win) // stride)
    squares = np.pad(win * win, (0, overlaps * stride - len(win))).reshape(overlaps, stride)
    return win / np.tile(squares.sum(axis=0), overlaps)[:len(win)]


def _frames(x, length, stride):
    """``(..., L)`` -> ``(..., 1 + (L - length) // stride, length)``."""
    starts = np.arange(0, x.shape[-1] - length + 1, stride)
    return x[..., starts[:, None] + np.arange(length)[None, :]]


def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    """``(real, imag)`` of the short-time Fourier transform of ``x`` ``(..., L)`` (see the module docstring)."""
    x = np.asarray(data_of(x))
    if x.dtype not in (np.float32, np.float64):
        raise TypeError(f"Invalid input type. Expected `float32` or `float64`. Received: input type={x.dtype}")
    if fft_length < sequence_length:
        raise ValueError(f"`fft_length` must equal or larger than `sequence_length`. Received: "
                         f"sequence_length={sequence_length}, fft_length={fft_length}")
    if center:
        x = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(fft_length // 2, fft_length // 2)], mode="reflect")
    spectrum = np.fft.rfft(_frames(x, fft_length, sequence_stride) * _window(window, sequence_length, fft_length,
                                                                            np.float64), n=fft_length)
    return spectrum.real.astype(x.dtype), spectrum.imag.astype(x.dtype)


def istft(x, sequence_length, sequence_stride, fft_length, length=None, window="hann", center=True):
    """The signal whose ``stft`` is ``x = (real, imag)``, ``(..., frames, fft_length // 2 + 1)`` each;
    ``length`` samples of it (default: all, less the centring padding)."""
    real, imag = (np.asarray(data_of(part)) for part in x)
    frames_count = real.shape[-2]
    pieces = np.fft.irfft(real + 1j * imag, n=fft_length)                       # (..., frames, fft_length)
    if window is not None:
        pieces = pieces * _inverse_window(_window(window, sequence_length, fft_length, np.float64), sequence_stride)
    total = fft_length + sequence_stride * (frames_count - 1)
    signal = np.zeros(real.shape[:-2] + (total,))
    for t in range(frames_count):                                                # overlap-add, frame by frame
        signal[..., t * sequence_stride:t * sequence_stride + fft_length] += pieces[..., t, :]
    start = fft_length // 2 if center else 0
    end = start + length if length is not None else (total - fft_length // 2 if center else total)
    return signal[..., start:end].astype(real.dtype)
