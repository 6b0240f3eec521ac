"""Export of trained closures for use outside JAX: ONNX (jax2onnx) and ``jax.export`` artifacts, metadata, checks.

Importing this package imports no JAX: the deployment side (:mod:`.simulator`, the plain NumPy
coarse Lorenz 96 model with an ONNX closure run by onnxruntime, and :mod:`.metadata`) is loaded
eagerly; the export side (:mod:`.bundle`, :mod:`.onnx_export`, :mod:`.jax_export`,
:mod:`.parity`, :mod:`.spectral`) imports JAX and is loaded on first use of its names.

>>> from pipelines.export import export_closure, ExportOptions      # JAX side
>>> meta = export_closure(model, closure_meta, "runs/export/mno", name="mno", options=ExportOptions())
>>> from pipelines.export import load_onnx_closure, simulate         # NumPy side, no JAX
>>> xs = simulate(x0, load_onnx_closure("runs/export/mno", k=72), dt=0.005, n_steps=100, forcing=10.0)
"""

from __future__ import annotations

import importlib

from .metadata import ExportError, artifact_for, read_metadata, supported_description
from .simulator import OnnxClosure, load_onnx_closure, one_level_tendency, rk4_step, simulate

_LAZY = {
    "ExportOptions": "bundle", "export_closure": "bundle", "initial_state": "bundle",
    "export_parity": "parity", "jax_export_parity": "parity", "reference_trajectory": "parity",
    "closure_to_onnx": "onnx_export", "closure_to_jax_export": "jax_export", "load_jax_export": "jax_export",
    "SymbolicDFT": "spectral",
}

__all__ = ["ExportError", "OnnxClosure", "artifact_for", "load_onnx_closure", "one_level_tendency", "read_metadata",
           "rk4_step", "simulate", "supported_description", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
