"""Closures as ``jax.export`` serialized artifacts: StableHLO plus calling convention, reloadable without the code.

For a fixed K the closure is exported as trained (FFT spectral form); for a symbolic K its
spectral layers use :class:`~pipelines.export.spectral.SymbolicDFT` (XLA's FFT needs static sizes).

>>> data = closure_to_jax_export(closure, k=None, min_k=15)    # bytes for closure.jaxexport
>>> fn = load_jax_export(data)                                 # fn(x (K,)) -> (K,), jit/vmap-able
"""

from __future__ import annotations

from collections.abc import Callable

import jax
from jax import export

from .onnx_export import export_form, input_spec

__all__ = ["PLATFORMS", "closure_to_jax_export", "load_jax_export"]

PLATFORMS = ("cpu", "cuda")


def closure_to_jax_export(closure, k: int | None, *, min_k: int = 4) -> bytes:
    """``jax.export``'s serialized artifact of ``closure`` for CPU and CUDA, K symbolic (None) or fixed."""
    model = closure if k is not None else export_form(closure, None)
    exported = export.export(jax.jit(lambda x: model(x)), platforms=PLATFORMS)(input_spec(k, min_k))
    return bytes(exported.serialize())


def load_jax_export(data: bytes) -> Callable:
    """The callable of a serialized artifact (``Exported.call``): ``x (K,) float32 -> (K,)``."""
    return export.deserialize(bytearray(data)).call
