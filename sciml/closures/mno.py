"""The multiscale neural operator closure (Lütjens et al., 2022): a Fourier neural operator over the ``K`` ring.

``U = FNO(X)`` with one input and one output channel on the periodic ring: no padding (the ring is periodic) and
no grid channel (so it commutes with rotations of the ring and does not depend on where the ring starts). The
spectral layers keep the lowest ``modes`` Fourier modes of whatever ``K`` they are given, so one closure trained
at ``K = 36`` is applied at any ``K`` whose ring has room for those modes (``K >= 2 (modes - 1)``). Inputs and
outputs are standardised inside. :func:`sciml.operators.fno.with_form` switches it to the real-DFT form for
export.

>>> closure = MNOClosure.from_data(x_train, y_train, modes=8, width=32, key=key)
>>> closure(x)                                              # (K,) -> (K,), any supported K
"""

from __future__ import annotations

from typing import Any, ClassVar

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from sciml.operators.fno import FNO

from ._base import AbstractClosure, Affine

__all__ = ["MNOClosure"]


class MNOClosure(AbstractClosure):
    """``U = decode(FNO(encode(X)))`` on the periodic ring.

    Attributes:
        fno: ``sciml.operators.fno.FNO(1, 1, (modes,), width, n_layers, padding=0, append_grid=False)``.
        x_norm, y_norm: standardisations of ``X`` and of the target (fitted on training data, not trained).
    """

    fno: FNO
    x_norm: Affine
    y_norm: Affine
    fitted_by: ClassVar[str] = "gradient"

    def __init__(self, modes: int = 8, width: int = 32, n_layers: int = 4, *, projection_hidden: int = 64,
                 activation: str = "gelu", form: str = "fft", x_norm: Affine | None = None,
                 y_norm: Affine | None = None, dtype=jnp.float32, key: PRNGKeyArray):
        if isinstance(modes, bool) or not isinstance(modes, int) or modes < 1:
            raise ValueError(f"MNOClosure modes must be an integer >= 1, got {modes!r}")
        self.fno = FNO(1, 1, (modes,), width, n_layers, padding=0, append_grid=False,
                       projection_hidden=projection_hidden, activation=activation, form=form, dtype=dtype, key=key)
        self.x_norm = Affine(dtype=dtype) if x_norm is None else x_norm
        self.y_norm = Affine(dtype=dtype) if y_norm is None else y_norm

    def __call__(self, x: Float[Array, " K"]) -> Float[Array, " K"]:
        self._check_input(x)
        dtype = self.fno.lift.weight.dtype
        z = self.x_norm.encode(x.astype(dtype))[None]
        return self.y_norm.decode(self.fno(z)[0]).astype(x.dtype)

    def min_size(self) -> int:
        return max(1, 2 * (self.fno.modes[0] - 1))

    def _size_reason(self) -> str:
        return f"the {self.fno.modes[0]} kept Fourier modes need K // 2 + 1 >= {self.fno.modes[0]}"

    def hyperparameters(self) -> dict[str, Any]:
        hp = self.fno.hyperparameters()
        return {"modes": hp["modes"][0], "width": hp["width"], "n_layers": hp["n_layers"],
                "projection_hidden": hp["projection_hidden"], "activation": hp["activation"], "form": hp["form"],
                "dtype": hp["dtype"]}

    @classmethod
    def from_data(cls, x: Float[Array, "n K"], y: Float[Array, "n K"], *, key: PRNGKeyArray, **hyperparameters
                  ) -> MNOClosure:
        """An untrained MNO with the standardisations of ``x`` and ``y`` fitted (train it with ``train_closure``)."""
        dtype = hyperparameters.get("dtype", jnp.float32)
        return cls(**hyperparameters, x_norm=Affine.fit(x, dtype=dtype), y_norm=Affine.fit(y, dtype=dtype), key=key)
