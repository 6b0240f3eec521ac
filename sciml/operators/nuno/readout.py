"""NUNO with a Fourier-series readout: the anchor's NU-FNO for the elasticity point clouds.

thu-ml/NUNO reads its elasticity predictions (``src/elasticity/ours_nufno.py`` with
``nufno2d.py``) not by interpolating grids at the points but, as Geo-FNO does, by evaluating the
last spectral layer's truncated Fourier series *at the points themselves*. The K-D tree
subdomains enter only through a small pointwise layer that gives each leaf its own image of the
trunk's features; every spectral weight after it is shared by all leaves:

    grids (1, C_in, N1, N2)   the inputs on one global grid (as FNO after interpolation)
      -> FNO trunk (last layer activated), one linear map to n_sub * width channels
                                                            -> n_sub images (width, N1, N2)
      -> one shared Fourier layer on every image (SpectralConv + pointwise, GELU)
      -> truncated rfft2 of each image   Y_{s,k}, kept modes k = (k1, k2)
      -> shared mixing                   C_{s,k} = W_k Y_{s,k}       (W: width x width per mode)
      -> Fourier series at each point x of leaf s:  Re sum_k c_k C_{s,k} exp(2 pi i k . t(x))
      -> + a linear map of x, then two pointwise layers (GELU between)  -> (P, C_out)

``t(x)`` is the point's position in grid-index units divided by the grid size, so that at the
grid nodes the series equals the inverse real FFT of the kept modes (``c_k`` is irfft's weight:
1 for k2 = 0 and the Nyquist column, 2 otherwise, over N1 N2). The readout has no grid
interpolation error: a point between grid nodes gets the band-limited function's value there.

An earlier version gave every leaf its own readout spectral weights (n_sub x width^2 x modes,
3.5M of 5.9M parameters on elasticity) and overfitted (train 0.015, test 0.063); the anchor's
per-leaf part is the trunk's one linear projection (``fc_interp``, width x n_sub width: 5k of
its 6k parameters on elasticity). Revision 2 had the FNO's two-layer projection there
(width -> 128 -> n_sub width, a non-activated last Fourier layer): 4.6x the operations per grid
node of that step and not the anchor's network; revision 3 is the anchor's.

The trunk's input grid is the one of ``fno_interp`` (so the two differ only in the readout).
The anchor's input is a kernel density estimate of the point cloud; ours are the data set's
input fields interpolated to the grid with the inside channel.

Points are grouped by leaf for the evaluation (``idx``: ``(L,)`` point indices, leaf after
leaf, leaf ``s`` in a block of ``leaf_sizes[s]`` slots, padded; ``pos``: ``(P,)`` each point's
slot), so that each point is summed over its own leaf's image only: cost ``P * width * modes``
instead of ``n_sub`` times that. Each leaf's block is as long as its largest count over the
samples, not the largest leaf's (the elasticity leaves hold 24 to 368 points: 1172 slots for
869 points, against 2208 with one common block length). :func:`group_by_leaf` builds them.

Two spatial dimensions only (the FEniCS point-cloud sets are 2-D).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, Int, PRNGKeyArray

from sciml.operators._spectral import SpectralConv
from sciml.operators.fno import FNO, Pointwise, dropout, gelu

from .kdtree import Decomposition, assign

__all__ = ["FourierReadout", "NUNOFourier", "group_by_leaf", "truncated_rfft2", "fourier_series"]


def _kept_k1(m1: int) -> np.ndarray:
    return np.concatenate([np.arange(m1), np.arange(-m1, 0)])


def truncated_rfft2(h: Float[Array, "c n1 n2"], modes: tuple[int, int]) -> Array:
    """``(c, 2 m1, m2)`` complex: the kept modes of ``rfft2(h)`` (rows ``0..m1-1`` then ``-m1..-1``)."""
    m1, m2 = modes
    n1, n2 = h.shape[1:]
    if not (1 <= m1 <= n1 // 2 and 1 <= m2 <= n2 // 2 + 1):
        raise ValueError(f"modes {modes} do not fit a {n1} x {n2} grid (at most {n1 // 2}, {n2 // 2 + 1})")
    y = jnp.fft.rfft2(h)
    return jnp.concatenate([y[:, :m1, :m2], y[:, n1 - m1:, :m2]], axis=1)


def fourier_series(coef: Array, t: Float[Array, "... p 2"], sizes: tuple[int, int]) -> Array:
    """The real band-limited function with kept rfft2 modes ``coef`` (``(..., c, 2 m1, m2)``,
    complex, of a ``sizes`` grid) at positions ``t`` (``(..., p, 2)``, grid index / grid size):
    ``(..., c, p)``. At ``t = j / N`` it equals ``irfft2`` of the zero-padded modes at node ``j``."""
    n1, n2 = sizes
    m1, m2 = coef.shape[-2] // 2, coef.shape[-1]
    k1 = jnp.asarray(_kept_k1(m1), t.dtype)
    k2 = jnp.arange(m2)
    weight = jnp.where((k2 == 0) | (2 * k2 == n2), 1.0, 2.0).astype(t.dtype) / (n1 * n2)
    # Re(C e^{i phi}) = Re C cos phi - Im C sin phi, with phi = 2 pi (k1 t1 + k2 t2): one real
    # contraction of [Re C, Im C] with [cos, -sin] over 2 * 2 m1 * m2 terms (one matrix product
    # per leaf, about 4x faster on the CPU than two einsums or a complex one); the tables by the
    # angle-addition formulas from 1-D ones: p (2 m1 + m2) cosines and sines, not p 2 m1 m2
    a1, a2 = 2 * jnp.pi * t[..., 0, None] * k1, 2 * jnp.pi * t[..., 1, None] * k2.astype(t.dtype)
    c1, s1 = jnp.cos(a1)[..., :, None], jnp.sin(a1)[..., :, None]  # (..., p, 2 m1, 1)
    c2, s2 = (jnp.cos(a2) * weight)[..., None, :], (jnp.sin(a2) * weight)[..., None, :]  # (..., p, 1, m2)
    table = jnp.concatenate([c1 * c2 - s1 * s2, -(s1 * c2 + c1 * s2)], axis=-2)  # (..., p, 4 m1, m2)
    parts = jnp.concatenate([jnp.real(coef), jnp.imag(coef)], axis=-2)  # (..., c, 4 m1, m2)
    return jnp.einsum("...ck,...pk->...cp", parts.reshape(*parts.shape[:-2], -1),
                      table.reshape(*table.shape[:-2], -1))


class FourierReadout(eqx.Module):
    """One set of spectral weights, evaluated as a Fourier series at the points of each leaf on
    that leaf's own image.

    Attributes:
        weight: ``(2, in_ch, out_ch, 2 m1, m2)`` real and imaginary parts.
        modes: kept modes ``(m1, m2)`` (``m1`` of each sign on the first axis).
    """

    weight: Float[Array, "2 cin cout k1 k2"]
    modes: tuple[int, int] = eqx.field(static=True)

    def __init__(self, in_channels: int, out_channels: int, modes: tuple[int, int], *, key: PRNGKeyArray):
        """Weights uniform in ``[0, 1/(in_ch out_ch))`` for both parts, as the FNO's spectral layers."""
        if len(modes) != 2 or min(int(m) for m in modes) < 1:
            raise ValueError(f"FourierReadout needs two positive modes; got {modes}")
        self.modes = (int(modes[0]), int(modes[1]))
        shape = (2, in_channels, out_channels, 2 * self.modes[0], self.modes[1])
        self.weight = jax.random.uniform(key, shape) / (in_channels * out_channels)

    def __call__(self, h: Float[Array, "n_sub cin n1 n2"], t: Float[Array, "l 2"], leaf_sizes: tuple[int, ...]
                 ) -> Float[Array, "cout l"]:
        """``h`` one image per leaf on the grid, ``t`` the grouped points' positions (grid index /
        grid size), leaf ``s``'s in the ``leaf_sizes[s]`` rows after the earlier leaves'."""
        if len(leaf_sizes) != h.shape[0] or sum(leaf_sizes) != t.shape[0]:
            raise ValueError(f"leaf_sizes {leaf_sizes} do not split {t.shape[0]} points over {h.shape[0]} images")
        y = jax.vmap(truncated_rfft2, in_axes=(0, None))(h, self.modes)  # (n_sub, cin, 2 m1, m2)
        w = self.weight[0] + 1j * self.weight[1]
        coef = jnp.einsum("sikl,iokl->sokl", y, w)  # (n_sub, cout, 2 m1, m2)
        ends = np.cumsum(leaf_sizes)
        return jnp.concatenate([fourier_series(coef[s], t[end - size:end], h.shape[2:])
                                for s, (size, end) in enumerate(zip(leaf_sizes, ends, strict=True))], axis=-1)


