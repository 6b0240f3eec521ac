"""A real-arithmetic spectral form whose DFT tables are computed in the graph, for a symbolic ring size.

:class:`sciml.operators._spectral.DFT` builds its cosine and sine matrices with NumPy at trace
time, so the exported graph is fixed to one grid size. :class:`SymbolicDFT` computes the same
1-D truncated transforms from ``lax.iota`` inside the graph, so a model switched to it with
``sciml.operators.fno.with_form(model, SymbolicDFT())`` can be exported with a symbolic length
``K`` (``jax.export`` shape polymorphism, a dynamic ONNX dimension).

The phase ``2 pi k n / K`` is reduced modulo ``K`` first, as the fixed form does, but with a
float floor (``k n - K floor(k n / K)``) because jax2onnx 0.17 cannot lower an integer
remainder by a symbolic dimension; the integers involved are far below 2^24, so the float32
reduction is exact. One spatial axis only (the Lorenz 96 ring).
"""

from __future__ import annotations

from typing import ClassVar

import jax
import jax.numpy as jnp

from sciml.operators._spectral import AbstractForm

__all__ = ["SymbolicDFT"]

_HIGHEST = jax.lax.Precision.HIGHEST


class SymbolicDFT(AbstractForm):
    """Truncated real DFTs as matrix products with tables built in the graph; 1-D, any (symbolic) size."""

    name: ClassVar[str] = "dft_symbolic"

    def __call__(self, x, weight, modes):
        if len(modes) != 1:
            raise ValueError(f"SymbolicDFT handles one spatial axis, got modes {modes}; use the fixed-size 'dft' form")
        n = x.shape[1]  # an int, or a jax.export symbolic dimension
        m = modes[0]
        dtype = x.dtype
        k = jax.lax.broadcasted_iota(jnp.int32, (m, n), 0)
        j = jax.lax.broadcasted_iota(jnp.int32, (m, n), 1)
        kj = (k * j).astype(dtype)
        size = jnp.asarray(n, dtype)
        reduced = kj - size * jnp.floor(kj / size)
        phase = (2.0 * jnp.pi) * reduced / size
        cos, sin = jnp.cos(phase), jnp.sin(phase)  # (m, n)
        dot = lambda a, b: jnp.matmul(a, b, precision=_HIGHEST)  # noqa: E731
        # Forward (real input): V_k = sum_n x_n (cos - i sin).
        re = dot(x, cos.T)
        im = -dot(x, sin.T)
        wr, wi = weight[0].astype(dtype), weight[1].astype(dtype)
        mix = lambda a, b: jnp.einsum("ik,iok->ok", a, b, precision=_HIGHEST)  # noqa: E731
        re, im = mix(re, wr) - mix(im, wi), mix(re, wi) + mix(im, wr)
        # Inverse (irfft of the kept modes): weight 1 at k = 0 and k = n/2, 2 elsewhere, over n.
        kk = jnp.arange(m)
        weights = jnp.where((kk == 0) | (2 * kk == n), 1.0, 2.0).astype(dtype) / size
        return dot(re * weights, cos) - dot(im * weights, sin)
