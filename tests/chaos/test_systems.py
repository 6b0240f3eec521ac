"""The registry against dysts itself: every flow, its right-hand side at random states."""

import dysts.flows as dfl
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from dysts.systems import get_attractor_list

from chaos import systems, verify

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
    assert verify.rhs_error(name, n_states=4) < 1e-10


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


WITH_POSTPROCESSING = [n for n in ALL if hasattr(getattr(dfl, n), "_postprocessing")]


@pytest.mark.parametrize("name", WITH_POSTPROCESSING)
def test_postprocessing_matches_dysts(name):
    ours, theirs = systems.get(name), getattr(dfl, name)()
    x = _random_states(ours, 6, seed=3)
    ref = np.stack(np.broadcast_arrays(*theirs._postprocessing(*x.T)), axis=-1)
    np.testing.assert_allclose(ours.postprocess(jnp.asarray(x)), ref, rtol=1e-12, atol=1e-14)
