"""QR Lyapunov spectra: exact exponents of linear flows, Lorenz' trace identity and value."""

import numpy as np
import pytest

from chaos import systems
from chaos import verify
from chaos.lyapunov import largest_lyapunov_two_trajectories, lyapunov_spectrum

from .conftest import make_system


def test_linear_flow_exponents_are_real_parts_of_eigenvalues():
    a = np.array([[-0.1, 1.0, 0.0], [-1.0, -0.1, 0.0], [0.0, 0.0, 0.3]])
    linear = make_system("linear", lambda x, t, p: a @ x, [1.0, 0.5, 0.2], period=2 * np.pi)
    exps = lyapunov_spectrum(linear, interval=0.5, duration=60.0, burn_in=0.0)
    np.testing.assert_allclose(exps, [0.3, -0.1, -0.1], atol=2e-3)


def test_lorenz_spectrum():
    lorenz = systems.get("Lorenz")
    exps = lyapunov_spectrum(lorenz, duration=100 * lorenz.period)
    sigma, beta = lorenz.params["sigma"], lorenz.params["beta"]
    # the sum is the (constant) trace of the Jacobian
    assert exps.sum() == pytest.approx(-(sigma + 1 + beta), abs=1e-5)
    # literature: 0.9056, 0, -14.5723 (Sprott, Chaos and Time-Series Analysis, 2003)
    assert exps[0] == pytest.approx(0.9056, abs=0.05)
    assert abs(exps[1]) < 0.02


def test_two_trajectory_estimate_is_exact_on_a_linear_flow_and_agrees_on_lorenz():
    a = np.array([[-0.1, 1.0, 0.0], [-1.0, -0.1, 0.0], [0.0, 0.0, 0.3]])
    linear = make_system("linear2", lambda x, t, p: a @ x, [1.0, 0.5, 0.2], period=2 * np.pi)
    assert largest_lyapunov_two_trajectories(linear, duration=60.0, burn_in=0.0) == pytest.approx(0.3, abs=2e-3)
    lorenz = systems.get("Lorenz")
    assert largest_lyapunov_two_trajectories(lorenz, duration=100 * lorenz.period) == pytest.approx(0.9056, abs=0.05)


def test_nonsmooth_systems_are_flagged():
    assert verify.nonsmooth("SprottMore") and verify.nonsmooth("Colpitts")
    assert not verify.nonsmooth("Lorenz")


def test_delay_systems_are_refused():
    with pytest.raises(ValueError, match="delay system"):
        lyapunov_spectrum(systems.get("MackeyGlass"))
