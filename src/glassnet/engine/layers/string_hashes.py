"""The two string hashes TensorFlow (and so Keras's Hashing layer) buckets strings with.

* ``fingerprint64(data)``: FarmHash's ``Fingerprint64`` (farmhashna ``Hash64``), what
  ``tf.strings.to_hash_bucket_fast`` uses: ``bucket = fingerprint64(s) % num_buckets``.
* ``siphash24(key, data)``: SipHash-2-4 with a 128-bit key (two 64-bit words), what
  ``tf.strings.to_hash_bucket_strong`` uses when Keras's ``Hashing(salt=...)`` is set.

Both work on bytes (a str is hashed as its UTF-8 bytes) with 64-bit unsigned arithmetic,
written here as Python integers masked to 64 bits. They are plain translations of the C++
(farmhash.cc, Jean-Philippe Aumasson and Daniel J. Bernstein's SipHash reference), checked
against TensorFlow's own buckets in tests/test_hashing.py.
"""

import struct

MASK = (1 << 64) - 1
K0, K1, K2 = 0xc3a5c85c97cb3127, 0xb492b66fbe98f273, 0x9ae16a3b2f90404f


def _fetch64(data, i):
    return struct.unpack_from("<Q", data, i)[0]


def _fetch32(data, i):
    return struct.unpack_from("<I", data, i)[0]


def _rotate(value, shift):
    """Rotate a 64-bit word right by ``shift``."""
    return value if shift == 0 else ((value >> shift) | (value << (64 - shift))) & MASK


def _shift_mix(value):
    return value ^ (value >> 47)


def _hash_len16(u, v, mul):
    a = ((u ^ v) * mul) & MASK
    a ^= a >> 47
    b = ((v ^ a) * mul) & MASK
    b ^= b >> 47
    return (b * mul) & MASK


def _hash_len0to16(data, n):
    if n >= 8:
        mul = K2 + n * 2
        a = (_fetch64(data, 0) + K2) & MASK
        b = _fetch64(data, n - 8)
        c = (_rotate(b, 37) * mul + a) & MASK
        d = ((_rotate(a, 25) + b) * mul) & MASK
        return _hash_len16(c, d, mul)
    if n >= 4:
        mul = K2 + n * 2
        a = _fetch32(data, 0)
        return _hash_len16((n + (a << 3)) & MASK, _fetch32(data, n - 4), mul)
    if n > 0:
        y = data[0] + (data[n >> 1] << 8)
        z = n + (data[n - 1] << 2)
        return (_shift_mix(((y * K2) ^ (z * K0)) & MASK) * K2) & MASK
    return K2


def _hash_len17to32(data, n):
    mul = K2 + n * 2
    a = (_fetch64(data, 0) * K1) & MASK
    b = _fetch64(data, 8)
    c = (_fetch64(data, n - 8) * mul) & MASK
    d = (_fetch64(data, n - 16) * K2) & MASK
    return _hash_len16((_rotate((a + b) & MASK, 43) + _rotate(c, 30) + d) & MASK,
                       (a + _rotate((b + K2) & MASK, 18) + c) & MASK, mul)


def _hash_len33to64(data, n):
    mul = K2 + n * 2
    a = (_fetch64(data, 0) * K2) & MASK
    b = _fetch64(data, 8)
    c = (_fetch64(data, n - 8) * mul) & MASK
    d = (_fetch64(data, n - 16) * K2) & MASK
    y = (_rotate((a + b) & MASK, 43) + _rotate(c, 30) + d) & MASK
    z = _hash_len16(y, (a + _rotate((b + K2) & MASK, 18) + c) & MASK, mul)
    e = (_fetch64(data, 16) * mul) & MASK
    f = _fetch64(data, 24)
    g = ((y + _fetch64(data, n - 32)) * mul) & MASK
    h = ((z + _fetch64(data, n - 24)) * mul) & MASK
    return _hash_len16((_rotate((e + f) & MASK, 43) + _rotate(g, 30) + h) & MASK,
                       (e + _rotate((f + a) & MASK, 18) + g) & MASK, mul)


def _weak_hash_len32_with_seeds(data, i, a, b):
    w, x, y, z = (_fetch64(data, i + k) for k in (0, 8, 16, 24))
    a = (a + w) & MASK
    b = _rotate((b + a + z) & MASK, 21)
    c = a
    a = (a + x + y) & MASK
    b = (b + _rotate(a, 44)) & MASK
    return (a + z) & MASK, (b + c) & MASK


