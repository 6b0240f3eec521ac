"""Cost of one model time unit (MTU): the coarse model with a closure against the full two-level model.

Each side runs at its own step: the coarse model at the closure's coarse step ``dt_c`` (the step its target was
defined on), the two-level model at its RK4 step (0.005 MTU for c = 10). Both are jitted ``lax.scan`` loops over
RK4 steps from one state, in float32, timed after compilation (best of ``repeats``). When a whole MTU of the full
model would take too long, ``max_steps`` steps are timed and the time is scaled to one MTU (``scaled`` is then
True in the result, and the record says so).

>>> coarse = time_coarse(closure, K=1024, dt=0.01, forcing=10.0)
>>> full = time_two_level(parameter_set("lorenz1996", K=1024, J=1024, h=10 / 1024), dt=0.005, max_steps=20)
>>> full["s_per_mtu"] / coarse["s_per_mtu"]
"""

from __future__ import annotations

import time
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["TooLargeForMemory", "available_memory_bytes", "time_coarse", "time_two_level", "two_level_bytes"]

# Peak resident memory of the timed two-level RK4 loop, in float32 copies of the state: measured 14.4 at
# K = J = 8192 on the CPU (the state, four stages, the stage input and XLA's temporaries), rounded up.
_TWO_LEVEL_COPIES = 16


class TooLargeForMemory(MemoryError):
    """The two-level model at this K, J would not fit in this machine's memory (raised before compiling)."""


def two_level_bytes(K: int, J: int) -> int:
    """Estimated peak bytes of :func:`time_two_level` for ``K`` slow and ``K * J`` fast variables (float32)."""
    return _TWO_LEVEL_COPIES * 4 * K * (J + 1)


def available_memory_bytes() -> int | None:
    """``MemAvailable`` from ``/proc/meminfo`` (bytes), or None where that file is missing."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _best_time(fn, args, repeats: int) -> float:
    jax.block_until_ready(fn(*args))  # warm-up (compilation happens in lower/compile before)
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(fn(*args))
        best = min(best, time.perf_counter() - t0)
    return best


def _steps(dt: float, max_steps: int | None) -> tuple[int, int]:
    per_mtu = int(round(1.0 / dt))
    if per_mtu < 1 or abs(per_mtu * dt - 1.0) > 1e-9:
        raise ValueError(f"the step {dt} must divide one model time unit")
    return per_mtu, per_mtu if max_steps is None else max(1, min(per_mtu, max_steps))


def time_coarse(closure: Any, *, K: int, dt: float, forcing: float, max_steps: int | None = None,
                repeats: int = 3, seed: int = 0) -> dict[str, Any]:
    """Seconds per MTU of the coarse model with ``closure`` (None: no closure) on a ring of ``K`` points.

    Returns ``{"s_per_mtu", "s_per_step", "steps_timed", "steps_per_mtu", "scaled", "compile_s", "finite"}``.
    """
    from chaos.lorenz96 import coarse_step

    if closure is not None and hasattr(closure, "check_size"):
        closure.check_size(K)
    per_mtu, n = _steps(dt, max_steps)
    x0 = jnp.asarray(forcing / 2 + np.random.default_rng(seed).standard_normal(K), jnp.float32)

    @eqx.filter_jit
    def run(x, closure):
        return jax.lax.fori_loop(0, n, lambda i, s: coarse_step(s, jnp.float32(dt), jnp.float32(forcing), closure),
                                 x)

    t0 = time.perf_counter()
    out = jax.block_until_ready(run(x0, closure))
    compile_s = time.perf_counter() - t0
    seconds = _best_time(run, (x0, closure), repeats)
    return {"s_per_mtu": seconds * per_mtu / n, "s_per_step": seconds / n, "steps_timed": n, "steps_per_mtu": per_mtu,
            "scaled": n < per_mtu, "compile_s": compile_s, "finite": bool(np.isfinite(np.asarray(out)).all())}


def time_two_level(p: Any, *, dt: float = 0.005, max_steps: int | None = None, repeats: int = 3,
                   seed: int = 0) -> dict[str, Any]:
    """Seconds per MTU of the two-level model ``p`` (:class:`chaos.lorenz96.L96Params`), RK4 step ``dt``.

    Returns the same keys as :func:`time_coarse`.

    Raises:
        TooLargeForMemory: :func:`two_level_bytes` exceeds the memory available now (checked before compiling).
    """
    from chaos.lorenz96 import rk4_step, two_level_tendency

    need, have = two_level_bytes(p.K, p.J), available_memory_bytes()
    if have is not None and need > have:
        raise TooLargeForMemory(f"the two-level model at K={p.K}, J={p.J} needs about {need / 1e9:.0f} GB "
                                f"({_TWO_LEVEL_COPIES} float32 copies of K*J fast variables); {have / 1e9:.0f} GB "
                                "are available on this machine")

    per_mtu, n = _steps(dt, max_steps)
    rng = np.random.default_rng(seed)
    x0 = jnp.asarray(p.F / 2 + rng.standard_normal(p.K), jnp.float32)
    y0 = jnp.asarray(0.1 * rng.standard_normal(p.K * p.J), jnp.float32)

    @jax.jit
    def run(x, y):
        step = lambda i, s: rk4_step(lambda t: two_level_tendency(*t, p), s, jnp.float32(dt))  # noqa: E731
        return jax.lax.fori_loop(0, n, step, (x, y))

    t0 = time.perf_counter()
    out = jax.block_until_ready(run(x0, y0))
    compile_s = time.perf_counter() - t0
    seconds = _best_time(run, (x0, y0), repeats)
    finite = all(bool(np.isfinite(np.asarray(a)).all()) for a in out)
    return {"s_per_mtu": seconds * per_mtu / n, "s_per_step": seconds / n, "steps_timed": n, "steps_per_mtu": per_mtu,
            "scaled": n < per_mtu, "compile_s": compile_s, "finite": finite}
