"""2-D incompressible Navier-Stokes in vorticity form on the unit torus ``[0, 1)^2``:

    w_t + u . grad w = nu Laplacian w + f,   u = (psi_y, -psi_x),   -Laplacian psi = w,

the operator-learning data set of the Fourier neural operator paper (Li et al. 2021,
section 5.3), mapping the initial vorticity ``a = w(., 0)`` to ``w`` at later times.

Data, as in FNO's generator (``data_generation/navier_stokes/ns_2d.py`` and
``random_fields.py`` in neuraloperator/neuraloperator, read for the parameters):

* forcing ``f(x, y) = 0.1 (sin(2 pi (x + y)) + cos(2 pi (x + y)))`` (:func:`fno_forcing`);
* ``w0`` Gaussian, mean zero, covariance ``7^3 (-Laplacian + 49 I)^(-2.5)``, constant mode
  removed (:data:`FIELD`). The paper writes ``7^(3/2) (-Laplacian + 49 I)^(-2.5)``, but
  FNO's ``GaussianRF(2, s, alpha=2.5, tau=7)`` multiplies the *square root* of the
  eigenvalues by ``sigma = tau^(alpha - d/2) = 7^(3/2)``, so its covariance, which this
  module reproduces, has ``sigma^2 = 7^3``;
* ``nu = 1e-3`` with ``t_final = 50`` recorded at ``t = 1, 2, ..., 50``, on a 256^2 grid
  subsampled to 64^2.

Solver: Fourier pseudo-spectral, 2/3-rule dealiasing (square mask, applied to the
vorticity before the product and to the product), Crank-Nicolson on the viscous term and
Heun (explicit trapezoidal, second order) on advection and forcing, as a predictor and a
corrector that each solve the diagonal Crank-Nicolson system::

    (1 - dt L / 2) w* = (1 + dt L / 2) w + dt (N(w) + f)
    (1 - dt L / 2) w' = (1 + dt L / 2) w + dt ((N(w) + N(w*)) / 2 + f)

(second order; FNO's generator uses forward Euler on advection with ``dt = 1e-4``). The
default ``dt = 1e-3`` keeps the advective CFL number ``dt max(|u| + |v|) / dx`` near
0.1 on these data at 256^2 (``nu = 1e-3``, ``t_final = 50``), and on 128^2 over
``t in [0, 50]`` the solutions with ``dt = 1e-3`` and ``5e-4`` differ by 3e-7 (with
``max |w|`` about 2). The largest CFL number met is returned per sample (``max_cfl``)
and a non-finite solution is an error naming the samples.
"""

from __future__ import annotations

import json
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr
from jax import lax
from jaxtyping import Array, Float

from ..spectral import grid
from ._grf import GaussianRandomField
from ._samples import check_finite, coords, sample_indices, sample_keys, save_times

NAME = "navier_stokes"
EQUATION = "w_t + u . grad w = nu Laplacian w + f, u = (psi_y, -psi_x), -Laplacian psi = w, on [0, 1)^2 periodic"
FIELD = GaussianRandomField(sigma=7**1.5, tau=7.0, alpha=2.5)
METHOD = (
    "Fourier pseudo-spectral, 2/3-rule dealiasing; Crank-Nicolson on viscosity, Heun on advection and "
    "forcing (predictor-corrector, second order)"
)


def fno_forcing(x, y):
    """FNO's forcing ``0.1 (sin(2 pi (x + y)) + cos(2 pi (x + y)))`` at broadcastable ``x, y``."""
    return 0.1 * (jnp.sin(2 * jnp.pi * (x + y)) + jnp.cos(2 * jnp.pi * (x + y)))


def _operators(n: int, dtype) -> dict:
    """Angular wavenumbers ``kx (n, 1)``, ``ky (1, m)`` of the ``rfft2`` modes, ``|k|^2``,
    ``1 / |k|^2`` (0 at ``k = 0``) and the dealiasing mask, as arrays of ``dtype``."""
    kx = np.fft.fftfreq(n, 1 / n)[:, None]
    ky = np.fft.rfftfreq(n, 1 / n)[None, :]
    mask = (np.abs(kx) < n / 3) & (ky < n / 3)
    k2 = 4 * np.pi**2 * (kx**2 + ky**2)
    inv_k2 = np.where(k2 > 0, 1 / np.where(k2 > 0, k2, 1), 0.0)
    ops = {"kx": 2 * np.pi * kx, "ky": 2 * np.pi * ky, "k2": k2, "inv_k2": inv_k2, "mask": mask}
    return {name: jnp.asarray(v, dtype=dtype) for name, v in ops.items()}


