"""Operator-learning data sets: the Gaussian random fields' spectra, the Burgers and
Navier-Stokes solvers against exact solutions, invariants and their own convergence
orders, per-sample determinism, and the data contract."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pdes import operator_data
from pdes.operator_data import GaussianRandomField, burgers
from pdes.operator_data import navier_stokes as ns
from pipelines.contract import validate, with_provenance


def _slope(dts, errors):
    return np.polyfit(np.log(dts), np.log(errors), 1)[0]


def test_registry_and_unknown_names():
    assert operator_data.names() == ("burgers", "navier_stokes")
    assert operator_data.get("burgers") is burgers.generate
    with pytest.raises(operator_data.UnknownGeneratorError, match=r"'burger'; did you mean burgers\? \(known: burg"):
        operator_data.get("burger")


# -- Gaussian random fields -----------------------------------------------------------------


def _full_variance(field, n, dim):
    """Pointwise variance: the sum of E|c_k|^2 over all modes of the n^d grid."""
    k = np.meshgrid(*[np.fft.fftfreq(n, 1 / n)] * dim, indexing="ij")
    power = field.sigma**2 * (4 * np.pi**2 * sum(kk**2 for kk in k) + field.tau**2) ** (-field.alpha)
    return power.sum() - power.flat[0]


@pytest.mark.parametrize("field, n, dim, count", [(burgers.PAPER_FIELD, 64, 1, 4000), (ns.FIELD, 16, 2, 2000)])
def test_random_field_has_the_prescribed_spectrum(field, n, dim, count):
    keys = jax.random.split(jax.random.key(1), count)
    w = jax.vmap(lambda key: field.sample(key, n, dim))(keys)
    assert w.shape == (count,) + (n,) * dim
    coeffs = jnp.fft.rfftn(w, axes=tuple(range(1, dim + 1))) / n**dim
    empirical = np.asarray(jnp.mean(jnp.abs(coeffs) ** 2, axis=0))
    expected = field.spectrum(n, dim)
    # |c_k|^2 / E|c_k|^2 is exponential with mean 1 for the complex modes: std 1 / sqrt(count)
    complex_modes = (Ellipsis, slice(1, -1))  # leave out the real ky = 0 and Nyquist modes
    ratio = empirical[complex_modes] / expected[complex_modes]
    assert np.abs(ratio - 1).max() < 5 / np.sqrt(count), np.abs(ratio - 1).max()
    assert empirical.flat[0] < 1e-25  # the constant mode is removed: mean zero in space
    variance = float(jnp.mean(w**2))
    assert variance == pytest.approx(_full_variance(field, n, dim), rel=5 / np.sqrt(count))


def test_random_field_rejects_bad_parameters():
    with pytest.raises(ValueError, match="alpha > 0"):
        GaussianRandomField(sigma=1.0, tau=1.0, alpha=0.0)
    with pytest.raises(ValueError, match="even number"):
        burgers.PAPER_FIELD.sample(jax.random.key(0), 7, 1)


# -- Burgers ------------------------------------------------------------------------------


def _burgers_small(**kw):
    return burgers.generate(**{"n_samples": 3, "seed": 5, "nx": 128, "subsample": 2, "n_times": 4, "dt": 1e-2, **kw})


def test_burgers_dataset_follows_the_contract():
    ds = _burgers_small()
    dims = {"a": ("sample", "x"), "u": ("sample", "t", "x")}
    validate(with_provenance(ds, generator="test", config={}, seed=5), dims=dims)
    assert ds.sizes == {"sample": 3, "x": 64, "t": 4}
    np.testing.assert_allclose(ds.t, [0.25, 0.5, 0.75, 1.0])
    np.testing.assert_allclose(ds.x, np.arange(64) / 64)
    assert ds.sample.values.tolist() == [0, 1, 2]
    assert ds.attrs["initial_field"].startswith("Gaussian, mean 0, covariance 25^2 (-Laplacian + 5^2 I)^(-2)")


def test_burgers_samples_do_not_depend_on_the_batch():
    batch = _burgers_small()
    alone = _burgers_small(n_samples=1, start=2)
    assert alone.sample.values.tolist() == [2]
    np.testing.assert_allclose(alone.a.values[0], batch.a.values[2], rtol=0, atol=1e-15)
    np.testing.assert_allclose(alone.u.values[0], batch.u.values[2], rtol=0, atol=1e-14)
    assert np.abs(batch.a.values[0] - batch.a.values[1]).max() > 0.1  # and samples differ
    float32 = _burgers_small(dtype=jnp.float32)
    assert float32.u.dtype == np.float32
    np.testing.assert_allclose(float32.u.values, batch.u.values, atol=1e-5)


def test_burgers_conserves_the_mean_and_dissipates_energy():
    ds = burgers.generate(4, 0, nx=256, subsample=1, n_times=10, dt=1e-2)
    u = np.concatenate([ds.a.values[:, None], ds.u.values], axis=1)  # (sample, t, x) from t = 0
    np.testing.assert_allclose(u.mean(axis=-1), 0.0, atol=1e-15)
    energy = (u**2).mean(axis=-1)
    assert (np.diff(energy, axis=1) < 0).all()
    assert (energy[:, -1] < 0.5 * energy[:, 0]).all()


def _smooth(n, amplitude=1.0):
    x = jnp.arange(n) / n
    return amplitude * (jnp.sin(2 * jnp.pi * x) + 0.5 * jnp.cos(6 * jnp.pi * x + 1))[None]


def test_burgers_etdrk4_converges_at_fourth_order():
    u0 = _smooth(64)
    solve = lambda dt: np.asarray(burgers.solve(u0, nu=0.02, t_final=0.5, n_times=1, dt=dt)[0])  # noqa: E731
    reference = solve(2.5e-4)
    dts = 0.5 / np.array([10, 20, 40, 80])
    errors = np.array([np.abs(solve(dt) - reference).max() for dt in dts])
    assert 3.7 < _slope(dts, errors) < 4.3, errors


def test_burgers_time_error_on_rough_random_data_is_small():
    # the random fields have 1.5 derivatives: ETDRK4's order drops (to about 2.5 here), but
    # the error at the default step is far below the data's precision needs
    u0 = burgers.PAPER_FIELD.sample(jax.random.key(3), 128, 1)[None]
    solve = lambda dt: np.asarray(burgers.solve(u0, nu=0.1, t_final=1.0, n_times=1, dt=dt)[0])  # noqa: E731
    reference = solve(2.5e-4)
    dts = np.array([0.05, 0.025, 0.0125])
    errors = np.array([np.abs(solve(dt) - reference).max() for dt in dts])
    assert _slope(dts, errors) > 2.0, errors
    assert np.abs(solve(1e-3) - reference).max() < 1e-9


def test_burgers_small_amplitude_is_the_heat_equation():
    # u0 = eps sin(2 pi x): u = eps exp(-4 pi^2 nu t) sin(2 pi x) + O(eps^2)
    x = np.arange(64) / 64
    nu, t = 0.1, 0.5
    errors = []
    for eps in (1e-2, 1e-3):
        u0 = eps * jnp.sin(2 * jnp.pi * jnp.asarray(x))[None]
        u = np.asarray(burgers.solve(u0, nu=nu, t_final=t, n_times=1, dt=1e-2)[0])[0, 0]
        errors.append(np.abs(u - eps * np.exp(-4 * np.pi**2 * nu * t) * np.sin(2 * np.pi * x)).max())
    assert errors[0] < 1e-2 * 1e-2  # relative O(eps)
    assert errors[1] / errors[0] == pytest.approx(1e-2, rel=0.05)  # and the remainder is O(eps^2)


def test_burgers_error_in_space_is_spectral():
    def final(n):
        return np.asarray(burgers.solve(_smooth(n), nu=0.05, t_final=0.2, n_times=1, dt=1e-3)[0])[0, 0]

    reference = final(256)
    errors = {n: np.abs(final(n) - reference[:: 256 // n]).max() for n in (16, 32, 64)}
    assert errors[16] > 1e-3  # the coarse grid is visibly wrong ...
    assert errors[32] < 2e-2 * errors[16] and errors[64] < 1e-4 * errors[32]  # ... and the error collapses
    assert errors[64] < 1e-9


# -- Navier-Stokes ------------------------------------------------------------------------


def _ns_small(**kw):
    defaults = {"n_samples": 3, "seed": 7, "resolution": 32, "subsample": 2, "t_final": 1.0, "n_times": 2, "dt": 1e-2}
    return ns.generate(**{**defaults, **kw})


def test_navier_stokes_dataset_follows_the_contract():
    ds = _ns_small()
    validate(
        with_provenance(ds, generator="test", config={}, seed=7),
        dims={"a": ("sample", "x", "y"), "w": ("sample", "t", "x", "y"), "max_cfl": ("sample",)},
    )
    assert ds.sizes == {"sample": 3, "x": 16, "y": 16, "t": 2}
    np.testing.assert_allclose(ds.t, [0.5, 1.0])
    assert (ds.max_cfl > 0).all() and (ds.max_cfl < 0.5).all()
    assert ds.attrs["initial_field"].startswith("Gaussian, mean 0, covariance 18.5203^2 (-Laplacian + 7^2 I)^(-2.5)")
    assert json.loads(ds.attrs["initial_field_parameters"]) == {"sigma": 7**1.5, "tau": 7.0, "alpha": 2.5}


def test_navier_stokes_samples_do_not_depend_on_the_batch():
    batch = _ns_small()
    alone = _ns_small(n_samples=1, start=1)
    np.testing.assert_allclose(alone.a.values[0], batch.a.values[1], rtol=0, atol=1e-15)
    np.testing.assert_allclose(alone.w.values[0], batch.w.values[1], rtol=0, atol=1e-14)
    float32 = _ns_small(dtype=jnp.float32)
    assert float32.w.dtype == np.float32
    np.testing.assert_allclose(float32.w.values, batch.w.values, atol=1e-5)


def _grid(n):
    x = jnp.arange(n) / n
    return x[:, None], x[None, :]


def test_a_laplacian_eigenfunction_decays_without_advection():
    # modes with one |k|^2 = 5 are steady Euler flows (psi is proportional to w): with f = 0,
    # w = exp(-4 pi^2 nu |k|^2 t) w0, which Crank-Nicolson follows to second order
    x, y = _grid(16)
    w0 = (jnp.sin(2 * jnp.pi * (2 * x + y)) + jnp.cos(2 * jnp.pi * (x - 2 * y)))[None]
    nu, t = 1e-2, 1.0
    rate = 4 * np.pi**2 * nu * 5
    errors = []
    for dt in (2e-2, 1e-2):
        w = np.asarray(ns.solve(w0, nu=nu, t_final=t, n_times=1, dt=dt)[0])[0, 0]
        z = dt * rate
        np.testing.assert_allclose(w, ((1 - z / 2) / (1 + z / 2)) ** round(t / dt) * w0[0], atol=1e-13)
        errors.append(np.abs(w - np.exp(-rate * t) * w0[0]).max())
    assert errors[0] < 1e-4
    assert errors[0] / errors[1] == pytest.approx(4.0, rel=0.01)


def test_mean_vorticity_stays_zero_and_enstrophy_decays_unforced():
    forced = _ns_small(n_samples=2, n_times=5, subsample=1)
    np.testing.assert_allclose(forced.w.mean(dim=("x", "y")), 0.0, atol=1e-15)
    free = _ns_small(n_samples=2, n_times=5, subsample=1, forced=False)
    w = np.concatenate([free.a.values[:, None], free.w.values], axis=1)
    enstrophy = (w**2).mean(axis=(2, 3))
    assert (np.diff(enstrophy, axis=1) < 0).all()
    # the forcing feeds the (1, 1) modes: the forced enstrophy ends higher
    assert (forced.w.values[:, -1] ** 2).mean() > (free.w.values[:, -1] ** 2).mean()


def test_navier_stokes_converges_at_second_order_in_time():
    w0 = ns.FIELD.sample(jax.random.key(2), 32, 2)[None]
    x, y = _grid(32)
    forcing = ns.fno_forcing(x, y)

    def solve(dt):
        return np.asarray(ns.solve(w0, nu=1e-3, t_final=1.0, n_times=1, dt=dt, forcing=forcing)[0])

    reference = solve(1e-3)
    dts = np.array([0.1, 0.05, 0.025])
    errors = np.array([np.abs(solve(dt) - reference).max() for dt in dts])
    assert 1.8 < _slope(dts, errors) < 2.2, errors


def test_blow_up_is_a_clear_error():
    violent = GaussianRandomField(sigma=1e5, tau=7.0, alpha=2.5)
    with pytest.raises(FloatingPointError, match=r"navier_stokes: samples \[0\] are not finite; the largest CFL"):
        ns.generate(1, 0, resolution=16, subsample=1, t_final=5.0, n_times=1, dt=0.5, field=violent, nu=1e-5)