def fingerprint64(data):
    """FarmHash's Fingerprint64 of ``data`` (bytes, or a str as UTF-8): a 64-bit unsigned int."""
    data = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    n = len(data)
    if n <= 16:
        return _hash_len0to16(data, n)
    if n <= 32:
        return _hash_len17to32(data, n)
    if n <= 64:
        return _hash_len33to64(data, n)
    # Longer strings: 64 bytes at a time through a 56-byte state (v, w, x, y, z).
    seed = 81
    x, y = seed, (seed * K1 + 113) & MASK
    z = (_shift_mix((y * K2 + 113) & MASK) * K2) & MASK
    v, w = (0, 0), (0, 0)
    x = (x * K2 + _fetch64(data, 0)) & MASK
    end, last64 = ((n - 1) // 64) * 64, n - 64
    s = 0
    while True:
        x = (_rotate((x + y + v[0] + _fetch64(data, s + 8)) & MASK, 37) * K1) & MASK
        y = (_rotate((y + v[1] + _fetch64(data, s + 48)) & MASK, 42) * K1) & MASK
        x ^= w[1]
        y = (y + v[0] + _fetch64(data, s + 40)) & MASK
        z = (_rotate((z + w[0]) & MASK, 33) * K1) & MASK
        v = _weak_hash_len32_with_seeds(data, s, (v[1] * K1) & MASK, (x + w[0]) & MASK)
        w = _weak_hash_len32_with_seeds(data, s + 32, (z + w[1]) & MASK, (y + _fetch64(data, s + 16)) & MASK)
        z, x = x, z
        s += 64
        if s == end:
            break
    mul = K1 + ((z & 0xff) << 1)
    s = last64
    w = ((w[0] + ((n - 1) & 63)) & MASK, w[1])
    v = ((v[0] + w[0]) & MASK, v[1])
    w = ((w[0] + v[0]) & MASK, w[1])
    x = (_rotate((x + y + v[0] + _fetch64(data, s + 8)) & MASK, 37) * mul) & MASK
    y = (_rotate((y + v[1] + _fetch64(data, s + 48)) & MASK, 42) * mul) & MASK
    x ^= (w[1] * 9) & MASK
    y = (y + v[0] * 9 + _fetch64(data, s + 40)) & MASK
    z = (_rotate((z + w[0]) & MASK, 33) * mul) & MASK
    v = _weak_hash_len32_with_seeds(data, s, (v[1] * mul) & MASK, (x + w[0]) & MASK)
    w = _weak_hash_len32_with_seeds(data, s + 32, (z + w[1]) & MASK, (y + _fetch64(data, s + 16)) & MASK)
    z, x = x, z
    return _hash_len16((_hash_len16(v[0], w[0], mul) + _shift_mix(y) * K0 + z) & MASK,
                       (_hash_len16(v[1], w[1], mul) + x) & MASK, mul)


def _sip_round(v0, v1, v2, v3):
    v0 = (v0 + v1) & MASK
    v1 = _rotl(v1, 13) ^ v0
    v0 = _rotl(v0, 32)
    v2 = (v2 + v3) & MASK
    v3 = _rotl(v3, 16) ^ v2
    v0 = (v0 + v3) & MASK
    v3 = _rotl(v3, 21) ^ v0
    v2 = (v2 + v1) & MASK
    v1 = _rotl(v1, 17) ^ v2
    v2 = _rotl(v2, 32)
    return v0, v1, v2, v3


def _rotl(value, shift):
    return ((value << shift) | (value >> (64 - shift))) & MASK


def siphash24(key, data):
    """SipHash-2-4 of ``data`` (bytes, or a str as UTF-8) under ``key`` (two 64-bit words)."""
    data = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    k0, k1 = (int(k) & MASK for k in key)
    v0, v1 = k0 ^ 0x736f6d6570736575, k1 ^ 0x646f72616e646f6d
    v2, v3 = k0 ^ 0x6c7967656e657261, k1 ^ 0x7465646279746573
    n = len(data)
    tail = data[n - n % 8:] + bytes(7 - n % 8) + bytes([n & 0xff])
    for block in [data[i:i + 8] for i in range(0, n - n % 8, 8)] + [tail]:
        m = struct.unpack("<Q", block)[0]
        v3 ^= m
        v0, v1, v2, v3 = _sip_round(*_sip_round(v0, v1, v2, v3))
        v0 ^= m
    v2 ^= 0xff
    for _ in range(4):
        v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
    return v0 ^ v1 ^ v2 ^ v3