def group_by_leaf(points: np.ndarray, mask: np.ndarray, decomposition: Decomposition
                  ) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    """``idx`` ``(N, L)``, ``pos`` ``(N, P)`` (int32) and ``leaf_sizes`` for padded clouds
    ``points`` ``(N, P, 2)`` with ``mask`` ``(N, P)``: leaf ``s`` takes ``leaf_sizes[s]`` slots
    (its largest point count over the samples, at least 1) after the earlier leaves',
    ``idx[i]`` lists there the points of sample ``i`` in that leaf (padded with 0), and
    ``pos[i, p]`` is point ``p``'s slot (0 for padding, which the loss masks)."""
    n, p = mask.shape
    n_sub = decomposition.n_subdomains
    leaves = [assign(points[i][mask[i]], decomposition) for i in range(n)]
    sizes = np.maximum(np.max([np.bincount(leaf, minlength=n_sub) for leaf in leaves], axis=0), 1)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    idx = np.zeros((n, int(sizes.sum())), np.int32)
    pos = np.zeros((n, p), np.int32)
    for i, leaf in enumerate(leaves):
        real = np.flatnonzero(mask[i])
        for s in range(n_sub):
            members = real[leaf == s]
            slots = starts[s] + np.arange(members.size)
            idx[i, slots] = members
            pos[i, members] = slots
    return idx, pos, tuple(int(k) for k in sizes)


