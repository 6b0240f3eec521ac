"""Convection: the closed form and the residual of the exact solution."""

import jax
import jax.numpy as jnp
import numpy as np

from pdes import problems

convection = problems.get("convection")


def _points(n=64):
    kx, kt = jax.random.split(jax.random.key(1))
    return jax.random.uniform(kx, (n,), maxval=2 * np.pi), jax.random.uniform(kt, (n,))


def test_exact_solution_is_transported_sine():
    xs, ts = _points()
    for beta in (1.0, 30.0):
        np.testing.assert_allclose(
            convection.exact(xs, ts, {"beta": beta}), np.sin(xs - beta * ts), atol=1e-12
        )
    ds = convection.reference(64, 11)
    np.testing.assert_allclose(ds.u, np.sin(ds.x.values[None] - 30.0 * ds.t.values[:, None]), atol=1e-12)


def test_residual_vanishes_on_the_exact_solution_only():
    xs, ts = _points()
    for beta in (1.0, 30.0):
        exact = lambda x, t: convection.exact(x, t, {"beta": beta})  # noqa: E731
        r = jax.vmap(lambda x, t: convection.residual(exact, x, t, {"beta": beta}))(xs, ts)
        assert jnp.abs(r).max() < 1e-10 * beta
        wrong = jax.vmap(lambda x, t: convection.residual(exact, x, t, {"beta": 1.1 * beta}))(xs, ts)
        assert jnp.abs(wrong).max() > 0.05 * beta
