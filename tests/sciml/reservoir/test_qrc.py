"""Noise-induced quantum reservoir: physical states, fading memory from noise, a memory task."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sciml.reservoir import QuantumReservoir, qrc
from sciml.reservoir import quantum as qm


def _run_states(model, inputs, rho0):
    def body(rho, u):
        rho = model.step(rho, u)
        return rho, rho

    return jax.lax.scan(body, rho0, jnp.asarray(inputs))[1]


@pytest.fixture(scope="module")
def inputs():
    return np.random.default_rng(0).uniform(-1, 1, (60, 1))


def test_states_stay_physical(inputs):
    model = QuantumReservoir(1, 3, p_amplitude=0.2, p_phase=0.1, p_depolarizing=0.05, key=jax.random.key(0))
    states = np.asarray(_run_states(model, inputs, qm.zero_state(3)))
    np.testing.assert_allclose(np.trace(states, axis1=1, axis2=2), 1.0, atol=1e-12)
    assert np.linalg.eigvalsh(states).min() >= -1e-6


def test_full_amplitude_damping_erases_the_input(inputs):
    model = QuantumReservoir(1, 3, p_amplitude=1.0, key=jax.random.key(0))
    obs = np.asarray(qrc.run_reservoir(model, inputs))
    np.testing.assert_allclose(obs, 1.0, atol=1e-12)  # |000>: every <Z> and <ZZ> is 1


def test_noise_gives_fading_memory(inputs):
    """Two different initial states converge under amplitude damping, not without noise."""
    start = qm.apply_unitary(qm.zero_state(3), jnp.asarray(np.kron(np.kron(qm.X, qm.X), qm.X)))  # |111>
    gaps = {}
    for p in (0.0, 0.3):
        model = QuantumReservoir(1, 3, p_amplitude=p, key=jax.random.key(1))
        a = _run_states(model, inputs, qm.zero_state(3))[-1]
        b = _run_states(model, inputs, start)[-1]
        gaps[p] = float(jnp.abs(a - b).max())
    assert gaps[0.3] < 1e-6 < 0.1 < gaps[0.0]


def test_carried_state_remembers_the_previous_input():
    """Recall task y_t = u_{t-1}: the carried (noisy) reservoir learns it, the reset one cannot."""
    u = np.random.default_rng(2).uniform(-1, 1, (500, 1))
    target = np.roll(u, 1, axis=0)
    errors = {}
    for memory in ("carry", "reset"):
        model = QuantumReservoir(1, 4, p_amplitude=0.2, input_scaling=0.5, memory=memory, key=jax.random.key(3))
        model = qrc.fit(model, u[:400], target[:400], beta=1e-8, warmup=20)
        pred = np.asarray(qrc.predict(model, u))[400:]
        errors[memory] = float(np.sqrt(np.mean((pred - target[400:]) ** 2)) / target.std())
    assert errors["carry"] < 0.6 < 0.9 < errors["reset"]  # measured: 0.46 and ~1


def test_bad_input():
    with pytest.raises(ValueError, match="p_amplitude must be a probability"):
        QuantumReservoir(1, 3, p_amplitude=1.5, key=jax.random.key(0))
    with pytest.raises(ValueError, match="memory must be one of"):
        QuantumReservoir(1, 3, memory="keep", key=jax.random.key(0))
    with pytest.raises(ValueError, match="n_inputs must be in"):
        QuantumReservoir(5, 3, key=jax.random.key(0))