class NUNOFourier(eqx.Module):
    """``(grids (1, C_in, N1, N2), points (P, 2), idx, pos) -> (P, C_out)``: an FNO trunk on the
    global grid projected to one image per leaf, a shared Fourier layer on each, and the shared
    :class:`FourierReadout` at each leaf's points (see the module docstring).

    ``lo``, ``hi``: the global grid's box (physical axes); ``order``: the physical axis of each
    grid axis (the grid's axes run shortest side first, as every NUNO grid); ``leaf_sizes``: each
    leaf's slots in the grouped points (from :func:`group_by_leaf`; needed to call the model).

    ``dropout``: the anchor's regulariser (rate 0.1 there), after the trunk's second-to-last
    Fourier layer and after the leaf layer, active only when called with a ``key`` (training)."""

    trunk: FNO
    leaf_spectral: SpectralConv
    leaf_local: Pointwise
    readout: FourierReadout
    coords: Pointwise
    head: tuple[Pointwise, Pointwise]
    lo: Float[Array, " 2"]
    hi: Float[Array, " 2"]
    order: tuple[int, int] = eqx.field(static=True)
    n_subdomains: int = eqx.field(static=True)
    dropout: float = eqx.field(static=True)
    leaf_sizes: tuple[int, ...] | None = eqx.field(static=True)

    def __init__(self, in_channels: int, out_channels: int, n_subdomains: int, modes: tuple[int, int], width: int,
                 n_layers: int, box: np.ndarray, order, *, padding: int = 0, hidden: int = 128,
                 dropout: float = 0.0, leaf_sizes: tuple[int, ...] | None = None, key: PRNGKeyArray):
        if n_subdomains < 1:
            raise ValueError(f"NUNOFourier needs n_subdomains >= 1; got {n_subdomains}")
        if n_layers < 2 and dropout > 0:
            raise ValueError(f"NUNOFourier's dropout follows the trunk's second-to-last layer; n_layers={n_layers}")
        k_trunk, k_spec, k_local, k_read, k_coord, k_h0, k_h1 = jax.random.split(key, 7)
        modes = (int(modes[0]), int(modes[1]))
        self.trunk = FNO(in_channels, n_subdomains * width, modes, width, n_layers, padding=padding,
                         projection_hidden=0, dropout=dropout,
                         dropout_layers=(n_layers - 2,) if dropout > 0 else (), key=k_trunk)
        self.leaf_spectral = SpectralConv(width, width, modes, key=k_spec)
        self.leaf_local = Pointwise(width, width, key=k_local)
        self.readout = FourierReadout(width, width, modes, key=k_read)
        self.coords = Pointwise(2, width, key=k_coord)
        self.head = (Pointwise(width, hidden, key=k_h0), Pointwise(hidden, out_channels, key=k_h1))
        self.lo = jnp.asarray(box[0], jnp.float32)
        self.hi = jnp.asarray(box[1], jnp.float32)
        self.order = (int(order[0]), int(order[1]))
        self.n_subdomains = int(n_subdomains)
        self.dropout = float(dropout)
        self.leaf_sizes = None if leaf_sizes is None else tuple(int(k) for k in leaf_sizes)

    def leaf_images(self, grids: Float[Array, "1 cin n1 n2"], *, key: PRNGKeyArray | None = None
                    ) -> Float[Array, "n_sub width n1 n2"]:
        """Each leaf's image after the shared Fourier layer (``key``: dropout masks, training only)."""
        k_trunk, k_leaf = (None, None) if key is None else jax.random.split(key)
        h = self.trunk(grids[0], key=k_trunk)  # (n_sub * width, N1, N2)
        h = h.reshape(self.n_subdomains, -1, *h.shape[1:])
        h = jax.vmap(lambda g: gelu(self.leaf_spectral(g) + self.leaf_local(g)))(h)
        return dropout(h, self.dropout, k_leaf)  # each leaf's image its own mask, as the anchor's batch

    def __call__(self, grids: Float[Array, "1 cin n1 n2"], points: Float[Array, "p 2"],
                 idx: Int[Array, " l"], pos: Int[Array, " p"], *, key: PRNGKeyArray | None = None
                 ) -> Float[Array, "p cout"]:
        if self.leaf_sizes is None:
            raise ValueError("NUNOFourier was built without leaf_sizes; give it group_by_leaf's")
        h = self.leaf_images(grids, key=key)  # (n_sub, width, N1, N2)
        sizes = jnp.asarray(h.shape[2:], points.dtype)
        unit = jnp.clip((points - self.lo) / (self.hi - self.lo), 0.0, 1.0)[:, list(self.order)]  # grid-axis order
        t = unit * (sizes - 1) / sizes  # grid index / grid size
        u = self.readout(h, t[idx], self.leaf_sizes)[:, pos] + self.coords(unit.T)  # (width, P)
        return self.head[1](gelu(self.head[0](u))).T
