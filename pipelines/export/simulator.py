"""The coarse Lorenz 96 model in plain NumPy, closed by an exported ONNX closure run with onnxruntime.

This is the deployment side of an export: it imports no JAX. It steps

    dX_k/dt = X_{k-1} (X_{k+1} - X_{k-2}) - X_k + F + closure(X)_k

with classical RK4, the closure evaluated at each of the four stages, in the same order of
operations as ``chaos.lorenz96.coarse_step`` (float32 throughout, as the JAX model with a
float32 state). All quantities are nondimensional; time in model time units (MTU).

>>> closure = load_onnx_closure("runs/export/mno", k=72)
>>> xs = simulate(x0, closure, dt=0.005, n_steps=100, forcing=10.0)   # (101, 72)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from .metadata import ExportError, artifact_for, read_metadata, sha256_file

__all__ = ["OnnxClosure", "load_onnx_closure", "one_level_tendency", "rk4_step", "simulate"]

Closure = Callable[[np.ndarray], np.ndarray]


def one_level_tendency(x: np.ndarray, forcing) -> np.ndarray:
    """X_{k-1}(X_{k+1} - X_{k-2}) - X_k + F on the periodic ring (last axis); shape (..., K) -> (..., K)."""
    advection = np.roll(x, 1, axis=-1) * (np.roll(x, -1, axis=-1) - np.roll(x, 2, axis=-1))
    return advection - x + forcing


def rk4_step(x: np.ndarray, dt, forcing, closure: Closure | None = None) -> np.ndarray:
    """One RK4 step (K,) -> (K,) of the coarse model; ``closure`` (K,) -> (K,) at every stage, None for none.

    ``dt`` and ``forcing`` should already have ``x``'s dtype (see :func:`simulate`).
    """
    def tendency(s):
        out = one_level_tendency(s, forcing)
        return out if closure is None else out + np.asarray(closure(s), dtype=s.dtype)

    half = dt / 2
    k1 = tendency(x)
    k2 = tendency(x + half * k1)
    k3 = tendency(x + half * k2)
    k4 = tendency(x + dt * k3)
    return x + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


def simulate(x0: np.ndarray, closure: Closure | None, *, dt: float, n_steps: int, forcing: float,
             dtype=np.float32) -> np.ndarray:
    """Integrate from ``x0`` (K,); returns the states at t = 0, dt, ..., n_steps*dt, shape (n_steps + 1, K).

    Raises:
        ValueError: bad shape, step count or time step (one line), or a non-finite state (naming the step).
    """
    x = np.asarray(x0, dtype=dtype)
    if x.ndim != 1 or x.shape[0] < 4:
        raise ValueError(f"x0 must have shape (K,) with K >= 4, got {x.shape}")
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 0:
        raise ValueError(f"n_steps must be an int >= 0, got {n_steps!r}")
    if not (np.isfinite(dt) and dt > 0):
        raise ValueError(f"dt must be a finite number > 0, got {dt!r}")
    dt_, forcing_ = np.asarray(dt, dtype), np.asarray(forcing, dtype)
    out = np.empty((n_steps + 1, x.shape[0]), dtype)
    out[0] = x
    for i in range(n_steps):
        x = rk4_step(x, dt_, forcing_, closure)
        if not np.all(np.isfinite(x)):
            raise FloatingPointError(f"the coarse model diverged at step {i + 1} (t = {(i + 1) * dt:g} MTU)")
        out[i + 1] = x
    return out


class OnnxClosure:
    """An ONNX closure ``X (K,) -> (K,)`` (float32) run with onnxruntime on the CPU.

    Args:
        model: the ONNX model's bytes, or a path to a ``.onnx`` file.
        k: the ring size the graph is fixed to, or None for a symbolic K.
        min_k: the smallest K a symbolic graph accepts.
        name: used in error messages.
    """

    def __init__(self, model: bytes | str | Path, *, k: int | None = None, min_k: int = 4, name: str = "closure"):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # one small state per call: threads only add overhead
        options.log_severity_level = 3
        source = model if isinstance(model, bytes) else str(model)
        self._session = ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name
        self.k, self.min_k, self.name = k, min_k, name

    def check_size(self, k: int) -> None:
        """Raise :class:`ExportError` if this graph cannot run a ring of ``k`` points."""
        if self.k is not None and k != self.k:
            raise ExportError(f"ONNX closure {self.name!r} is fixed to K={self.k}, asked to run at K={k}")
        if self.k is None and k < self.min_k:
            raise ExportError(f"ONNX closure {self.name!r} runs at K >= {self.min_k}, asked to run at K={k}")

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float32)
        if x.ndim != 1:
            raise ValueError(f"ONNX closure {self.name!r} takes one state of shape (K,), got {x.shape}")
        self.check_size(x.shape[0])
        out = self._session.run(None, {self._input: x})[0]
        if out.shape != x.shape:
            raise ExportError(f"ONNX closure {self.name!r} returned shape {out.shape} for a state of shape {x.shape}")
        return out


def load_onnx_closure(directory: str | Path, k: int) -> OnnxClosure:
    """The ONNX closure exported in ``directory`` that runs at ring size ``k``.

    Raises:
        ExportError: no artifact handles ``k`` (naming ``k`` and the supported sizes), or the
            ``.onnx`` file is not the one ``metadata.json`` describes (another export's file).
    """
    directory = Path(directory)
    meta = read_metadata(directory)
    art = artifact_for(meta, k)
    path = directory / art["onnx"]
    if not path.is_file():
        raise ExportError(f"{path} is missing; re-export with `make export`")
    if sha256_file(path) != art["onnx_sha256"]:
        raise ExportError(f"{path} does not match {directory / 'metadata.json'} (SHA-256 differs): it comes from "
                          "another export; re-export with `make export`")
    fixed = None if art["K"] == "K" else int(art["K"])
    return OnnxClosure(path, k=fixed, min_k=int(meta["min_k"]), name=str(meta["closure"]))
