"""Collocation samplers: where the residual is evaluated, one registry.

A sampler is a frozen module with three pure functions, run inside the jitted training step:

* ``init(key) -> SamplerState``: the first points;
* ``weights(state) -> (n,)``: each point's weight in the residual loss (0 for empty slots);
* ``update(state, key, step, abs_residual, residual_fn) -> SamplerState``: the next points,
  from ``abs_residual`` (n,) of the step just taken (free) or, for pool-based samplers, from
  ``residual_fn(points (m, 2)) -> (m,)`` on a fresh pool every ``period`` steps.

Samplers (``names()``):

* ``fixed``: uniform points drawn once.
* ``resample``: fresh uniform points every ``period`` steps.
* ``r3``: Retain-Resample-Release (Daw et al. 2023): keep the points whose ``|r|`` exceeds
  the mean ``|r|``, replace the others by uniform points, every step.
* ``causal_r3``: R3 with fitness ``|r| g(t)``, ``g = (1 - tanh(alpha (t_hat - beta)))/2``
  on ``t_hat in [0, 1]``, the loss weighted by ``g^2``, and the gate moved by
  ``beta += beta_lr * min(exp(-tol * mean((|r| g)^2)), grad_clip)``.
* ``rar_g``: greedy residual-based adaptive refinement (Lu et al. 2021): every ``period``
  steps add the ``n_add`` points of largest ``|r|`` out of a uniform pool of ``pool`` points
  (fixed-size buffer with a mask).
* ``rad``: residual-based adaptive distribution (Wu et al. 2023): every ``period`` steps
  draw all points from the pool with probability ``|r|^k / mean(|r|^k) + c``.

Uniform draws stratify ``t`` (point ``i`` of ``n`` lies in ``[i, i+1) / n`` of the interval, in
a random order), so that every causal time chunk gets its share; the marginal is still
uniform. R3's replacement points are plain i.i.d. uniform draws, as in the paper: they fill
only the released slots, and skipping the stratification's random permutation (a sort) every
step keeps R3's overhead over fixed points small.
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass, field

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, Int, PRNGKeyArray


class SamplerState(eqx.Module):
    """Points ``(n, 2)`` as ``(x, t)`` columns, the ``active`` mask (n,) (1: in use) and the
    causal gate's shift ``beta`` (causal R3 only)."""

    points: Float[Array, "n 2"]
    active: Float[Array, " n"]
    beta: Float[Array, ""]


@dataclass(frozen=True)
class SamplerConfig:
    """Options of every sampler; each reads its own.

    Attributes:
        n_points: collocation points (R3 paper: 1000).
        period: steps between updates of ``resample`` (default 1), ``rar_g`` and ``rad``
            (default 1000, as in the R3 paper's baselines); None: the sampler's default.
        pool: size of the dense uniform pool of ``rar_g`` and ``rad``.
        n_add: points added per ``rar_g`` update.
        max_added: capacity for added ``rar_g`` points (the buffer is ``n_points + max_added``).
        rad_k, rad_c: exponent and offset of the ``rad`` density.
        alpha, beta0, beta_lr, tol, grad_clip: the causal gate of ``causal_r3``
            (paper defaults 5, -0.5, 1e-3, 20, 0.1).
    """

    n_points: int = field(default=1000, metadata={"min": 2})
    period: int | None = field(default=None, metadata={"min": 1})
    pool: int = field(default=10_000, metadata={"min": 2})
    n_add: int = field(default=10, metadata={"min": 1})
    max_added: int = field(default=1000, metadata={"min": 0})
    rad_k: float = 1.0
    rad_c: float = 1.0
    alpha: float = 5.0
    beta0: float = -0.5
    beta_lr: float = 1e-3
    tol: float = 20.0
    grad_clip: float = 0.1


def uniform_points(key: PRNGKeyArray, n: int, x_domain, t_domain, dtype=jnp.float32, *,
                   stratified: bool = True) -> Float[Array, "n 2"]:
    """``n`` uniform points in the domain, ``t`` stratified into ``n`` equal strata (in random
    order) or, with ``stratified=False``, i.i.d. uniform."""
    kx, kt, kp = jax.random.split(key, 3)
    (a, b), (t0, t1) = x_domain, t_domain
    x = jax.random.uniform(kx, (n,), dtype, a, b)
    u = jax.random.uniform(kt, (n,), dtype)
    if stratified:
        u = jax.random.permutation(kp, (jnp.arange(n, dtype=dtype) + u) / n)
    return jnp.stack([x, t0 + (t1 - t0) * u], axis=-1)


class AbstractSampler(eqx.Module):
    """A sampler over the rectangle ``x_domain x t_domain``."""

    cfg: SamplerConfig = eqx.field(static=True)
    x_domain: tuple[float, float] = eqx.field(static=True)
    t_domain: tuple[float, float] = eqx.field(static=True)
    dtype: str = eqx.field(static=True, default="float32")
    default_period: int = eqx.field(static=True, default=1)

    @property
    def period(self) -> int:
        return self.cfg.period or self.default_period

    def _draw(self, key, n, stratified: bool = True):
        return uniform_points(key, n, self.x_domain, self.t_domain, jnp.dtype(self.dtype), stratified=stratified)

    @property
    def capacity(self) -> int:
        return self.cfg.n_points

    def init(self, key: PRNGKeyArray) -> SamplerState:
        n = self.cfg.n_points
        pts = self._draw(key, self.capacity)
        active = (jnp.arange(self.capacity) < n).astype(self.dtype)
        return SamplerState(pts, active, jnp.asarray(self.cfg.beta0, self.dtype))

    def weights(self, state: SamplerState) -> Float[Array, " n"]:
        return state.active

    def update(self, state: SamplerState, key: PRNGKeyArray, step: Int[Array, ""],
               abs_residual: Float[Array, " n"], residual_fn) -> SamplerState:
        return state


