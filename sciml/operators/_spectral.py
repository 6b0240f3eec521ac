"""The spectral convolution of a Fourier neural operator, in two evaluation forms.

A :class:`SpectralConv` maps ``v (in_ch, *spatial)`` to ``(out_ch, *spatial)`` by

    v  --truncated real DFT-->  V_k   (kept modes k only)
    W_k V_k                            (a complex in_ch x out_ch matrix per kept mode)
       --inverse real DFT-->    (out_ch, *spatial), sampled at the input's size.

Kept modes: on every axis but the last, the ``m`` lowest frequencies of both signs
(``0 .. m-1`` and ``-m .. -1``); on the last axis, the ``m`` lowest non-negative ones (the
half spectrum of a real signal). The forward transform is unnormalised and the inverse
carries ``1/N``, so a band-limited function sampled at any resolution maps to the same
function: the layer is resolution independent.

Two forms compute the same thing (to float tolerance), chosen by an option object:

* :class:`FFT`: ``rfftn``, multiply the kept modes, ``irfftn`` to the input's size.
* :class:`DFT`: real arithmetic only. The truncated forward and inverse transforms are real
  matrix products with cosine and sine matrices built for the input's size at trace time;
  complex numbers are carried as (real, imaginary) pairs. No complex dtype appears in the
  traced graph, so the model can be exported (e.g. to ONNX, which has no complex FFT).

``irfft`` drops the imaginary part of the zero mode and, for an even size, of the Nyquist
mode. The real form does the same by construction: its inverse on the last axis is
``x_n = (1/N) sum_k c_k (Re Y_k cos(2 pi k n / N) - Im Y_k sin(2 pi k n / N))`` with
``c_k = 1`` for ``k = 0`` and ``k = N/2`` and ``2`` otherwise, and ``sin`` vanishes at those
two modes.
"""

from __future__ import annotations

import abc
from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, PRNGKeyArray

__all__ = ["DFT", "FFT", "FORMS", "AbstractForm", "FrozenDFT", "SpectralConv", "as_form", "kept_shape",
           "stacked_weight"]

_HIGHEST = jax.lax.Precision.HIGHEST


def kept_shape(modes: tuple[int, ...]) -> tuple[int, ...]:
    """Shape of the kept-mode block: ``2 m`` on every axis but the last (both signs), ``m`` on the last."""
    return tuple(2 * m for m in modes[:-1]) + (modes[-1],)


def _check_sizes(sizes: tuple[int, ...], modes: tuple[int, ...]) -> None:
    """Trace-time check that ``modes`` fit a grid of ``sizes`` points (a clear error, not a silent alias)."""
    if len(sizes) != len(modes):
        raise ValueError(f"input has {len(sizes)} spatial dims {sizes} but the layer has {len(modes)} modes {modes}")
    for axis, (n, m) in enumerate(zip(sizes, modes, strict=True)):
        last = axis == len(sizes) - 1
        limit = n // 2 + 1 if last else n // 2
        if m > limit:
            rule = "n // 2 + 1 on the last axis" if last else "n // 2 on all but the last axis"
            raise ValueError(
                f"modes {modes} do not fit spatial size {sizes}: axis {axis} keeps {m} modes "
                f"but {n} points allow at most {limit} ({rule})"
            )


def _signed_frequencies(m: int) -> np.ndarray:
    """Kept frequencies on a non-last axis, in FFT index order: ``0 .. m-1, -m .. -1``."""
    return np.concatenate([np.arange(m), np.arange(-m, 0)])


def _cos_sin(freqs: np.ndarray, n: int, dtype) -> tuple[Array, Array]:
    """``cos`` and ``sin`` of ``2 pi f x / n`` for ``f`` in ``freqs`` and ``x = 0 .. n-1``, shape (len(freqs), n).

    The phase is reduced modulo ``n`` in integers first, so large ``f x`` lose no accuracy.
    """
    phase = 2.0 * np.pi * (np.outer(freqs, np.arange(n)) % n) / n
    return jnp.asarray(np.cos(phase), dtype), jnp.asarray(np.sin(phase), dtype)


def _along(matrix: Array, x: Array, axis: int) -> Array:
    """Apply ``matrix (p, q)`` along ``axis`` of ``x`` (whose length there is ``q``); the axis becomes length ``p``."""
    return jnp.moveaxis(jnp.tensordot(x, matrix, axes=([axis], [1]), precision=_HIGHEST), -1, axis)


def _modes_first(weight: Array) -> Array:
    """``weight (i, o, *kept)`` as ``(K, i, o)``, the kept modes flattened (C order) to the front."""
    return jnp.moveaxis(weight.reshape(weight.shape[0], weight.shape[1], -1), -1, 0)


