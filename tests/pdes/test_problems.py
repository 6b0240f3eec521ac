"""The problem registry, the reference Datasets' contract, and the agreement of every
problem's residual with its own reference solution (so that the two cannot drift)."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import xarray as xr

from pdes import problems
from pipelines.contract import validate, with_provenance

NAMES = ("allen_cahn", "burgers", "convection", "kdv", "ks", "reaction", "reaction_diffusion")
CASES = [(n, "default") for n in NAMES] + [("ks", "chaotic"), ("kdv", "soliton"), ("burgers", "travelling")]


def small(problem):
    """The problem over a short time, with options for a quick, coarse reference."""
    problem = dataclasses.replace(problem, t_domain=(0.0, 0.1))
    return problem.with_options(dt=1e-3) if hasattr(problem.options, "dt") else problem


def test_names_and_unknown_names():
    assert problems.names() == NAMES
    with pytest.raises(problems.UnknownProblemError, match=r"'burger'; did you mean burgers\? \(known: allen_cahn, "):
        problems.get("burger")
    with pytest.raises(ValueError, match=r"no variant 'chaos'; known: \['default', 'chaotic'\]"):
        problems.get("ks", variant="chaos")
    with pytest.raises(ValueError, match=r"no parameter\(s\) \['nu'\]; known: \['beta'\]"):
        problems.get("convection").reference(8, 2, params={"nu": 1.0})
    with pytest.raises(ValueError, match="already registered"):
        problems.register(problems.get("ks"))


def test_variants_replace_fields():
    regular, chaotic = problems.get("ks"), problems.get("ks", "chaotic")
    assert regular.params == {"a": 5.0, "b": 0.5, "c": 0.005}
    assert chaotic.params == {"a": 100 / 16, "b": 100 / 16**2, "c": 100 / 16**4}
    assert chaotic.variant_name == "chaotic" and chaotic.options.dt < regular.options.dt
    x = jnp.array([0.3, 1.0])
    np.testing.assert_allclose(regular.u0(x), -np.sin(np.pi * x))
    assert regular.x_domain == (-1.0, 1.0) and chaotic.x_domain == (0.0, 2 * np.pi)
    np.testing.assert_allclose(chaotic.u0(x), np.cos(x) * (1 + np.sin(x)))


def test_error_offset_names_a_parameter():
    travelling = problems.get("burgers", "travelling")
    assert travelling.error_norm_offset() == 50.0 and travelling.error_norm_offset({"C": 2.0}) == 2.0
    assert problems.get("burgers").error_norm_offset() == 0.0
    with pytest.raises(ValueError, match="error_offset 'D' is not a parameter; known: nu, C"):
        dataclasses.replace(travelling, error_offset="D")


@pytest.mark.parametrize("name, variant", CASES)
def test_reference_dataset_follows_the_contract(name, variant):
    problem = small(problems.get(name, variant))
    ds = problem.reference(32, 3)
    validate(with_provenance(ds, generator="test", config={}, seed=None), dims={"u": ("t", "x")})
    for var in ds.variables.values():
        assert var.attrs["units"] == "1" and var.attrs["long_name"]
    assert ds.attrs["problem"] == name and ds.attrs["variant"] == variant and ds.attrs["method"]
    assert ds.sizes == {"t": 3, "x": 32}
    np.testing.assert_allclose(ds.t, np.linspace(*problem.t_domain, 3))
    np.testing.assert_allclose(ds.u[0], problem.u0(ds.x.values), atol=1e-13)
    assert np.isfinite(ds.u).all()
    a, b = problem.x_domain
    assert float(ds.x[0]) == a
    if problem.periodic:
        np.testing.assert_allclose(np.diff(ds.x), (b - a) / 32)
    else:
        assert float(ds.x[-1]) == b
        np.testing.assert_allclose(ds.u[:, [0, -1]], np.broadcast_to(problem.boundary_values, (3, 2)), atol=1e-13)


def test_blow_up_is_a_clear_error():
    # KS with anti-diffusion and no fourth-order damping grows without bound
    unstable = problems.get("ks").with_options(dt=1e-2)
    with pytest.raises(FloatingPointError, match=r"ks \(default\) reference is not finite from t="):
        unstable.reference(32, 3, params={"b": 50.0, "c": 0.0})


@pytest.mark.parametrize("name", NAMES)
def test_residual_of_a_network_is_jittable_and_vmappable(name):
    problem = problems.get(name)
    w = jax.random.normal(jax.random.key(0), (3, 8))

    def net(x, t):
        return jnp.tanh(w[0] * x + w[1] * t + w[2]).sum()

    xs, ts = jnp.linspace(0.1, 0.9, 5), jnp.linspace(0.0, 1.0, 5)
    r = jax.jit(jax.vmap(lambda x, t: problem.residual(net, x, t)))(xs, ts)
    assert r.shape == (5,) and jnp.isfinite(r).all() and jnp.abs(r).max() > 0


@pytest.mark.parametrize("name", [n for n in NAMES if problems.get(n).autonomous])
def test_autonomous_residuals_commute_with_a_time_shift(name):
    """What ``autonomous`` promises the time-marching trainer: the residual of ``u(x, t + s)``
    at ``t`` is the residual of ``u`` at ``t + s`` (a residual with an explicit ``t`` fails)."""
    problem = problems.get(name)
    w = jax.random.normal(jax.random.key(1), (3, 8))

    def net(x, t):
        return jnp.tanh(w[0] * x + w[1] * t + w[2]).sum()

    s = 0.37
    xs, ts = jnp.linspace(0.1, 0.9, 5), jnp.linspace(0.0, 0.5, 5)
    shifted = jax.vmap(lambda x, t: problem.residual(lambda y, r: net(y, r + s), x, t))(xs, ts)
    direct = jax.vmap(lambda x, t: problem.residual(net, x, t + s))(xs, ts)
    np.testing.assert_allclose(shifted, direct, rtol=1e-5, atol=1e-6)
    assert problem.periodic or problem.boundary_values is not None  # constant boundary data


def _interpolant(ds, problem, frames):
    """u(x, t) from the saved ``frames`` of ``ds``: trigonometric in x, Lagrange in t."""
    a, b = problem.x_domain
    n = ds.sizes["x"]
    coeffs = jnp.fft.rfft(jnp.asarray(ds.u.values[frames]), axis=-1) / n
    coeffs = coeffs.at[:, 1 : n // 2].multiply(2.0)
    k = 2 * jnp.pi / (b - a) * jnp.arange(n // 2 + 1)
    times = jnp.asarray(ds.t.values[frames])

    def u(x, t):
        modes = jnp.real(coeffs * jnp.exp(1j * k * (x - a))).sum(axis=-1)  # (frames,)
        weights = jnp.stack([
            jnp.prod(jnp.array([(t - times[m]) / (times[j] - times[m]) for m in range(len(frames)) if m != j]))
            for j in range(len(frames))
        ])
        return weights @ modes

    return u


@pytest.mark.parametrize(
    "name, variant, nx, t_end, x_range",
    [
        ("ks", "default", 128, 0.1, None),
        ("ks", "chaotic", 512, 0.1, None),  # 128 or 256 modes do not resolve it
        ("allen_cahn", "default", 256, 0.3, (-0.6, 0.6)),  # away from the kink at x = +-1
        ("reaction_diffusion", "default", 128, 0.1, None),
    ],
)
def test_numerical_reference_satisfies_the_residual(name, variant, nx, t_end, x_range):
    """The residual, by autodiff, of an interpolant of the reference is small compared with
    the size of u_t: the solver and the residual describe the same PDE (signs included)."""
    problem = dataclasses.replace(problems.get(name, variant), t_domain=(0.0, t_end))
    ds = problem.with_options(dt=2.5e-4).reference(nx, int(round(t_end / 1e-3)) + 1)
    u = _interpolant(ds, problem, np.arange(-5, 0))
    t_mid = float(ds.t[-3])
    a, b = x_range or problem.x_domain
    xs = jnp.linspace(a, b, 17)
    r = jax.vmap(lambda x: problem.residual(u, x, t_mid))(xs)
    u_t = jax.vmap(lambda x: problems.t_derivative(u)(x, t_mid))(xs)
    assert jnp.abs(u_t).max() > 1e-2
    assert jnp.abs(r).max() < 1e-5 * max(1.0, float(jnp.abs(u_t).max()))  # Lagrange error in t
    # and a wrong equation is caught: flip the sign of one coefficient
    flipped = {p: -v for p, v in list(problem.params.items())[:1]}
    r_wrong = jax.vmap(lambda x: problem.residual(u, x, t_mid, flipped))(xs)
    assert jnp.abs(r_wrong).max() > 1e3 * jnp.abs(r).max()


@pytest.mark.parametrize("name", ["convection", "reaction", "burgers"])
def test_closed_form_reference_is_the_exact_solution(name):
    problem = problems.get(name)
    ds = problem.reference(16, 4)
    expected = problem.exact(ds.x.values[None, :], ds.t.values[:, None])
    xr.testing.assert_allclose(ds.u, xr.DataArray(np.asarray(expected), dims=("t", "x"), coords=ds.u.coords))