class Fixed(AbstractSampler):
    """Uniform points drawn once."""


class Resample(AbstractSampler):
    """Fresh uniform points every ``period`` steps."""

    def update(self, state, key, step, abs_residual, residual_fn):
        fresh = self._draw(key, self.capacity)
        pts = jnp.where((step + 1) % self.period == 0, fresh, state.points)
        return eqx.tree_at(lambda s: s.points, state, pts)


def r3_update(points: Float[Array, "n 2"], fitness: Float[Array, " n"], fresh: Float[Array, "n 2"]):
    """Retain the points whose fitness is above the mean fitness, release the rest and put
    ``fresh`` points in their places; returns ``(points, retained mask)``."""
    keep = fitness > jnp.mean(fitness)
    return jnp.where(keep[:, None], points, fresh), keep


class R3(AbstractSampler):
    """Retain-Resample-Release, every step, on the residuals of the step just taken."""

    def update(self, state, key, step, abs_residual, residual_fn):
        pts, _ = r3_update(state.points, abs_residual, self._draw(key, self.capacity, stratified=False))
        return eqx.tree_at(lambda s: s.points, state, pts)


class CausalR3(AbstractSampler):
    """R3 with a causal gate in time that opens as the gated loss falls."""

    def gate(self, t: Float[Array, "..."], beta: Float[Array, ""]) -> Float[Array, "..."]:
        t0, t1 = self.t_domain
        return (1 - jnp.tanh(self.cfg.alpha * ((t - t0) / (t1 - t0) - beta))) / 2

    def weights(self, state):
        return self.gate(state.points[:, 1], state.beta) ** 2

    def update(self, state, key, step, abs_residual, residual_fn):
        g = self.gate(state.points[:, 1], state.beta)
        fitness = abs_residual * g
        pts, _ = r3_update(state.points, fitness, self._draw(key, self.capacity, stratified=False))
        push = jnp.minimum(jnp.exp(-self.cfg.tol * jnp.mean(fitness**2)), self.cfg.grad_clip)
        return SamplerState(pts, state.active, state.beta + self.cfg.beta_lr * push)


class RarG(AbstractSampler):
    """Greedy refinement: ``n_add`` worst pool points join the set every ``period`` steps."""

    @property
    def capacity(self) -> int:
        return self.cfg.n_points + self.cfg.max_added

    def update(self, state, key, step, abs_residual, residual_fn):
        n_add = self.cfg.n_add
        count = jnp.sum(state.active).astype(jnp.int32)
        due = ((step + 1) % self.period == 0) & (count + n_add <= self.capacity)

        def refine(state):
            pool = self._draw(key, self.cfg.pool)
            _, idx = jax.lax.top_k(jnp.abs(residual_fn(pool)), n_add)
            pts = jax.lax.dynamic_update_slice(state.points, pool[idx], (count, jnp.zeros_like(count)))
            active = jax.lax.dynamic_update_slice(state.active, jnp.ones((n_add,), state.active.dtype), (count,))
            return SamplerState(pts, active, state.beta)

        return jax.lax.cond(due, refine, lambda s: s, state)


class Rad(AbstractSampler):
    """Every ``period`` steps, all points drawn from the pool with density ``~ |r|^k / mean + c``."""

    def update(self, state, key, step, abs_residual, residual_fn):
        def redraw(state):
            kpool, kpick = jax.random.split(key)
            pool = self._draw(kpool, self.cfg.pool)
            e = jnp.abs(residual_fn(pool)) ** self.cfg.rad_k
            p = e / jnp.mean(e) + self.cfg.rad_c
            idx = jax.random.choice(kpick, self.cfg.pool, (self.capacity,), replace=False, p=p / jnp.sum(p))
            return eqx.tree_at(lambda s: s.points, state, pool[idx])

        return jax.lax.cond((step + 1) % self.period == 0, redraw, lambda s: s, state)


_SAMPLERS: dict[str, type[AbstractSampler]] = {
    "fixed": Fixed,
    "resample": Resample,
    "r3": R3,
    "causal_r3": CausalR3,
    "rar_g": RarG,
    "rad": Rad,
}


def names() -> tuple[str, ...]:
    """Names of the samplers."""
    return tuple(_SAMPLERS)


def build_sampler(name: str, cfg: SamplerConfig, x_domain, t_domain, dtype: str = "float32",
                  steps: int | None = None) -> AbstractSampler:
    """The sampler called ``name``; an unknown name is an error listing the known ones.

    ``steps``: the training steps it will serve, if known. ``rar_g`` then keeps room only for
    the points it can add in that many steps (``n_add`` per ``period``, at most ``max_added``):
    the loss runs over the whole buffer every step, so unused room would cost as much as points.
    """
    if name not in _SAMPLERS:
        close = difflib.get_close_matches(name, names(), n=2)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ValueError(f"unknown sampler {name!r}{hint} (known: {', '.join(names())})")
    if name == "rad" and cfg.pool < cfg.n_points:
        raise ValueError(f"rad draws n_points={cfg.n_points} distinct points from pool={cfg.pool}; raise pool")
    period = 1000 if name in ("rar_g", "rad") else 1
    if name == "rar_g" and steps is not None:
        cfg = dataclasses.replace(cfg, max_added=min(cfg.max_added, cfg.n_add * (int(steps) // (cfg.period or period))))
    return _SAMPLERS[name](cfg, tuple(map(float, x_domain)), tuple(map(float, t_domain)), dtype, period)