def _mix_modes(x: Array, weight: Array) -> Array:
    """Per-mode channel mixing ``out[o, k] = sum_i x[i, k] weight[k, i, o]`` for ``x (i, *kept)``
    and ``weight (K, i, o)`` (:func:`_modes_first`; real or complex), as one matmul batched over
    the modes.

    With the modes leading in the weight and in the result (transposed after), XLA sees a batched
    matmul whose batch axis leads, also under ``vmap`` (which adds a leading sample axis to
    ``x``); the plain ``einsum("i...,io...->o...")`` runs about twice slower on the CPU, and an
    ``"ik,kio->ok"`` product slower still.
    """
    i, o, kept = weight.shape[1], weight.shape[2], x.shape[1:]
    return jnp.einsum("ik,kio->ko", x.reshape(i, -1), weight, precision=_HIGHEST).T.reshape(o, *kept)


class AbstractForm(eqx.Module):
    """How a :class:`SpectralConv` evaluates its transform; an option object with no parameters."""

    name: ClassVar[str]

    @abc.abstractmethod
    def __call__(
        self, x: Float[Array, "cin *spatial"], weight: Float[Array, "2 cin cout *kept"], modes: tuple[int, ...]
    ) -> Float[Array, "cout *spatial"]:
        """Apply the spectral convolution with ``weight`` (real and imaginary parts) to ``x``."""


