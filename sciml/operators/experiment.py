"""One operator-learning experiment: a model family on a data set's samples, ready to train.

:func:`grid_setup` (FNO, DeepONet on grids) and :func:`point_setup` (NUNO, FNO after global
interpolation, DeepONet on point clouds) turn :mod:`sciml.operators.data` samples into a
model with its normalisation, the arrays it trains on and the ``predict`` function the
trainer calls, so that a pipeline stage only chooses and calls.

Point-cloud models (after NUNO, Liu et al. 2023): the K-D tree is built on the union of the
training clouds; every sample's inputs are interpolated to the subdomain grids (Delaunay
linear, nearest fill outside the hull) together with an ``inside`` channel (1 where the grid
node lies in the sample's mesh), one FNO maps the stacked subdomain grids, and the output is
interpolated back to the sample's own points (JAX multilinear), where the loss is taken.
``fno_interp`` is the same with one subdomain (FNO after global interpolation).
``nuno_fourier`` (the anchor's elasticity NU-FNO) has ``fno_interp``'s global grid and reads
the output at each point as a Fourier series with its leaf's own output weights
(:mod:`sciml.operators.nuno.readout`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .checkpoint import atomic_write
from .data import GridSamples, PointSamples, inside_mesh
from .deeponet import DeepONet
from .losses import rel_l2_per_sample
from .fno import FNO
from .normalize import Normalized, Scope, UnitGaussian
from .nuno import interp as nuno_interp
from .nuno.kdtree import Decomposition, decompose
from .nuno.model import NUNO
from .nuno.readout import NUNOFourier, group_by_leaf

GRID_MODELS = ("fno", "deeponet")
POINT_MODELS = ("nuno", "nuno_fourier", "fno_interp", "deeponet")


@dataclass(frozen=True)
class ModelSpec:
    """Sizes of the model (FNO: modes per axis, capped at what the grid allows)."""

    width: int = 32
    modes: int = 12
    n_layers: int = 4
    padding: int = 0
    n_subdomains: int = 6
    oversampling: float = 1.5  # grid points per cloud point (per sample), NUNO/fno_interp
    # point models: the common grid shape itself, in grid-axis order (each leaf's shortest side
    # first, see nuno.interp); None: sized from ``oversampling``. E.g. the NUNO code's elasticity
    # grids: (32, 32) for its NU-FNO, (41, 41) for its FNO-interp.
    grid_shape: tuple[int, ...] | None = None
    x_scope: Scope = Scope.CHANNEL  # point models' input statistics: per channel, or per grid node (NUNO code)
    # point models: append the cloud's Gaussian kernel density at the grid nodes as an input channel,
    # bandwidth in units of the longest side of the points' box (0: none; NUNO's elasticity input: 0.05)
    density_bandwidth: float = 0.0
    dropout: float = 0.0  # nuno_fourier only: the anchor's dropout (0.1), in training
    deeponet_width: int = 128
    deeponet_depth: int = 3
    deeponet_basis: int = 64


@dataclass
class Setup:
    """What the trainer needs: model, (x, y[, mask]) for train and test, ``predict``."""

    model: eqx.Module
    x_train: Any
    y_train: np.ndarray
    x_test: Any
    y_test: np.ndarray
    mask_train: np.ndarray | None = None
    mask_test: np.ndarray | None = None
    predict: Any = None
    info: dict | None = None
    stochastic: bool = False  # the model takes key= in training (dropout): train(..., stochastic=True)


def _modes(spec: ModelSpec, shape: tuple[int, ...]) -> tuple[int, ...]:
    # rfft keeps n//2 + 1 modes on the last axis; the others keep both signs
    return tuple(min(spec.modes, (n // 2 + 1) if i == len(shape) - 1 else n // 2) for i, n in enumerate(shape))


def _check_dropout(model: str, spec: ModelSpec) -> None:
    if spec.dropout and model != "nuno_fourier":
        raise ValueError(f"dropout={spec.dropout} is the anchor NU-FNO's regulariser, for nuno_fourier only; "
                         f"{model} has none")


def grid_setup(model: str, samples: GridSamples, n_train: int, spec: ModelSpec, *, key) -> Setup:
    """FNO or DeepONet on grid samples; the first ``n_train`` samples train, the rest test."""
    _check_dropout(model, spec)
    x, y = samples.x.astype(np.float32), samples.y.astype(np.float32)
    xtr, xte, ytr, yte = x[:n_train], x[n_train:], y[:n_train], y[n_train:]
    shape = x.shape[2:]
    # per-channel statistics: resolution independent (train at one grid, evaluate at another)
    x_norm = UnitGaussian.fit(xtr, Scope.CHANNEL)
    y_norm = UnitGaussian.fit(ytr, Scope.CHANNEL)
    if model == "fno":
        inner = FNO(x.shape[1], y.shape[1], _modes(spec, shape), spec.width, spec.n_layers,
                    padding=spec.padding, key=key)
        return Setup(Normalized(inner, x_norm, y_norm), xtr, ytr, xte, yte,
                     info={"modes": _modes(spec, shape), "grid": shape})
    if model == "deeponet":
        coords = np.stack(np.meshgrid(*[np.linspace(0, 1, n) for n in shape], indexing="ij"), -1)
        coords = coords.reshape(-1, len(shape)).astype(np.float32)
        net = DeepONet(int(np.prod(x.shape[1:])), len(shape), y.shape[1], spec.deeponet_width, spec.deeponet_depth,
                       spec.deeponet_basis, key=key)
        wrapped = _GridDeepONet(net, x_norm, y_norm, jnp.asarray(coords), shape)
        return Setup(wrapped, xtr, ytr, xte, yte, info={"sensors": int(np.prod(x.shape[1:]))})
    raise ValueError(f"model {model!r} does not run on grids; grid models: {', '.join(GRID_MODELS)}")


class _GridDeepONet(eqx.Module):
    net: DeepONet
    x_norm: UnitGaussian
    y_norm: UnitGaussian
    coords: jax.Array
    shape: tuple[int, ...] = eqx.field(static=True)

    def __call__(self, x):
        u = self.net(self.x_norm.encode(x).reshape(-1), self.coords)  # (C_out, n_points)
        return self.y_norm.decode(u.reshape(u.shape[0], *self.shape))


# ---- point clouds ----------------------------------------------------------------------------
class PointOperator(eqx.Module):
    """(subdomain grids, points) -> outputs at the points, normalised inside.

    ``operator`` is a :class:`~sciml.operators.nuno.model.NUNO` (grids -> point values) or a
    DeepONet reading the grids as sensors. Inputs ``grids`` (n_sub, C_in + 1, *grid): the
    fields, then the inside indicator (and with ``density_bandwidth`` one more channel, the
    points' density); ``points`` (P, d); output (P, C_out).
    ``x_mean``, ``x_std`` broadcast against one sample's grids: ``(1, C_in + 1, 1, ...)``
    (per channel) or ``(n_sub, C_in + 1, *grid)`` (per grid node); ``y_mean``, ``y_std``
    ``(C_out,)``; all in the data's units.
    """

    operator: eqx.Module
    x_mean: jax.Array
    x_std: jax.Array
    y_mean: jax.Array
    y_std: jax.Array

    def __call__(self, grids, points, *leaf_groups, key=None):
        grids = (grids - self.x_mean) / self.x_std
        if isinstance(self.operator, NUNO):
            out = self.operator(grids, points)
        elif isinstance(self.operator, NUNOFourier):  # leaf_groups: (idx, pos) of group_by_leaf
            out = self.operator(grids, points, *leaf_groups, key=key)
        else:  # DeepONet: sensors = the flattened grids
            out = self.operator(grids.reshape(-1), points).T
        return out * self.y_std + self.y_mean


def subdomain_grids(samples: PointSamples, dec: Decomposition, shape: tuple[int, ...]) -> np.ndarray:
    """(N, n_sub, C_in + 1, *shape): each sample's inputs on the leaf grids, plus the inside channel."""
    nodes = nuno_interp.grid_nodes(dec, shape)
    flat = nodes.reshape(-1, nodes.shape[-1])
    out = []
    for i in range(len(samples)):
        points, x, _ = samples.sample(i)
        grids = nuno_interp.points_to_grids(points, x, dec, shape)
        inside = inside_mesh(points, samples.cells[i], flat).reshape(nodes.shape[:-1])[:, None]
        out.append(np.concatenate([grids, inside.astype(grids.dtype)], axis=1))
    return np.stack(out)


def point_density(samples: PointSamples, nodes: np.ndarray, bandwidth: float, chunk: int = 1024) -> np.ndarray:
    """``(N, *nodes.shape[:-1])``: each cloud's Gaussian kernel density estimate at ``nodes``
    (``(..., d)`` physical coordinates), ``mean_p N(node; point_p, h^2 I)`` with ``h`` =
    ``bandwidth`` in physical units, so that it integrates to 1 over the plane (per unit area
    in 2-D). The point density of a graded mesh marks where the geometry is (NUNO's elasticity
    input is this alone, bandwidth 0.05 of the unit square)."""
    if not bandwidth > 0:
        raise ValueError(f"bandwidth must be positive, got {bandwidth}")
    flat = nodes.reshape(-1, nodes.shape[-1])
    n_nodes, d = flat.shape
    n_chunks = -(-n_nodes // chunk)
    blocks = jnp.asarray(np.pad(flat, ((0, n_chunks * chunk - n_nodes), (0, 0))).reshape(n_chunks, chunk, d),
                         samples.points.dtype)
    norm = (2.0 * np.pi * bandwidth**2) ** (-d / 2)

    @jax.jit
    def kde(points, mask):  # (P, d), (P,) -> (n_chunks * chunk,): nodes in blocks, memory chunk x P
        def block(nodes):
            sq = jnp.sum((nodes[:, None, :] - points[None]) ** 2, -1)  # (chunk, P)
            return jnp.exp(-0.5 * sq / bandwidth**2) @ mask
        return norm * jax.lax.map(block, blocks).reshape(-1) / mask.sum()

    out = [np.asarray(kde(samples.points[i], samples.mask[i].astype(samples.points.dtype)))[:n_nodes]
           for i in range(len(samples))]
    return np.stack(out).reshape(len(samples), *nodes.shape[:-1])


def grid_roundtrip_rel_l2(samples: PointSamples, dec: Decomposition, shape: tuple[int, ...],
                          indices: range) -> float:
    """How well the leaf grids hold the outputs: the mean over samples ``indices`` of the relative
    L2 error of each sample's true output passed to the grids (as the inputs are) and read back
    at its points (as the predictions are).

    Not a floor for a trained model, which learns grid values that read back well rather than
    the interpolant of the truth; a value near the model's error says the grids are too coarse
    for the output (e.g. stress peaks at a void's notches resolved by finer mesh spacing)."""
    index = np.asarray(list(indices), dtype=int)
    if index.size == 0:
        return float("nan")
    grids = np.stack([nuno_interp.points_to_grids(points, y, dec, shape)
                      for points, _, y in map(samples.sample, index)])
    # read back at the padded clouds in one compiled call (per-sample eager calls took minutes
    # at paper size); the padding is masked out of the error
    read = jax.jit(jax.vmap(lambda g, p: nuno_interp.grids_to_points(g, dec, p)))
    back = read(grids, samples.points[index])
    return float(jnp.mean(rel_l2_per_sample(back, samples.y[index], samples.mask[index][..., None])))


SETUP_CACHE = "point_setup_cache.npz"


def _setup_digest(samples: PointSamples, dec: Decomposition, shape: tuple[int, ...], n_train: int) -> str:
    """A hash of everything the interpolated grids and the round-trip value depend on: the
    clouds, their fields and meshes, the leaf boxes, the grid shape and the split."""
    h = hashlib.sha256(b"point_setup v1")
    for a in (samples.points, samples.mask, samples.x, samples.y, dec.root, dec.boxes, dec.point_boxes,
              np.asarray(shape), np.asarray(n_train), *samples.cells):
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _cached_grids(cache_dir: Path | None, digest: str, compute) -> tuple[np.ndarray, float]:
    """``compute()`` (grids, round trip), or its stored result in ``cache_dir`` when that was
    made from the same inputs (``digest``); written atomically, so an interrupted run leaves
    the old cache or none."""
    path = None if cache_dir is None else Path(cache_dir) / SETUP_CACHE
    if path is not None and path.exists():
        try:
            with np.load(path) as stored:
                if str(stored["digest"]) == digest:
                    return stored["grids"], float(stored["roundtrip"])
        except (OSError, ValueError, KeyError):
            pass  # unreadable (e.g. from an older layout): computed again and replaced
    grids, roundtrip = compute()
    if path is not None:
        atomic_write(path, lambda f: np.savez(f, digest=np.asarray(digest), grids=grids,
                                              roundtrip=np.asarray(roundtrip)))
    return grids, roundtrip


def point_setup(model: str, samples: PointSamples, n_train: int, spec: ModelSpec, *, key,
                cache_dir: Path | None = None) -> Setup:
    """NUNO, FNO after global interpolation, or DeepONet on point-cloud samples.

    The interpolation of every cloud to the grids is the slow part at paper size (minutes
    per thousand clouds of thousands of nodes); with ``cache_dir`` its result is kept there
    (``point_setup_cache.npz``) and reused by a later call on the same data and grids, e.g.
    a resumed run."""
    if model not in POINT_MODELS:
        raise ValueError(f"model {model!r} does not run on point clouds; point models: {', '.join(POINT_MODELS)}")
    _check_dropout(model, spec)
    train_points = samples.points[:n_train][samples.mask[:n_train]]
    union = np.unique(train_points, axis=0)
    n_sub = spec.n_subdomains if model == "nuno" else 1  # nuno_fourier: one global grid, leaves at readout
    dec = decompose(union, n_sub)
    # size the grids for one sample's points per leaf (the union holds shared nodes once)
    per_leaf = nuno_interp.points_per_leaf((samples.points[i][samples.mask[i]] for i in range(n_train)), dec)
    if spec.grid_shape is not None:
        shape = nuno_interp.check_grid_shape(spec.grid_shape, dec.dim)
    else:
        shape = nuno_interp.grid_shape(dec, spec.oversampling, per_leaf)
    grids, roundtrip = _cached_grids(
        cache_dir, _setup_digest(samples, dec, shape, n_train),
        lambda: (subdomain_grids(samples, dec, shape).astype(np.float32),
                 grid_roundtrip_rel_l2(samples, dec, shape, range(n_train, len(samples)))))
    if spec.density_bandwidth > 0:  # (N, n_sub, C_in + 1, *shape) -> one more channel
        h = spec.density_bandwidth * float(np.max(dec.root[1] - dec.root[0]))
        density = point_density(samples, nuno_interp.grid_nodes(dec, shape), h).astype(grids.dtype)
        grids = np.concatenate([grids, density[:, :, None]], axis=2)
    axes = (0,) if Scope(spec.x_scope) is Scope.POINTWISE else (0, 1, *range(3, grids.ndim))
    x_mean = grids[:n_train].astype(np.float64).mean(axis=axes, keepdims=True)[0]
    x_std = grids[:n_train].astype(np.float64).std(axis=axes, keepdims=True)[0]
    y_train = samples.y[:n_train][samples.mask[:n_train]]
    stats = dict(x_mean=jnp.asarray(x_mean, jnp.float32), x_std=jnp.asarray(x_std + 1e-6, jnp.float32),
                 y_mean=jnp.asarray(y_train.mean(0), jnp.float32), y_std=jnp.asarray(y_train.std(0) + 1e-6, jnp.float32))
    c_in, c_out = grids.shape[2], samples.y.shape[2]
    if model == "deeponet":
        operator = DeepONet(int(np.prod(grids.shape[1:])), 2, c_out, spec.deeponet_width, spec.deeponet_depth,
                            spec.deeponet_basis, key=key)
    elif model == "nuno_fourier":
        idx, pos, leaf_sizes = group_by_leaf(samples.points, samples.mask, decompose(union, spec.n_subdomains))
        operator = NUNOFourier(c_in, c_out, spec.n_subdomains, _modes(spec, shape), spec.width, spec.n_layers,
                               dec.point_boxes[0], nuno_interp.axis_order(dec)[0], padding=spec.padding,
                               dropout=spec.dropout, leaf_sizes=leaf_sizes, key=key)
    else:
        fno = FNO(n_sub * c_in, n_sub * c_out, _modes(spec, shape), spec.width, spec.n_layers,
                  padding=spec.padding, key=key)
        operator = NUNO(fno, dec, c_in, c_out)
    points = samples.points.astype(np.float32)
    y = samples.y.astype(np.float32)
    mask = samples.mask[..., None].astype(np.float32)
    x_train, x_test = (grids[:n_train], points[:n_train]), (grids[n_train:], points[n_train:])
    if model == "nuno_fourier":
        x_train, x_test = (*x_train, idx[:n_train], pos[:n_train]), (*x_test, idx[n_train:], pos[n_train:])
        n_sub = spec.n_subdomains
    return Setup(PointOperator(operator, **stats), x_train, y[:n_train], x_test, y[n_train:],
                 mask[:n_train], mask[n_train:], stochastic=spec.dropout > 0,
                 info={"n_subdomains": n_sub, "grid": shape, "x_scope": Scope(spec.x_scope).value,
                       "grid_points_per_sample": int(grids.shape[1] * np.prod(shape)),
                       "points_per_sample": int(samples.mask.sum(1).mean()), "modes": _modes(spec, shape),
                       # only where the outputs pass through the grids (nuno_fourier reads its
                       # output at the points, DeepONet's trunk takes the points themselves)
                       **({"grid_roundtrip_rel_l2_test": roundtrip} if model in ("nuno", "fno_interp") else {})})