def _advection(w_hat, ops, n):
    """Fourier coefficients of ``-u . grad w`` (dealiased) and ``max(|u| + |v|)``."""
    w_hat = ops["mask"] * w_hat
    psi_hat = ops["inv_k2"] * w_hat
    kx, ky = ops["kx"], ops["ky"]
    grads = jnp.stack([1j * ky * psi_hat, -1j * kx * psi_hat, 1j * kx * w_hat, 1j * ky * w_hat])
    u, v, w_x, w_y = jnp.fft.irfft2(grads, s=(n, n))
    speed = jnp.max(jnp.abs(u) + jnp.abs(v))
    return -ops["mask"] * jnp.fft.rfft2(u * w_x + v * w_y), speed


def _step(w_hat, ops, f_hat, nu, dt, n):
    """One Crank-Nicolson / Heun step; also the largest ``|u| + |v|`` seen in it."""
    half = 0.5 * dt * nu * ops["k2"]
    explicit = (1 - half) * w_hat
    n1, s1 = _advection(w_hat, ops, n)
    w_star = (explicit + dt * (n1 + f_hat)) / (1 + half)
    n2, s2 = _advection(w_star, ops, n)
    w_next = (explicit + dt * (0.5 * (n1 + n2) + f_hat)) / (1 + half)
    return w_next, jnp.maximum(s1, s2)


@partial(jax.jit, static_argnames=("n_times", "subsample"))
def _integrate(w0, f, nu, dt, steps, *, n_times, subsample):
    n = w0.shape[-1]
    ops = _operators(n, w0.dtype)
    f_hat = jnp.fft.rfft2(f)
    nu, dt = jnp.asarray(nu, w0.dtype), jnp.asarray(dt, w0.dtype)

    def one(w0):
        def advance(carry, _):
            def body(_, c):
                w_hat, speed = c
                w_hat, s = _step(w_hat, ops, f_hat, nu, dt, n)
                return w_hat, jnp.maximum(speed, s)

            carry = lax.fori_loop(0, steps, body, carry)
            w = jnp.fft.irfft2(carry[0], s=(n, n))[::subsample, ::subsample]
            return carry, w

        init = (jnp.fft.rfft2(w0), jnp.zeros((), w0.dtype))
        (_, speed), ws = lax.scan(advance, init, length=n_times)
        return ws, speed * dt * n

    return jax.vmap(one)(w0)


def solve(
    w0: Float[Array, "batch n n"],
    *,
    nu: float,
    t_final: float,
    n_times: int,
    dt: float,
    forcing: Float[Array, "n n"] | None = None,
    subsample: int = 1,
) -> tuple[Float[Array, "batch n_times n/subsample n/subsample"], np.ndarray, float, Float[Array, " batch"]]:
    """Solve from the vorticities ``w0`` at the grid points ``(i / n, j / n)`` (x first).

    Args:
        w0: initial vorticity per batch member; its dtype is the computation's.
        nu: viscosity.
        t_final, n_times: ``w`` is saved at ``t_final * (1..n_times) / n_times``.
        dt: largest time step; the one used divides the saving interval.
        forcing: ``f`` on the grid (time independent), or None for ``f = 0``.
        subsample: keep every ``subsample``-th point along each axis.

    Returns:
        ``w`` (batch, n_times, n / subsample, n / subsample), the saved times, the step
        used and the largest CFL number ``dt max(|u| + |v|) / dx`` met, per batch member.
    """
    n = w0.shape[-1]
    if w0.shape[-2] != n or n % 2:
        raise ValueError(f"the grid must be square with an even side, got {w0.shape[-2:]}")
    if subsample < 1 or n % subsample:
        raise ValueError(f"subsample={subsample} must be >= 1 and divide the resolution {n}")
    times, step, steps = save_times(t_final, n_times, dt)
    f = jnp.zeros((n, n), w0.dtype) if forcing is None else jnp.asarray(forcing, dtype=w0.dtype)
    w, cfl = _integrate(w0, f, nu, step, jnp.asarray(steps), n_times=n_times, subsample=subsample)
    return w, times, step, cfl


