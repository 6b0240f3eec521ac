"""Viscous Burgers ``u_t + (u^2 / 2)_x = nu u_xx`` on the periodic interval ``[0, 1)`` from
Gaussian random initial fields: the operator-learning data set of the Fourier neural
operator paper (Li et al. 2021, section 5.1), mapping ``a = u(., 0)`` to ``u(., t_final)``.

Initial fields: mean zero, covariance ``625 (-Laplacian + 25 I)^(-2)`` (sigma = 25,
tau = 5, alpha = 2), the measure the FNO paper states, constant mode removed as in FNO's
generator (:data:`PAPER_FIELD`). The MATLAB script published with FNO
(``data_generation/burgers/gen_burgers1.m`` in neuraloperator/neuraloperator) instead
uses ``49^2 (-Laplacian + 49 I)^(-2.5)``; pass ``field=SCRIPT_FIELD`` for that.

Solver: Fourier pseudo-spectral on ``nx`` points (FNO: 2^13 = 8192), ETDRK4 with the
exact diffusion symbol ``L = -nu k^2`` and ``N = -(u^2 / 2)_x`` dealiased by the 2/3
rule, ``dt = 1e-3`` by default (FNO used a split-step scheme; MATLAB's ``spin`` in the
script). The output is the grid subsampled by ``subsample`` (FNO: 8192 / 2^k). The
initial fields have only 1.5 derivatives (their spectrum falls like ``k^-4``), which
lowers ETDRK4's order from 4 (smooth data) to about 2.5; at ``dt = 1e-3`` the
time-stepping error is still below 1e-10 (``nu = 0.1``, ``t = 1``).

>>> ds = generate(16, seed=0)                 # a (sample, x), u (sample, t, x), 1024 points
>>> more = generate(16, seed=0, start=16)     # the next 16 samples of the same sequence
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

from ..spectral import dealias_mask, etdrk4_coefficients, etdrk4_step, grid, wavenumbers
from ._grf import GaussianRandomField
from ._samples import check_finite, coords, sample_indices, sample_keys, save_times

NAME = "burgers"
EQUATION = "u_t + (u^2 / 2)_x = nu u_xx, x in [0, 1) periodic"
PAPER_FIELD = GaussianRandomField(sigma=25.0, tau=5.0, alpha=2.0)
SCRIPT_FIELD = GaussianRandomField(sigma=49.0, tau=7.0, alpha=2.5)
METHOD = "ETDRK4 (Cox & Matthews 2002) on a Fourier pseudo-spectral grid, 2/3-rule dealiasing"


def nonlinear(v, args):
    """Fourier coefficients of ``-(u^2 / 2)_x`` (dealiased) from those of ``u``."""
    u = jnp.fft.irfft(v, n=2 * (v.shape[-1] - 1))
    return -0.5j * args["k"] * args["mask"] * jnp.fft.rfft(u**2)


def solve(
    u0: Float[Array, "batch nx"], *, nu: float, t_final: float, n_times: int, dt: float
) -> tuple[Float[Array, "batch n_times nx"], np.ndarray, float]:
    """Solve from the grid values ``u0`` (points ``j / nx``) of each batch member.

    Returns ``u`` at the times ``t_final * (1..n_times) / n_times`` (also returned), in the
    dtype of ``u0``, and the step used (the largest ``<= dt`` dividing the saving interval).
    """
    nx = u0.shape[-1]
    if nx % 2:
        raise ValueError(f"the Fourier grid needs an even number of points, got nx={nx}")
    times, step, steps = save_times(t_final, n_times, dt)
    dtype = u0.dtype
    k = wavenumbers(nx, 1.0)
    coeffs = jax.tree.map(lambda c: c.astype(dtype), etdrk4_coefficients(-nu * k**2, step))
    args = {"k": k.astype(dtype), "mask": dealias_mask(nx).astype(dtype)}
    u = _integrate(coeffs, u0, args, jnp.asarray(steps), n_times=n_times)
    return u, times, step


@partial(jax.jit, static_argnames=("n_times",))
def _integrate(coeffs, u0, args, steps, *, n_times):
    nx = u0.shape[-1]

    def one(u0):
        def advance(v, _):
            v = lax.fori_loop(0, steps, lambda _, w: etdrk4_step(coeffs, nonlinear, w, args), v)
            return v, v

        _, vs = lax.scan(advance, jnp.fft.rfft(u0), length=n_times)
        return jnp.fft.irfft(vs, n=nx, axis=-1)

    return jax.vmap(one)(u0)


def generate(
    n_samples: int,
    seed: int,
    *,
    start: int = 0,
    nx: int = 8192,
    subsample: int = 8,
    nu: float = 0.1,
    t_final: float = 1.0,
    n_times: int = 1,
    dt: float = 1e-3,
    field: GaussianRandomField = PAPER_FIELD,
    dtype=jnp.float64,
) -> xr.Dataset:
    """Samples ``start, ..., start + n_samples - 1`` of the Burgers data set.

    Sample ``i`` is drawn from the key ``fold_in(key(seed), i)``, so it is the same whichever
    batch it is generated in. All samples are solved together (vmapped).

    Args:
        n_samples: how many samples.
        seed: the seed of the sequence of samples.
        start: global index of the first sample.
        nx: solver grid points (even); the output has ``nx // subsample``.
        subsample: keep every ``subsample``-th point (must divide ``nx``).
        nu: viscosity.
        t_final: the last saved time.
        n_times: how many times are saved, evenly spaced up to ``t_final`` (``t = 0`` is
            ``a``).
        dt: largest time step.
        field: the law of the initial field.
        dtype: ``jnp.float64`` or ``jnp.float32`` (faster; fields rounded from float64).

    Returns:
        A Dataset with coordinates ``sample`` (global index), ``x`` (``nx // subsample``
        points ``j subsample / nx``) and ``t`` (``n_times``), and variables ``a`` (sample,
        x), the initial field, and ``u`` (sample, t, x), the solution; all dimensionless.

    Raises:
        FloatingPointError: a solution is not finite, naming the samples.
    """
    if subsample < 1 or nx % subsample:
        raise ValueError(f"subsample={subsample} must be >= 1 and divide nx={nx}")
    indices = sample_indices(n_samples, start)
    keys = sample_keys(seed, indices)
    a = jax.vmap(lambda key: field.sample(key, nx, 1, dtype))(keys)
    u, times, step = solve(a, nu=nu, t_final=t_final, n_times=n_times, dt=dt)
    a, u = np.asarray(a[:, ::subsample]), np.asarray(u[..., ::subsample])
    check_finite(NAME, u, indices, "reduce dt or raise nx")
    x = grid(nx, (0.0, 1.0))[::subsample]
    return xr.Dataset(
        {
            "a": (("sample", "x"), a, {"long_name": "initial field u(x, 0)", "units": "1"}),
            "u": (("sample", "t", "x"), u, {"long_name": "solution u(x, t)", "units": "1"}),
        },
        coords=coords(indices, x, times),
        attrs={
            "generator": f"pdes.operator_data.{NAME}",
            "equation": EQUATION,
            "parameters": json.dumps({"nu": nu}),
            "initial_field": "Gaussian, mean 0, covariance " + field.describe(),
            "initial_field_parameters": field.to_json(),
            "seed": seed,
            "sample_keys": "fold_in(jax.random.key(seed), sample)",
            "method": METHOD,
            "method_options": json.dumps(
                {"dt": step, "nx": nx, "subsample": subsample, "dtype": jnp.dtype(dtype).name}
            ),
        },
    )
