"""The Fourier neural operator (Li et al., 2021) for 1, 2 and 3 spatial dimensions, as one class.

    a (in_ch, *spatial)
      -> append grid coordinates in [0, 1]            (in_ch + d channels)
      -> lift: pointwise linear to ``width``
      -> zero-pad the end of every axis                (non-periodic domains)
      -> n_layers x [ SpectralConv + pointwise linear, GELU (not after the last) ]
      -> crop the padding
      -> project: pointwise linear to ``projection_hidden``, GELU, pointwise linear to out_ch
      -> u (out_ch, *spatial)

The grid is generated for the input's size, so a model trained at 256 points evaluates at
1024. :func:`with_form` switches every spectral layer to the real-arithmetic DFT form
(for export) or back.

>>> model = FNO(1, 1, modes=(16,), width=64, key=jax.random.PRNGKey(0))
>>> u = model(a)                      # a: (1, 1024) -> u: (1, 1024)
>>> exportable = with_form(model, "dft")
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, PRNGKeyArray

from ._spectral import AbstractForm, FrozenDFT, SpectralConv, as_form, stacked_weight

__all__ = ["ACTIVATIONS", "FNO", "Pointwise", "activation_name", "dropout", "freeze_for_inference", "gelu", "grid",
           "resolve_activation", "with_form"]

_SQRT_HALF = float(np.sqrt(0.5))


def gelu(x: Array) -> Array:
    """Exact (erf) GELU ``x (1 + erf(x / sqrt 2)) / 2``, the formula of ``torch.nn.functional.gelu``
    in the original FNO.

    Not ``jax.nn.gelu(approximate=False)``: that evaluates ``erfc``, which XLA's CPU backend
    computes about twice slower than ``erf``, and the activations are a large share of an FNO's
    inference time. The two agree to 1e-6 (absolute; the erf form loses the relative accuracy of
    the far negative tail, where both are below 1e-6 in size).
    """
    return 0.5 * x * (1.0 + jax.lax.erf(x * jnp.asarray(_SQRT_HALF, x.dtype)))


ACTIVATIONS: dict[str, Callable[[Array], Array]] = {
    "gelu": gelu,
    "relu": jax.nn.relu,
    "tanh": jnp.tanh,
    "silu": jax.nn.silu,
}


def dropout(x: Array, rate: float, key: PRNGKeyArray | None) -> Array:
    """Inverted dropout: each entry of ``x`` zeroed with probability ``rate`` and the rest scaled by
    ``1 / (1 - rate)`` (as ``torch.nn.Dropout`` in training), so that nothing changes at inference.
    ``key`` None (inference) or ``rate`` 0 returns ``x``."""
    if key is None or rate == 0:
        return x
    keep = jax.random.bernoulli(key, 1.0 - rate, x.shape)
    return jnp.where(keep, x / (1.0 - rate), 0.0).astype(x.dtype)


def resolve_activation(activation: str | Callable[[Array], Array]) -> Callable[[Array], Array]:
    """A callable from a name in :data:`ACTIVATIONS` (a callable passes through)."""
    if callable(activation):
        return activation
    if activation in ACTIVATIONS:
        return ACTIVATIONS[activation]
    raise ValueError(f"unknown activation {activation!r} (known: {', '.join(ACTIVATIONS)})")


def activation_name(activation: Callable[[Array], Array]) -> str:
    """The :data:`ACTIVATIONS` name of ``activation``; an unnamed callable cannot be stored in a checkpoint."""
    for name, fn in ACTIVATIONS.items():
        if fn is activation:
            return name
    raise ValueError(f"activation {activation!r} has no name in ACTIVATIONS (known: {', '.join(ACTIVATIONS)})")


class Pointwise(eqx.Module):
    """A linear map on the channel axis at every point (a 1x1 convolution): ``(cin, *spatial) -> (cout, *spatial)``.

    Initialised like ``torch.nn.Linear``: uniform in ``[-1/sqrt(cin), 1/sqrt(cin)]``.
    """

    weight: Float[Array, "cout cin"]
    bias: Float[Array, " cout"]

    def __init__(self, in_channels: int, out_channels: int, *, dtype=jnp.float32, key: PRNGKeyArray):
        wkey, bkey = jax.random.split(key)
        bound = 1.0 / np.sqrt(in_channels)
        self.weight = jax.random.uniform(wkey, (out_channels, in_channels), dtype, -bound, bound)
        self.bias = jax.random.uniform(bkey, (out_channels,), dtype, -bound, bound)

    def __call__(self, x: Float[Array, "cin *spatial"]) -> Float[Array, "cout *spatial"]:
        y = jnp.tensordot(self.weight, x, axes=(1, 0))
        return y + self.bias.reshape((-1,) + (1,) * (x.ndim - 1))


def grid(sizes: tuple[int, ...], dtype=jnp.float32) -> Float[Array, "d *spatial"]:
    """Coordinates in [0, 1] (both ends included) of a uniform grid of ``sizes`` points, channels first."""
    axes = [jnp.linspace(0.0, 1.0, n, dtype=dtype) for n in sizes]
    return jnp.stack(jnp.meshgrid(*axes, indexing="ij"))


class FNO(eqx.Module):
    """Fourier neural operator ``(in_channels, *spatial) -> (out_channels, *spatial)``, 1 to 3 spatial dims.

    Attributes:
        lift: pointwise linear, ``in_channels (+ d grid channels) -> width``.
        spectral: ``n_layers`` spectral convolutions ``width -> width``.
        pointwise: ``n_layers`` pointwise linears ``width -> width`` (the local term W).
        project: pointwise linears ``width -> projection_hidden -> out_channels``, or with
            ``projection_hidden`` 0 one linear ``width -> out_channels`` after an activated last
            Fourier layer (NU-FNO's trunk, whose ``fc_interp`` feeds further Fourier layers).
        padding: zero padding at the end of each axis, in points (int) or as a
            fraction of the axis length (float); 0 for periodic domains.
        dropout: rate of the dropout after the Fourier layers listed in ``dropout_layers``
            (counted from 0), applied only when the call is given a ``key`` (training).
    """

    lift: Pointwise
    spectral: tuple[SpectralConv, ...]
    pointwise: tuple[Pointwise, ...]
    project: tuple[Pointwise, ...]
    in_channels: int = eqx.field(static=True)
    out_channels: int = eqx.field(static=True)
    modes: tuple[int, ...] = eqx.field(static=True)
    width: int = eqx.field(static=True)
    n_layers: int = eqx.field(static=True)
    padding: int | float = eqx.field(static=True)
    append_grid: bool = eqx.field(static=True)
    projection_hidden: int = eqx.field(static=True)
    activation: Callable[[Array], Array] = eqx.field(static=True)
    dropout: float = eqx.field(static=True)
    dropout_layers: tuple[int, ...] = eqx.field(static=True)

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        modes: tuple[int, ...],
        width: int,
        n_layers: int = 4,
        *,
        padding: int | float = 0,
        append_grid: bool = True,
        projection_hidden: int = 128,
        activation: str | Callable[[Array], Array] = gelu,
        form: str | AbstractForm = "fft",
        dtype=jnp.float32,
        dropout: float = 0.0,
        dropout_layers: tuple[int, ...] = (),
        key: PRNGKeyArray,
    ):
        """
        Args:
            in_channels: input function channels (without the grid).
            out_channels: output function channels.
            modes: kept Fourier modes per spatial axis, e.g. ``(16,)`` or ``(12, 12)``; on every axis
                but the last, ``m`` modes of each sign are kept (see :class:`SpectralConv`).
            width: channels of the hidden representation.
            n_layers: Fourier layers; the last has no activation.
            padding: zero padding at the end of every axis: an int number of points, or a float
                fraction of the axis length (e.g. 0.25). Use 0 for periodic data.
            append_grid: append ``d`` coordinate channels in [0, 1] to the input.
            projection_hidden: hidden channels of the two-layer projection; 0 for one linear
                projection after an activated last Fourier layer.
            activation: a callable, or a name in :data:`ACTIVATIONS`.
            form: spectral evaluation form, ``"fft"`` or ``"dft"`` (see :func:`with_form`).
            dtype: parameter dtype.
            dropout: dropout rate in [0, 1) after each Fourier layer in ``dropout_layers`` (indices
                in ``0 .. n_layers - 1``; after the activation), active when called with a ``key``.
            key: PRNG key for the initial weights.
        """
        modes = tuple(int(m) for m in modes)
        dtype = jnp.dtype(dtype)
        if not 1 <= len(modes) <= 3:
            raise ValueError(f"FNO supports 1 to 3 spatial dims, got modes {modes}")
        if width < 1 or n_layers < 1 or projection_hidden < 0:
            raise ValueError(f"width and n_layers must be positive and projection_hidden >= 0, got {width}, "
                             f"{n_layers}, {projection_hidden}")
        if isinstance(padding, bool) or not isinstance(padding, (int, float)) or padding < 0 or (
            isinstance(padding, float) and padding >= 1.0
        ):
            raise ValueError(f"padding must be an int >= 0 (points) or a float in [0, 1) (fraction), got {padding!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
        dropout_layers = tuple(sorted(int(i) for i in dropout_layers))
        if any(not 0 <= i < n_layers for i in dropout_layers):
            raise ValueError(f"dropout_layers {dropout_layers} must be Fourier layer indices in 0..{n_layers - 1}")
        d = len(modes)
        keys = jax.random.split(key, 2 * n_layers + 3)
        lift_in = in_channels + (d if append_grid else 0)
        self.lift = Pointwise(lift_in, width, dtype=dtype, key=keys[0])
        self.spectral = tuple(
            SpectralConv(width, width, modes, form=form, dtype=dtype, key=k) for k in keys[1 : n_layers + 1]
        )
        self.pointwise = tuple(
            Pointwise(width, width, dtype=dtype, key=k) for k in keys[n_layers + 1 : 2 * n_layers + 1]
        )
        self.project = (
            Pointwise(width, projection_hidden, dtype=dtype, key=keys[-2]),
            Pointwise(projection_hidden, out_channels, dtype=dtype, key=keys[-1]),
        ) if projection_hidden else (Pointwise(width, out_channels, dtype=dtype, key=keys[-1]),)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.modes = modes
        self.width = width
        self.n_layers = n_layers
        self.padding = padding
        self.append_grid = append_grid
        self.projection_hidden = projection_hidden
        self.activation = resolve_activation(activation)
        self.dropout = float(dropout)
        self.dropout_layers = dropout_layers

    def _pad_widths(self, sizes: tuple[int, ...]) -> tuple[int, ...]:
        if isinstance(self.padding, float):
            return tuple(int(round(self.padding * n)) for n in sizes)
        return (self.padding,) * len(sizes)

    def __call__(self, x: Float[Array, "cin *spatial"], *, key: PRNGKeyArray | None = None
                 ) -> Float[Array, "cout *spatial"]:
        """One sample, channels first, on a uniform grid of any size (modes must fit it); ``key``
        (training only) draws the dropout masks, if the model has dropout."""
        d = len(self.modes)
        if x.ndim != d + 1 or x.shape[0] != self.in_channels:
            raise ValueError(
                f"FNO expects (in_channels={self.in_channels}, {d} spatial dims), got shape {x.shape}"
            )
        sizes = x.shape[1:]
        if self.append_grid:
            x = jnp.concatenate([x, grid(sizes, x.dtype)])
        h = self.lift(x)
        pads = self._pad_widths(sizes)
        if any(pads):
            h = jnp.pad(h, [(0, 0)] + [(0, p) for p in pads])
        drop_keys = dict(zip(self.dropout_layers, jax.random.split(key, len(self.dropout_layers)))) if (
            key is not None and self.dropout > 0 and self.dropout_layers) else {}
        for i, (conv, local) in enumerate(zip(self.spectral, self.pointwise, strict=True)):
            h = conv(h) + local(h)
            if i < self.n_layers - 1 or len(self.project) == 1:
                h = self.activation(h)
            if i in drop_keys:
                h = dropout(h, self.dropout, drop_keys[i])
        if any(pads):
            h = h[(slice(None),) + tuple(slice(0, n) for n in sizes)]
        if len(self.project) == 1:
            return self.project[0](h)
        h = self.activation(self.project[0](h))
        return self.project[1](h)

    @property
    def form(self) -> AbstractForm:
        """The spectral evaluation form of the (first) layer."""
        return self.spectral[0].form

    def hyperparameters(self) -> dict[str, Any]:
        """Constructor keyword arguments (JSON-serialisable, no key) that rebuild this model's skeleton."""
        if isinstance(self.form, FrozenDFT):
            raise ValueError("a model frozen for inference (freeze_for_inference) cannot be stored or rebuilt: "
                             "store the model it was frozen from")
        return {
            "in_channels": self.in_channels,
            "out_channels": self.out_channels,
            "modes": list(self.modes),
            "width": self.width,
            "n_layers": self.n_layers,
            "padding": self.padding,
            "append_grid": self.append_grid,
            "projection_hidden": self.projection_hidden,
            "activation": activation_name(self.activation),
            "form": self.form.name,
            "dtype": jnp.dtype(self.lift.weight.dtype).name,
            **({"dropout": self.dropout, "dropout_layers": list(self.dropout_layers)} if self.dropout > 0 else {}),
        }


def _spectral_layers(model: eqx.Module) -> list[SpectralConv]:
    is_conv = lambda node: isinstance(node, SpectralConv)  # noqa: E731
    return [node for node in jax.tree_util.tree_leaves(model, is_leaf=is_conv) if is_conv(node)]


def _replace_forms(model: eqx.Module, form_of: Callable[[SpectralConv], AbstractForm]) -> eqx.Module:
    """``model`` with every :class:`SpectralConv`'s form replaced by ``form_of(layer)``."""
    convs = _spectral_layers(model)
    if not convs:
        return model
    return eqx.tree_at(lambda m: [c.form for c in _spectral_layers(m)], model, [form_of(c) for c in convs])


def freeze_for_inference(model: eqx.Module) -> eqx.Module:
    """``model`` for inference: every :class:`SpectralConv` in the real-arithmetic DFT form with its
    per-mode mixing blocks built once (:class:`~sciml.operators._spectral.FrozenDFT`) instead of
    at every call. Same outputs as ``with_form(model, "dft")`` to float round-off, and faster on
    the CPU; later changes to the layers' ``weight`` are not seen (freeze again), gradients do
    not reach it, and the frozen model cannot be checkpointed (store ``model``).
    """
    return _replace_forms(model, lambda conv: FrozenDFT(stacked_weight(conv.weight)))


def with_form(model: eqx.Module, form: str | AbstractForm) -> eqx.Module:
    """``model`` with every :class:`SpectralConv` inside it evaluated in ``form`` (``"fft"`` or ``"dft"``).

    Works on any module containing spectral layers (an FNO, a wrapped or normalised FNO).
    The weights are shared; only the evaluation changes.
    """
    form = as_form(form)
    return _replace_forms(model, lambda conv: form)
