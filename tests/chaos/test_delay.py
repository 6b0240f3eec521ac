"""Delay integrator: exact solution on the first delay interval, fourth-order convergence,
and dysts' own DDE output converging towards ours as its grid is refined."""

import numpy as np
import pytest

from chaos import systems, verify
from chaos.delay import integrate_delay


def test_first_delay_interval_is_exact():
    # on [0, tau] the delayed value is the constant history c, so Mackey-Glass is linear:
    # x' = A - g x with A = beta c / (1 + c^n)
    mg = systems.get("MackeyGlass")
    beta, gamma, n, tau = (mg.params[k] for k in ("beta", "gamma", "n", "tau"))
    c = 0.8
    ts = np.linspace(0, tau, 33)
    traj = integrate_delay(mg, np.full((1, mg.dimension), c), ts, embedding=False)
    a = beta * c / (1 + c**n)
    exact = a / gamma + (c - a / gamma) * np.exp(-gamma * ts)
    np.testing.assert_allclose(traj.ys[0, :, 0], exact, rtol=1e-9)


@pytest.mark.parametrize("name", ["MackeyGlass", "IkedaDelay"])
def test_fourth_order_convergence(name):
    system = systems.get(name)
    ts = np.linspace(0, 3 * system.tau, 40)
    ref = integrate_delay(system, system.ic[None], ts, max_step=system.tau / 1600).ys[0]
    errs = [np.abs(integrate_delay(system, system.ic[None], ts, max_step=system.tau / m).ys[0] - ref).max()
            for m in (50, 100, 200)]
    orders = np.log2(np.array(errs[:-1]) / np.array(errs[1:]))
    assert np.all((orders > 3.6) & (orders < 4.4)), orders


def test_embedding_columns_are_lagged_copies():
    mg = systems.get("MackeyGlass")
    ts = np.linspace(mg.tau, 3 * mg.tau, 50)
    emb = integrate_delay(mg, mg.ic[None], ts).ys[0]
    lag = mg.tau / (mg.dimension - 1)
    state = integrate_delay(mg, mg.ic[None], ts - lag, embedding=False).ys[0, :, 0]
    np.testing.assert_allclose(emb[:, 1], state, rtol=1e-6, atol=1e-8)


def test_dysts_delay_output_converges_to_ours():
    row = verify.agreement("MackeyGlass")
    assert row["rel_error_dysts_4x_finer"] < row["rel_error"] / 2.5, row


def test_tau_override_sizes_the_history():
    """params={"tau": ...} changes the delay itself (the history buffer), not only the parameter dict."""
    import dataclasses

    system = systems.get("MackeyGlass")
    ics = np.full((1, system.dimension), 1.2)
    ts = np.linspace(0.0, 60.0, 61)
    override = integrate_delay(system, ics, ts, params={"tau": 17.0}, embedding=False).ys
    replaced = integrate_delay(dataclasses.replace(system, params={**system.params, "tau": 17.0}), ics, ts,
                               embedding=False).ys
    default = integrate_delay(system, ics, ts, embedding=False).ys
    np.testing.assert_array_equal(override, replaced)
    assert system.tau != 17.0 and np.max(np.abs(override - default)) > 1e-3
    with pytest.raises(ValueError, match="tau cannot vary across a batch"):
        integrate_delay(system, np.full((2, system.dimension), 1.2), ts, params={"tau": np.array([16.0, 17.0])},
                        batch_params=True)
