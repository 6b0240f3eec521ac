"""Numerical checks of exported closures against the JAX coarse model they came from.

* :func:`export_parity`: the NumPy coarse model closed by the ONNX closure (onnxruntime) against
  ``chaos.lorenz96.simulate_coarse`` with the JAX closure, both float32, same RK4 scheme (the
  closure at every stage), from the same state: max |X_numpy - X_jax| over all steps.
* :func:`jax_export_parity`: the same with the deserialized ``jax.export`` artifact in place of
  the closure, inside ``simulate_coarse``.

Both models run in float32, so the two trajectories differ by rounding (a few ulp per step,
amplified by the chaotic dynamics): about 1e-6 to 1e-5 over 100 steps of dt = 0.005 MTU
for |X| ~ 10 (see the export metadata for the measured numbers).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .jax_export import load_jax_export
from .onnx_export import closure_to_onnx
from .simulator import OnnxClosure, simulate

__all__ = ["export_parity", "jax_export_parity", "reference_trajectory"]


def reference_trajectory(closure_model, x0, *, n_steps: int, dt: float, forcing: float) -> np.ndarray:
    """``simulate_coarse`` in float32 from ``x0 (K,)``: states at t = 0 .. n_steps*dt, shape (n_steps + 1, K)."""
    from chaos.lorenz96 import simulate_coarse

    x0 = jnp.asarray(np.asarray(x0, np.float32))
    return np.asarray(simulate_coarse(x0, closure_model, dt=dt, n_steps=n_steps, forcing=forcing))


def export_parity(closure_model, x0: Float[Array, " K"], n_steps: int = 100, dt: float = 0.005,
                  forcing: float = 10.0, *, onnx_model: bytes | None = None, reference: np.ndarray | None = None
                  ) -> float:
    """Max abs difference between the ONNX-closed NumPy model and the JAX coarse model over ``n_steps``.

    Args:
        closure_model: the JAX closure ``(K,) -> (K,)`` (float32 ``eqx.Module``).
        x0: initial state (K,), model units.
        dt: time step in model time units; forcing: F.
        onnx_model: serialized ONNX closure; None exports ``closure_model`` with K fixed to ``len(x0)``.
        reference: the JAX trajectory if already computed (:func:`reference_trajectory`).

    Returns:
        max over steps and k of |X_numpy - X_jax| (float32 runs, so a rounding-level number).
    """
    x0 = np.asarray(x0, np.float32)
    k = int(x0.shape[-1])
    if onnx_model is None:
        onnx_model, _ = closure_to_onnx(closure_model, k)
    ref = reference if reference is not None else reference_trajectory(closure_model, x0, n_steps=n_steps, dt=dt,
                                                                        forcing=forcing)
    got = simulate(x0, OnnxClosure(onnx_model, k=None, min_k=1), dt=dt, n_steps=n_steps, forcing=forcing)
    return float(np.max(np.abs(got - ref)))


def jax_export_parity(data: bytes, x0: Float[Array, " K"], reference: np.ndarray, *, dt: float, forcing: float
                      ) -> float:
    """Max abs difference between ``simulate_coarse`` closed by the deserialized artifact ``data`` and
    ``reference`` (the original closure's trajectory, (n_steps + 1, K))."""
    from chaos.lorenz96 import simulate_coarse

    call = load_jax_export(data)
    n_steps = int(reference.shape[0]) - 1
    x0 = jnp.asarray(np.asarray(x0, np.float32))
    got = np.asarray(simulate_coarse(x0, lambda x: call(x), dt=dt, n_steps=n_steps, forcing=forcing))
    return float(np.max(np.abs(got - reference)))
