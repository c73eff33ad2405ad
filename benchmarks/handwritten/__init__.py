"""Hand-written plain-PyTorch training loops of the four setups' presets, the yardstick of ganframe's speed.

One module per setup (``gaussian``, ``even``, ``gaussian2d``, ``mnist``), each with a ``Loop`` class
for its ``default`` and ``tutorial`` presets: the same networks, initialisation, optimisers,
hyper-parameters, loss, update order, batch size and data sampling as ganframe's preset, written
the way a competent PyTorch user writes a loop (one thread, ``zero_grad(set_to_none=True)``, fake
batches for D under ``torch.no_grad()``, no ``.item()`` per round). None of them imports ganframe:
the hyper-parameters are copied by hand, and ``benchmarks/equivalence.py`` proves that they train
exactly as ganframe does (same losses and weights, bit for bit, after the same rounds).

Every module's ``Loop(preset, seed, total_steps)`` draws its random numbers the way ganframe does
for that seed (the same derived stream seeds, see :func:`_common.stream_seed`), so the same seed
gives the same initial weights and the same batches without asking ganframe for anything; only
MNIST's images are read from a tensor that the caller passes in.
"""

SETUPS = ("gaussian", "even", "gaussian2d", "mnist")
