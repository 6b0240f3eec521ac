"""Networks of physics-informed training: a body (MLP or modified MLP, optionally with random
weight factorisation) on embedded coordinates, wrapped in :class:`PinnNet`, which maps a
scalar point ``(x, t)`` to a scalar ``u`` and may impose the initial and boundary conditions
exactly.

* MLP: ``h <- act(W h + b)``, Glorot-normal weights.
* Modified MLP (Wang, Teng & Perdikaris 2021): two encoders ``U = act(W_u z)``,
  ``V = act(W_v z)`` and ``h <- act(W h + b) * U + (1 - act(W h + b)) * V``.
* Random weight factorisation (Wang et al. 2022): ``W = diag(exp(s)) V`` with
  ``s ~ N(mean, std)`` per output and ``V = W_glorot / exp(s)``; ``s`` and ``V`` are trained.
* Exact constraints: ``u = g(x) + tau(t) d(x) N(x, t)`` with ``tau = (t - t0)/(t1 - t0)``;
  ``g = u0`` when the initial condition is exact, ``d = (x - a)(b - x) / ((b - a)/2)^2``
  when Dirichlet values are exact (periodicity is exact through the periodic embedding).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from .embeddings import CoordinateScaling, FourierFeatures

ACTIVATIONS: dict[str, Callable[[Array], Array]] = {
    "tanh": jnp.tanh,
    "sin": jnp.sin,
    "gelu": jax.nn.gelu,
    "swish": jax.nn.swish,
}
BODIES = ("mlp", "modified_mlp")
CONSTRAINTS = ("soft", "exact")


@dataclass(frozen=True)
class NetworkConfig:
    """A network's architecture.

    Attributes:
        body: ``"mlp"`` or ``"modified_mlp"``.
        width, depth: hidden width and number of hidden layers (4 x 50 is the R3 paper's).
        activation: a key of :data:`ACTIVATIONS`.
        periodic_harmonics: harmonics of the exact periodic embedding in ``x`` (0: none;
            only on periodic problems).
        fourier_features: Gaussian Fourier features after the coordinates (0: none).
        fourier_scale: standard deviation of the Fourier matrix.
        rwf: random weight factorisation of every dense layer; ``rwf_mean``, ``rwf_std``.
        ic, bc: ``"soft"`` (a loss term) or ``"exact"`` (built into the network).
        dtype: ``"float32"`` or ``"float64"`` parameters and arithmetic.
    """

    body: str = field(default="mlp", metadata={"choices": BODIES})
    width: int = field(default=50, metadata={"min": 1})
    depth: int = field(default=4, metadata={"min": 1})
    activation: str = field(default="tanh", metadata={"choices": tuple(ACTIVATIONS)})
    periodic_harmonics: int = field(default=0, metadata={"min": 0})
    fourier_features: int = field(default=0, metadata={"min": 0})
    fourier_scale: float = field(default=1.0, metadata={"min": 0.0})
    rwf: bool = False
    rwf_mean: float = 0.5
    rwf_std: float = 0.1
    ic: str = field(default="soft", metadata={"choices": CONSTRAINTS})
    bc: str = field(default="soft", metadata={"choices": CONSTRAINTS})
    dtype: str = field(default="float32", metadata={"choices": ("float32", "float64")})

    def __post_init__(self):
        if self.body not in BODIES:
            raise ValueError(f"unknown network body {self.body!r}; known: {', '.join(BODIES)}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {self.activation!r}; known: {', '.join(ACTIVATIONS)}")
        for name in ("ic", "bc"):
            if getattr(self, name) not in CONSTRAINTS:
                raise ValueError(f"{name} must be one of {CONSTRAINTS}, got {getattr(self, name)!r}")


class Dense(eqx.Module):
    """``y = W h + b``; with factorisation ``W = exp(scale)[:, None] * weight``."""

    weight: Float[Array, "out in_"]
    bias: Float[Array, " out"]
    scale: Float[Array, " out"] | None

    def __init__(self, in_size: int, out_size: int, *, key: PRNGKeyArray, rwf: tuple[float, float] | None = None,
                 dtype=jnp.float32):
        wkey, skey = jax.random.split(key)
        std = math.sqrt(2.0 / (in_size + out_size))  # Glorot normal
        w = std * jax.random.normal(wkey, (out_size, in_size), dtype=dtype)
        self.bias = jnp.zeros((out_size,), dtype=dtype)
        if rwf is None:
            self.weight, self.scale = w, None
        else:
            mean, sd = rwf
            s = mean + sd * jax.random.normal(skey, (out_size,), dtype=dtype)
            self.weight, self.scale = w / jnp.exp(s)[:, None], s

    def __call__(self, h: Float[Array, " in_"]) -> Float[Array, " out"]:
        w = self.weight if self.scale is None else jnp.exp(self.scale)[:, None] * self.weight
        return w @ h + self.bias


class MLP(eqx.Module):
    """Fully connected body: features -> scalar."""

    layers: tuple[Dense, ...]
    head: Dense
    activation: Callable = eqx.field(static=True)

    def __init__(self, in_size: int, cfg: NetworkConfig, *, key: PRNGKeyArray):
        keys = jax.random.split(key, cfg.depth + 1)
        rwf = (cfg.rwf_mean, cfg.rwf_std) if cfg.rwf else None
        dt = jnp.dtype(cfg.dtype)
        sizes = [in_size] + [cfg.width] * cfg.depth
        self.layers = tuple(Dense(i, o, key=k, rwf=rwf, dtype=dt) for i, o, k in zip(sizes, sizes[1:], keys))
        self.head = Dense(cfg.width, 1, key=keys[-1], rwf=rwf, dtype=dt)
        self.activation = ACTIVATIONS[cfg.activation]

    def __call__(self, z: Float[Array, " in_"]) -> Float[Array, ""]:
        for layer in self.layers:
            z = self.activation(layer(z))
        return self.head(z)[0]


class ModifiedMLP(eqx.Module):
    """The modified MLP: hidden states gated between two encodings of the input."""

    encoder_u: Dense
    encoder_v: Dense
    layers: tuple[Dense, ...]
    head: Dense
    activation: Callable = eqx.field(static=True)

    def __init__(self, in_size: int, cfg: NetworkConfig, *, key: PRNGKeyArray):
        keys = jax.random.split(key, cfg.depth + 3)
        rwf = (cfg.rwf_mean, cfg.rwf_std) if cfg.rwf else None
        dt = jnp.dtype(cfg.dtype)
        self.encoder_u = Dense(in_size, cfg.width, key=keys[0], rwf=rwf, dtype=dt)
        self.encoder_v = Dense(in_size, cfg.width, key=keys[1], rwf=rwf, dtype=dt)
        sizes = [in_size] + [cfg.width] * cfg.depth
        self.layers = tuple(Dense(i, o, key=k, rwf=rwf, dtype=dt) for i, o, k in zip(sizes, sizes[1:], keys[2:]))
        self.head = Dense(cfg.width, 1, key=keys[-1], rwf=rwf, dtype=dt)
        self.activation = ACTIVATIONS[cfg.activation]

    def __call__(self, z: Float[Array, " in_"]) -> Float[Array, ""]:
        u, v = self.activation(self.encoder_u(z)), self.activation(self.encoder_v(z))
        h = z
        for layer in self.layers:
            g = self.activation(layer(h))
            h = g * u + (1 - g) * v
        return self.head(h)[0]


def build_body(in_size: int, cfg: NetworkConfig, *, key: PRNGKeyArray) -> eqx.Module:
    """The body named by ``cfg.body`` on ``in_size`` features."""
    return {"mlp": MLP, "modified_mlp": ModifiedMLP}[cfg.body](in_size, cfg, key=key)


class FeatureNet(eqx.Module):
    """``(x, t) -> N(x, t)``: coordinate scaling/periodic embedding, Fourier features, body."""

    scaling: CoordinateScaling
    fourier: FourierFeatures | None
    body: eqx.Module
    dtype: str = eqx.field(static=True)

    def __init__(self, cfg: NetworkConfig, x_domain, t_domain, *, key: PRNGKeyArray):
        fkey, bkey = jax.random.split(key)
        self.scaling = CoordinateScaling(tuple(map(float, x_domain)), tuple(map(float, t_domain)),
                                         cfg.periodic_harmonics)
        n = self.scaling.out_size
        self.fourier = None
        if cfg.fourier_features:
            self.fourier = FourierFeatures(n, cfg.fourier_features, cfg.fourier_scale, key=fkey,
                                           dtype=jnp.dtype(cfg.dtype))
            n = self.fourier.out_size
        self.body = build_body(n, cfg, key=bkey)
        self.dtype = cfg.dtype

    def __call__(self, x: Float[Array, ""], t: Float[Array, ""]) -> Float[Array, ""]:
        x, t = jnp.asarray(x, self.dtype), jnp.asarray(t, self.dtype)
        z = self.scaling(x, t)
        if self.fourier is not None:
            z = self.fourier(z)
        return self.body(z)


class PinnNet(eqx.Module):
    """The field ``u(x, t)`` of a physics-informed run, one scalar point at a time.

    ``initial`` and ``boundary_values`` are used only by exact constraints.
    """

    net: FeatureNet
    x_domain: tuple[float, float] = eqx.field(static=True)
    t_domain: tuple[float, float] = eqx.field(static=True)
    exact_ic: bool = eqx.field(static=True)
    exact_dirichlet: tuple[float, float] | None = eqx.field(static=True)
    initial: Callable | None = eqx.field(static=True)

    def __call__(self, x: Float[Array, ""], t: Float[Array, ""]) -> Float[Array, ""]:
        n = self.net(x, t)
        (a, b), (t0, t1) = self.x_domain, self.t_domain
        x = jnp.asarray(x, n.dtype)
        d = 1.0
        if self.exact_dirichlet is not None:
            d = (x - a) * (b - x) / ((b - a) / 2) ** 2
        if self.exact_ic:
            tau = (jnp.asarray(t, n.dtype) - t0) / (t1 - t0)
            return jnp.asarray(self.initial(x), n.dtype) + tau * d * n
        if self.exact_dirichlet is not None:
            va, vb = self.exact_dirichlet
            return va + (vb - va) * (x - a) / (b - a) + d * n
        return n


def build_network(cfg: NetworkConfig, problem, params, *, key: PRNGKeyArray) -> PinnNet:
    """The network of ``cfg`` for ``problem`` (a :class:`pdes.problems.Problem`) with
    resolved ``params``; raises ValueError, before anything compiles, for a config that
    does not fit the problem."""
    check_fits(cfg, problem, params)
    dirichlet = None if problem.periodic or cfg.bc == "soft" else tuple(map(float, problem.boundary_values))
    initial = None
    if cfg.ic == "exact":
        initial = _Initial(problem, params)
    return PinnNet(FeatureNet(cfg, problem.x_domain, problem.t_domain, key=key), tuple(map(float, problem.x_domain)),
                   tuple(map(float, problem.t_domain)), cfg.ic == "exact", dirichlet, initial)


@dataclass(frozen=True, eq=False)
class _Initial:
    """``x -> u0(x)`` of a problem, hashable by identity (a static field of the network)."""

    problem: object
    params: dict

    def __call__(self, x):
        return self.problem.initial(x, self.params)


def check_fits(cfg: NetworkConfig, problem, params) -> None:
    """Raise a one-line ValueError when ``cfg`` cannot represent ``problem``'s conditions."""
    if cfg.periodic_harmonics and not problem.periodic:
        raise ValueError(f"periodic embedding (periodic_harmonics={cfg.periodic_harmonics}) needs a periodic "
                         f"domain, but {problem.name} has Dirichlet boundaries; set periodic_harmonics=0")
    if cfg.bc == "exact" and problem.periodic and not cfg.periodic_harmonics:
        raise ValueError(f"bc=exact on the periodic problem {problem.name} needs the periodic embedding; "
                         "set periodic_harmonics >= 1")
    if cfg.bc == "exact" and cfg.ic == "exact" and not problem.periodic:
        a, b = problem.x_domain
        u0 = [float(problem.initial(jnp.asarray(v), params)) for v in (a, b)]
        if max(abs(u - v) for u, v in zip(u0, problem.boundary_values)) > 1e-6:
            raise ValueError(f"exact ic and bc on {problem.name} need u0 to meet the boundary values "
                             f"{list(problem.boundary_values)}, but u0(a), u0(b) = {u0}")
