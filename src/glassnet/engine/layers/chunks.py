"""Work through a batch in small chunks, on every core that BLAS may use.

Two things make the image layers fast beyond their matrix multiplies:

* **Chunks that fit in the cache.** A convolution goes through several steps (copy the
  patches, multiply, add the bias, ReLU). Done on the whole batch, every step reads and
  writes tens of megabytes from main memory. Done on 8 or 16 images at a time, each step
  finds its input still in the processor's cache, where it is several times faster.
* **Both cores for the NumPy work.** BLAS spreads a matrix multiply over all cores, but
  ``np.maximum`` and friends run on one. NumPy lets go of Python's global lock while it
  works, so two Python threads can each take half the batch; BLAS is kept to one thread
  inside them, so the two don't fight over the cores.

The layers ask :func:`run` to call ``work(worker, lo, hi)`` for consecutive chunks
``[lo, hi)`` of the batch. ``worker`` (0, 1, ...) tells each thread which scratch arrays
are its own. Which thread gets which chunk varies, so sums over the batch (a weight's
gradient) are kept per chunk and added up in chunk order: the result is the same, to the
last bit, on any number of threads. As many threads are used as BLAS itself may use (``OPENBLAS_NUM_THREADS``,
``threadpoolctl.threadpool_limits``), so limiting BLAS to one thread makes everything run
in the calling thread, in chunk order.

After a matrix multiply on several threads, OpenBLAS keeps its helper threads spinning
for a while, waiting for the next one; they then compete with the chunks' threads for the
cores. A caller that runs many layers in a row (a training step) can avoid that with
:func:`hold_blas`: BLAS stays at one thread throughout, and the layers still use as many
threads as BLAS had before. A layer whose work is one large matrix multiply (Dense) splits
it by rows the same way, with :func:`matmul`.

One more thing is done once per thread: :func:`warm_blas`, a single large multiply before
the first small ones (its docstring says why).
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numpy as np

_pool, _pool_size = None, 0   # the helper threads, made on first use
_controller = None            # threadpoolctl's handle on the BLAS library, made on first use
_held = None                  # inside hold_blas(): the threads BLAS had before
_warm_threads = set()         # the threads that have run warm_blas()


def _blas():
    """threadpoolctl's controller for the BLAS that NumPy uses (None if it can't be found)."""
    global _controller
    if _controller is None:
        try:
            from threadpoolctl import ThreadpoolController
            _controller = ThreadpoolController().select(user_api="blas")
        except Exception:   # no threadpoolctl, or it failed: work in one thread
            _controller = False
    return _controller or None


def threads():
    """How many threads BLAS may use right now (or had, inside :func:`hold_blas`): the
    layers use as many."""
    if _held is not None:
        return _held
    blas = _blas()
    if blas is None or not blas.lib_controllers:
        return 1
    return max(1, max(lib.num_threads for lib in blas.lib_controllers))


# The multiply warm_blas() does: as large as this, it fills OpenBLAS's whole packing buffer.
WARM_SIZE = 512


def warm_blas():
    """Run one 512 x 512 multiply, the first time the calling thread gets here.

    OpenBLAS copies ("packs") the blocks of the two matrices into a work buffer of its own
    before it multiplies them. That buffer is fresh memory, and a small product (a batch of
    32 through ``Dense(128)``) only ever writes its first part. On some machines (seen on a
    2-core virtual machine) every small product then ran at half speed, for as long as the
    process lived: 32 x 784 times 784 x 128 took 340 us instead of 175, until any one
    multiply large enough to fill the buffer had run. We believe the kernel's look-ahead
    reads into the never-written pages cost a page-table walk each. Whatever the cause,
    one 512 x 512 product per thread (a few milliseconds, once) removes it, and on a
    machine without the problem it costs only those milliseconds. The classic MLP's
    training step went from 1.30 to 1.15 ms (docs/im2col.md, section 8).
    """
    me = threading.get_ident()
    if me in _warm_threads:
        return
    _warm_threads.add(me)
    square = np.ones((WARM_SIZE, WARM_SIZE), np.float32)
    square @ square


@contextmanager
def hold_blas():
    """Hold BLAS at one thread inside the ``with`` block; :func:`run` keeps splitting batches
    over the threads BLAS had before."""
    global _held
    count, blas = threads(), _blas()
    if blas is None or _held is not None:
        warm_blas()
        yield
        return
    with blas.limit(limits=1):
        warm_blas()                 # at one thread, as the layers' small products will run
        _held = count
        try:
            yield
        finally:
            _held = None


def run(n, chunk, work):
    """Call ``work(worker, lo, hi)`` for consecutive chunks ``[lo, hi)`` of ``range(n)``, at
    most ``chunk`` long.

    The batch is split into an even number of chunks of nearly equal size: 128
    images at 20 a chunk make 8 chunks of 16, not 6 of 20 and one of 8, so that two
    threads get the same work and finish together.

    The chunks are the same however many threads run them, so a backward pass finds the
    chunks its forward pass made (by ``lo``). With several threads, each takes the next
    chunk nobody has taken yet, so a thread slowed down by another program on its core
    simply does fewer chunks. The calling thread is worker 0. Returns how many workers ran.
    """
    if n == 0:                         # an empty batch: nothing to do (its outputs are empty)
        return 1
    count = -(-n // chunk)
    if count > 1 and count % 2:
        count += 1                     # an even number of equal chunks: two threads finish together
    chunk = -(-n // count)
    count = -(-n // chunk)
    workers = min(threads(), count)
    if workers <= 1:
        for k in range(count):
            work(0, k * chunk, min((k + 1) * chunk, n))
        return 1
    global _pool, _pool_size
    if _pool_size < workers - 1:
        _pool = ThreadPoolExecutor(max_workers=workers - 1, thread_name_prefix="glassnet")
        _pool_size = workers - 1
    queue = iter(range(count))     # next() on it is atomic: each chunk goes to one worker

    def take_chunks(worker):
        warm_blas()
        for k in queue:
            work(worker, k * chunk, min((k + 1) * chunk, n))

    with hold_blas():
        futures = [_pool.submit(take_chunks, worker) for worker in range(1, workers)]
        try:
            take_chunks(0)
        finally:
            for future in futures:
                future.result()    # waits, and raises here what a worker raised
    return workers


# A matrix multiply smaller than this many multiply-adds is done in one piece: handing half
# of it to another thread costs more (some 30 us) than it saves.
SPLIT_WORK = 1 << 23


def matmul(a, b, out=None):
    """``a @ b`` for 2-D ``a`` (M, K) and ``b`` (K, N), the rows of ``a`` (and of the result)
    split between the threads, each row block one multiply of its own.

    Inside ``fit`` and ``predict`` BLAS is held at one thread (:func:`hold_blas`), so a plain
    ``a @ b`` would leave the second core idle: this is how a Dense layer still uses both.
    BLAS may round a row a little differently in a block of another height, so the split is
    the same on any number of threads (one thread does both halves): the numbers don't
    depend on how many cores there are.
    """
    if out is None:
        out = np.empty((a.shape[0], b.shape[1]), np.result_type(a, b))
    rows = len(a)
    if rows < 2 or rows * a.shape[1] * b.shape[1] < SPLIT_WORK:
        return np.matmul(a, b, out=out)
    run(rows, -(-rows // 2), lambda worker, lo, hi: np.matmul(a[lo:hi], b, out=out[lo:hi]))
    return out
