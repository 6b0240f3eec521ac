"""The registry against dysts itself: every flow, its right-hand side at random states."""

import zlib

import dysts.flows as dfl
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from dysts.systems import get_attractor_list

from chaos import systems

ALL = systems.names()


def test_names_are_dysts_catalogue():
    assert ALL == tuple(sorted(get_attractor_list("continuous")))
    assert len(ALL) == 135  # dysts 0.96
    assert set(systems.delay_names()) == set(get_attractor_list("delay"))


def _random_states(system, n, seed):
    rng = np.random.default_rng(seed)
    std = np.asarray(system.meta["std"], dtype=float)
    return system.ic + 0.1 * std * rng.standard_normal((n, system.ic.size))


@pytest.mark.parametrize("name", ALL)
def test_rhs_matches_dysts(name):
    ours = systems.get(name)
    theirs = getattr(dfl, name)()
    rng = np.random.default_rng(0)
    for x in _random_states(ours, 4, seed=zlib.crc32(name.encode())):
        t = float(rng.uniform(0, 10))
        if ours.kind == "delay":
            xt = float(x[1])
            ref = np.atleast_1d(theirs._rhs(float(x[0]), xt, t, *theirs.param_list))
            got = ours.rhs(jnp.asarray(x[:1]), t, x_delayed=jnp.asarray([xt]))
        else:
            ref = np.asarray(theirs.rhs(x, t), dtype=float)
            got = ours.rhs(jnp.asarray(x), t)
        got = np.asarray(got)
        assert got.shape == ref.shape
        assert np.all(np.isfinite(ref)), "dysts itself is not finite at this state"
        err = np.linalg.norm(got - ref) / max(np.linalg.norm(ref), 1e-300)
        assert err < 1e-10, f"{name}: relative error {err:.2e} at x={x}, t={t}"


def test_rhs_is_jittable_vmappable_differentiable():
    lorenz = systems.get("Lorenz")
    xs = jnp.asarray(_random_states(lorenz, 5, seed=1))
    f = jax.jit(jax.vmap(lambda x: lorenz.rhs(x, 0.0)))
    assert f(xs).shape == (5, 3)
    jac = jax.jacfwd(lambda x: lorenz.rhs(x, 0.0))(xs[0])
    x, y, z = np.asarray(xs[0])
    sigma, rho, beta = 10.0, 28.0, 2.667
    expected = np.array([[-sigma, sigma, 0], [rho - z, -1, -x], [y, x, -beta]])
    np.testing.assert_allclose(jac, expected, rtol=1e-12)


def test_params_override_by_name_and_batched():
    lorenz = systems.get("Lorenz")
    x = jnp.asarray(lorenz.ic)
    rhos = jnp.array([10.0, 28.0, 99.0])
    out = jax.vmap(lambda r: lorenz.rhs(x, 0.0, {"rho": r}))(rhos)
    np.testing.assert_allclose(out[:, 1], rhos * x[0] - x[0] * x[2] - x[1], rtol=1e-12)
    with pytest.raises(ValueError, match="no parameter.*'rh'.*known: \\['beta', 'rho', 'sigma'\\]"):
        lorenz.rhs(x, 0.0, {"rh": 1.0})


def test_unknown_name_suggests_closest():
    with pytest.raises(systems.UnknownSystemError, match="did you mean Rossler"):
        systems.get("Rosler")
    with pytest.raises(systems.UnknownSystemError, match="did you mean Lorenz\\b"):
        systems.get("lorenz")


def test_postprocessing_matches_dysts():
    name = "BlinkingRotlet"
    ours, theirs = systems.get(name), getattr(dfl, name)()
    x = _random_states(ours, 6, seed=3)
    ref = np.stack(theirs._postprocessing(*x.T), axis=-1)
    np.testing.assert_allclose(ours.postprocess(jnp.asarray(x)), ref, rtol=1e-12)