class FFT(AbstractForm):
    """``rfftn`` / ``irfftn``: O(N log N), complex intermediates (the default for training)."""

    name: ClassVar[str] = "fft"

    def __call__(self, x, weight, modes):
        d = len(modes)
        axes = tuple(range(1, d + 1))
        sizes = x.shape[1:]
        spectrum = jnp.fft.rfftn(x, axes=axes)
        kept = spectrum
        for axis, m in zip(axes[:-1], modes[:-1], strict=True):  # both signs on all but the last axis
            kept = jnp.concatenate([jax.lax.slice_in_dim(kept, 0, m, axis=axis),
                                    jax.lax.slice_in_dim(kept, kept.shape[axis] - m, kept.shape[axis], axis=axis)],
                                   axis=axis)
        kept = jax.lax.slice_in_dim(kept, 0, modes[-1], axis=d)
        w = jax.lax.complex(weight[0], weight[1]).astype(kept.dtype)
        out = _mix_modes(kept, _modes_first(w))
        # Scatter back into a zero half spectrum of the input's size.
        for axis, m, n in zip(axes[:-1], modes[:-1], sizes[:-1], strict=True):
            zeros_shape = list(out.shape)
            zeros_shape[axis] = n - 2 * m
            out = jnp.concatenate([jax.lax.slice_in_dim(out, 0, m, axis=axis), jnp.zeros(zeros_shape, out.dtype),
                                   jax.lax.slice_in_dim(out, m, 2 * m, axis=axis)], axis=axis)
        pad = [(0, 0)] * d + [(0, sizes[-1] // 2 + 1 - modes[-1])]
        out = jnp.pad(out, pad)
        return jnp.fft.irfftn(out, s=sizes, axes=axes).astype(x.dtype)


def stacked_weight(weight: Float[Array, "2 cin cout *kept"]) -> Float[Array, "K 2cin 2cout"]:
    """The per-mode complex weights as real ``2 cin x 2 cout`` blocks ``[[wr, wi], [-wi, wr]]``, modes
    flattened (in the kept block's C order) to the front: ``[re, im] @ block = [re', im']``."""
    wr, wi = weight[0], weight[1]
    return _modes_first(jnp.concatenate([jnp.concatenate([wr, wi], axis=1), jnp.concatenate([-wi, wr], axis=1)],
                                        axis=0))


def _dft(x: Array, stacked: Array, modes: tuple[int, ...]) -> Array:
    """The spectral convolution in real arithmetic, with the mixing blocks of :func:`stacked_weight`."""
    d = len(modes)
    sizes = x.shape[1:]
    dtype = x.dtype
    last = d  # axis index of the last spatial axis in (channels, *spatial)
    n_last, m_last = sizes[-1], modes[-1]
    c_last, s_last = _cos_sin(np.arange(m_last), n_last, dtype)
    # Forward, last axis (real input), one product: V = sum_n x_n (cos - i sin) -> [Re | Im] along the axis.
    spectrum = _along(jnp.concatenate([c_last, -s_last]), x, last)
    re, im = spectrum[..., :m_last], spectrum[..., m_last:]
    # Forward, other axes (complex input): (re + i im)(cos - i sin).
    tables = []
    for axis in range(1, d):
        c, s = _cos_sin(_signed_frequencies(modes[axis - 1]), sizes[axis - 1], dtype)
        tables.append((axis, c, s))
        re, im = _along(c, re, axis) + _along(s, im, axis), _along(c, im, axis) - _along(s, re, axis)
    # Per-mode complex channel mixing as one real product: [re, im] [[wr, wi], [-wi, wr]].
    mixed = _mix_modes(jnp.concatenate([re, im], axis=0), stacked.astype(dtype))
    n_out = stacked.shape[-1] // 2
    re, im = mixed[:n_out], mixed[n_out:]
    # Inverse, other axes (complex): (1/n)(re + i im)(cos + i sin), the kept modes only.
    for axis, c, s in tables:
        n = sizes[axis - 1]
        re, im = (
            (_along(c.T, re, axis) - _along(s.T, im, axis)) / n,
            (_along(c.T, im, axis) + _along(s.T, re, axis)) / n,
        )
    # Inverse, last axis (irfft), one product on [Re | Im]: weight 1 at k = 0 and k = n/2 (even n),
    # 2 elsewhere; sin is 0 at both.
    k = np.arange(m_last)
    weights = jnp.asarray(np.where((k == 0) | (2 * k == n_last), 1.0, 2.0) / n_last, dtype)[:, None]
    inverse = jnp.concatenate([c_last * weights, -s_last * weights]).T  # (n, 2 m)
    return _along(inverse, jnp.concatenate([re, im], axis=last), last)


class DFT(AbstractForm):
    """Truncated DFTs as real matrix products: O(N m) per axis, real arithmetic only (exportable)."""

    name: ClassVar[str] = "dft"

    def __call__(self, x, weight, modes):
        return _dft(x, stacked_weight(weight), modes)


class FrozenDFT(AbstractForm):
    """The :class:`DFT` form with the mixing blocks built once (:func:`freeze_for_inference`), not at
    every call from the layer's ``weight``, which it ignores: for inference only (no gradient
    reaches ``weight``, and an FNO holding it refuses to give ``hyperparameters()``, so it cannot
    be checkpointed)."""

    name: ClassVar[str] = "dft_frozen"
    stacked: Float[Array, "K 2cin 2cout"]

    def __call__(self, x, weight, modes):
        return _dft(x, self.stacked, modes)


FORMS: dict[str, type[AbstractForm]] = {"fft": FFT, "dft": DFT}


def as_form(form: str | AbstractForm) -> AbstractForm:
    """``form`` as an option object: an :class:`AbstractForm`, or one of the names in :data:`FORMS`."""
    if isinstance(form, AbstractForm):
        return form
    if isinstance(form, str) and form in FORMS:
        return FORMS[form]()
    raise ValueError(f"unknown spectral form {form!r} (known: {', '.join(FORMS)})")


class SpectralConv(eqx.Module):
    """Fourier layer ``(in_ch, *spatial) -> (out_ch, *spatial)`` for 1, 2 or 3 spatial dims.

    Attributes:
        weight: complex per-mode weights as (real, imaginary) pairs, shape
            ``(2, in_ch, out_ch, *kept_shape(modes))``; the non-last axes hold
            frequencies ``0 .. m-1`` then ``-m .. -1``.
        form: how the transform is evaluated, :class:`FFT` or :class:`DFT`.
        modes: kept modes per spatial axis (static).
    """

    weight: Float[Array, "2 cin cout *kept"]
    form: AbstractForm
    in_channels: int = eqx.field(static=True)
    out_channels: int = eqx.field(static=True)
    modes: tuple[int, ...] = eqx.field(static=True)

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        modes: tuple[int, ...],
        *,
        form: str | AbstractForm = "fft",
        dtype=jnp.float32,
        key: PRNGKeyArray,
    ):
        """Weights uniform in ``[0, 1/(in_ch out_ch))`` for both parts, as in the original FNO.

        Args:
            modes: one positive count per spatial axis (1 to 3 axes).
            form: ``"fft"``, ``"dft"`` or an :class:`AbstractForm`.
        """
        modes = tuple(int(m) for m in modes)
        if not 1 <= len(modes) <= 3 or any(m < 1 for m in modes):
            raise ValueError(f"modes must be 1 to 3 positive integers, got {modes}")
        if in_channels < 1 or out_channels < 1:
            raise ValueError(f"channel counts must be positive, got in={in_channels}, out={out_channels}")
        scale = 1.0 / (in_channels * out_channels)
        shape = (2, in_channels, out_channels, *kept_shape(modes))
        self.weight = scale * jax.random.uniform(key, shape, dtype)
        self.form = as_form(form)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.modes = modes

    def __call__(self, x: Float[Array, "cin *spatial"]) -> Float[Array, "cout *spatial"]:
        """One sample, channels first; the output has the input's spatial size."""
        if x.ndim != len(self.modes) + 1 or x.shape[0] != self.in_channels:
            raise ValueError(
                f"SpectralConv expects (in_channels={self.in_channels}, {len(self.modes)} spatial dims), "
                f"got shape {x.shape}"
            )
        _check_sizes(x.shape[1:], self.modes)
        return self.form(x, self.weight, self.modes)
