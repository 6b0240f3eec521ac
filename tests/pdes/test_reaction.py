"""Reaction: the logistic closed form, its residual, and its behaviour for stiff rates."""

import jax
import jax.numpy as jnp
import numpy as np

from pdes import problems
from pdes.problems.reaction import logistic

reaction = problems.get("reaction")


def test_residual_vanishes_on_the_exact_solution():
    xs = jnp.linspace(0.0, 2 * np.pi, 33)
    ts = jnp.linspace(0.0, 1.0, 33)
    for rho in (1.0, 5.0, 20.0):
        exact = lambda x, t: reaction.exact(x, t, {"rho": rho})  # noqa: E731
        r = jax.vmap(lambda x, t: reaction.residual(exact, x, t, {"rho": rho}))(xs, ts)
        assert jnp.abs(r).max() < 1e-12 * rho
        wrong = jax.vmap(lambda x, t: reaction.residual(exact, x, t, {"rho": rho + 1}))(xs, ts)
        assert jnp.abs(wrong).max() > 1e-2


def test_initial_gaussian_and_logistic_limits():
    ds = reaction.reference(64, 5)
    np.testing.assert_allclose(ds.u[0], np.exp(-((ds.x - np.pi) ** 2) / (2 * (np.pi / 4) ** 2)))
    assert float(ds.u.sel(x=np.pi)[-1]) == 1.0  # u0 = 1 is a fixed point
    assert ((ds.u >= 0) & (ds.u <= 1)).all()
    assert (ds.u.diff("t") >= 0).all()  # 0 < u < 1 grows
    # stiff rates: no overflow, everything positive tends to 1
    u = logistic(jnp.array([0.0, 1e-3, 0.5, 1.0]), 1e4, 1.0)
    np.testing.assert_allclose(u, [0.0, 1.0, 1.0, 1.0])
