"""Batched integration: exact solutions, dysts agreement, parameter batches, blow-ups, SDEs."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from chaos import systems, verify
from chaos.integrate import integrate, integrate_sde

from .conftest import make_system


def test_exact_solution_harmonic_oscillator(oscillator):
    ts = np.linspace(0.0, 10.0, 201)
    ics = np.array([[1.0, 0.0], [0.0, 2.0]])  # x = cos 2t ; x = sin 2t
    traj = integrate(oscillator, ics, ts, rtol=1e-12, atol=1e-12)
    assert traj.ok.all()
    np.testing.assert_allclose(traj.ys[0, :, 0], np.cos(2 * ts), atol=1e-9)
    np.testing.assert_allclose(traj.ys[1, :, 0], np.sin(2 * ts), atol=1e-9)
    np.testing.assert_allclose(traj.ys[1, :, 1], 2 * np.cos(2 * ts), atol=1e-9)


# one system per way of obtaining the right-hand side, plus a non-autonomous one
@pytest.mark.parametrize("name", ["Lorenz", "Lorenz96", "BlinkingRotlet", "BelousovZhabotinsky", "Duffing"])
def test_agrees_with_dysts_over_first_lyapunov_time(name):
    row = verify.agreement(name)
    assert row["status"] == "ok", row
    assert row["rel_error"] < 1e-4


def test_parameter_batches_match_single_runs():
    lorenz = systems.get("Lorenz")
    ts = np.linspace(0, 2.0, 21)
    rhos = np.array([20.0, 28.0, 35.0])
    ics = np.tile(lorenz.ic, (3, 1))
    batched = integrate(lorenz, ics, ts, params={"rho": rhos}, batch_params=True)
    for i, rho in enumerate(rhos):
        single = integrate(lorenz, ics[:1], ts, params={"rho": rho})
        # same trajectory to the solver's tolerance (XLA fuses batch sizes differently)
        np.testing.assert_allclose(batched.ys[i], single.ys[0], rtol=1e-7, atol=1e-7)
    assert not np.allclose(batched.ys[0], batched.ys[2])
    with pytest.raises(ValueError, match="parameter 'rho' needs a leading axis of length 3"):
        integrate(lorenz, ics, ts, params={"rho": rhos[:2]}, batch_params=True)


def test_blow_up_is_reported_and_other_trajectories_kept():
    # x' = x^2 from x0 = 1 blows up at t = 1; from x0 = -1 it decays as -1 / (1 + t)
    blowup = make_system("blowup", lambda x, t, p: x**2, [1.0])
    ts = np.linspace(0.0, 2.0, 41)
    traj = integrate(blowup, np.array([[1.0], [-1.0]]), ts, max_steps=20_000)
    assert traj.ok.tolist() == [False, True]
    assert 0.9 <= traj.failed_at[0] <= 1.1
    assert traj.message[0]
    assert np.isnan(traj.ys[0, -1, 0])
    np.testing.assert_allclose(traj.ys[1, :, 0], -1 / (1 + ts), rtol=1e-8)


def test_bad_shapes_are_clear_errors():
    lorenz = systems.get("Lorenz")
    with pytest.raises(ValueError, match=r"ics must have shape \(B, 3\) for Lorenz, got \(3,\)"):
        integrate(lorenz, lorenz.ic, np.linspace(0, 1, 5))
    with pytest.raises(ValueError, match="delay system"):
        integrate(systems.get("MackeyGlass"), np.zeros((1, 10)), np.linspace(0, 1, 5))


def test_sde_is_seeded_and_has_the_right_stationary_variance():
    # Ornstein-Uhlenbeck dx = -x dt + s dW: stationary variance s^2 / 2
    ou = make_system("ou", lambda x, t, p: -x, [0.0], dt=0.01)
    ts = np.array([0.0, 5.0])
    ics = np.zeros((2000, 1))
    a = integrate_sde(ou, ics, ts, jax.random.key(0), noise=0.8)
    b = integrate_sde(ou, ics, ts, jax.random.key(0), noise=0.8)
    c = integrate_sde(ou, ics, ts, jax.random.key(1), noise=0.8)
    np.testing.assert_array_equal(a.ys, b.ys)
    assert not np.array_equal(a.ys, c.ys)
    var = float(np.var(a.ys[:, -1, 0]))
    assert abs(var - 0.32) < 0.04, var


def test_vector_field_is_diffrax_style():
    lorenz = systems.get("Lorenz")
    x = jnp.asarray(lorenz.ic)
    np.testing.assert_array_equal(lorenz.vector_field(0.0, x, None), lorenz.rhs(x, 0.0))
