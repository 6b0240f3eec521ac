"""Hand-made systems with exact solutions, for tests that need an independent oracle."""

import jax.numpy as jnp
import numpy as np
import pytest

from chaos.systems import System


def make_system(name, field, ic, *, params=None, period=1.0, kind="ode", **meta):
    ic = np.asarray(ic, dtype=float)
    meta = {"dt": 1e-3, "period": period, "maximum_lyapunov_estimated": 1.0,
            "std": np.ones(ic.size), **meta}
    return System(name, kind, ic.size, ic.size if kind == "ode" else 1, params or {}, ic, meta,
                  "test", field)


@pytest.fixture(scope="session")
def oscillator():
    """x'' = -w^2 x as (x, x'); exact solution cos/sin."""
    return make_system("oscillator", lambda x, t, p: jnp.stack([x[1], -p["w"] ** 2 * x[0]]), [1.0, 0.0],
                       params={"w": 2.0})