def generate(
    n_samples: int,
    seed: int,
    *,
    start: int = 0,
    nu: float = 1e-3,
    resolution: int = 256,
    subsample: int = 4,
    t_final: float = 50.0,
    n_times: int = 50,
    dt: float = 1e-3,
    field: GaussianRandomField = FIELD,
    forced: bool = True,
    dtype=jnp.float64,
) -> xr.Dataset:
    """Samples ``start, ..., start + n_samples - 1`` of the Navier-Stokes data set.

    Sample ``i`` is drawn from the key ``fold_in(key(seed), i)``, so it is the same whichever
    batch it is generated in. All samples are solved together (vmapped).

    Args:
        n_samples: how many samples.
        seed: the seed of the sequence of samples.
        start: global index of the first sample.
        nu: viscosity (FNO: 1e-3, 1e-4, 1e-5; smaller needs finer grids and steps).
        resolution: solver grid points per axis (even).
        subsample: keep every ``subsample``-th point per axis (must divide ``resolution``).
        t_final: the last saved time.
        n_times: how many times are saved, evenly spaced up to ``t_final``.
        dt: largest time step.
        field: the law of the initial vorticity.
        forced: FNO's forcing :func:`fno_forcing` if True, none if False.
        dtype: ``jnp.float64`` or ``jnp.float32`` (faster; fields rounded from float64).

    Returns:
        A Dataset with coordinates ``sample`` (global index), ``x`` and ``y`` (``resolution
        // subsample`` points each) and ``t`` (``n_times``), and variables ``a`` (sample, x,
        y), the initial vorticity, ``w`` (sample, t, x, y), the vorticity, and ``max_cfl``
        (sample), the largest CFL number met; all dimensionless.

    Raises:
        FloatingPointError: a solution is not finite, naming the samples.
    """
    indices = sample_indices(n_samples, start)
    keys = sample_keys(seed, indices)
    a = jax.vmap(lambda key: field.sample(key, resolution, 2, dtype))(keys)
    xs = grid(resolution, (0.0, 1.0))
    forcing = fno_forcing(xs[:, None], xs[None, :]) if forced else None
    w, times, step, cfl = solve(
        a, nu=nu, t_final=t_final, n_times=n_times, dt=dt, forcing=forcing, subsample=subsample
    )
    w, cfl = np.asarray(w), np.asarray(cfl)
    check_finite(NAME, w, indices, f"the largest CFL numbers were {cfl.max():.3g}; reduce dt or raise the resolution")
    x = xs[::subsample]
    return xr.Dataset(
        {
            "a": (("sample", "x", "y"), np.asarray(a[:, ::subsample, ::subsample]),
                  {"long_name": "initial vorticity w(x, y, 0)", "units": "1"}),
            "w": (("sample", "t", "x", "y"), w, {"long_name": "vorticity w(x, y, t)", "units": "1"}),
            "max_cfl": ("sample", cfl, {"long_name": "largest CFL number dt max(|u| + |v|) / dx", "units": "1"}),
        },
        coords=coords(indices, x, times, names=("x", "y")),
        attrs={
            "generator": f"pdes.operator_data.{NAME}",
            "equation": EQUATION,
            "parameters": json.dumps({"nu": nu}),
            "forcing": "0.1 (sin(2 pi (x + y)) + cos(2 pi (x + y)))" if forced else "none",
            "initial_field": "Gaussian, mean 0, covariance " + field.describe(),
            "initial_field_parameters": field.to_json(),
            "seed": seed,
            "sample_keys": "fold_in(jax.random.key(seed), sample)",
            "method": METHOD,
            "method_options": json.dumps(
                {"dt": step, "resolution": resolution, "subsample": subsample, "dtype": jnp.dtype(dtype).name}
            ),
        },
    )
