"""Density matrices, gates and noise channels: trace, positivity and known limits."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sciml.reservoir import quantum as qm

N = 3
CHANNELS = {"amplitude": qm.amplitude_damping, "phase": qm.phase_damping, "depolarizing": qm.depolarizing}


def random_state(n, seed):
    """A random mixed state: G G^dag / tr, G complex Gaussian."""
    rng = np.random.default_rng(seed)
    g = rng.standard_normal((2**n, 2**n)) + 1j * rng.standard_normal((2**n, 2**n))
    rho = g @ g.conj().T
    return jnp.asarray(rho / np.trace(rho))


@pytest.mark.parametrize("name", list(CHANNELS))
@pytest.mark.parametrize("p", [0.0, 0.3, 1.0])
def test_channel_is_cptp(name, p):
    kraus = CHANNELS[name](p)
    np.testing.assert_allclose(sum(np.conj(k.T) @ k for k in kraus), np.eye(2), atol=1e-14)
    sop = qm.superoperator(kraus)
    rho = random_state(N, 0)
    for q in range(N):
        out = qm.apply_channel(rho, sop, q, N)
        assert abs(np.trace(out) - 1.0) < 1e-12
        np.testing.assert_allclose(out, np.conj(out.T), atol=1e-14)
        assert np.linalg.eigvalsh(np.asarray(out)).min() >= -1e-6


def test_channel_matches_kraus_sum_on_full_matrices():
    rho = random_state(N, 1)
    kraus = qm.amplitude_damping(0.37)
    q = 1
    full = sum(qm.single_qubit_unitary(k, q, N) @ rho @ qm.single_qubit_unitary(k, q, N).conj().T for k in kraus)
    np.testing.assert_allclose(qm.apply_channel(rho, qm.superoperator(kraus), q, N), full, atol=1e-14)


def test_full_amplitude_damping_resets_to_zero():
    rho = random_state(N, 2)
    sop = qm.superoperator(qm.amplitude_damping(1.0))
    for q in range(N):
        rho = qm.apply_channel(rho, sop, q, N)
    np.testing.assert_allclose(rho, qm.zero_state(N), atol=1e-14)


def test_full_depolarizing_gives_maximally_mixed_qubit():
    rho = random_state(N, 3)
    q = 2
    out = qm.apply_channel(rho, qm.superoperator(qm.depolarizing(1.0)), q, N)
    # that qubit is I/2, the others keep their reduced state: out = tr_q(rho) (x) I/2
    t = np.asarray(rho).reshape((2,) * (2 * N))
    reduced = np.einsum("abicdi->abcd", t).reshape(4, 4)
    np.testing.assert_allclose(out, np.kron(reduced, np.eye(2) / 2), atol=1e-14)
    all_mixed = rho
    for k in range(N):
        all_mixed = qm.apply_channel(all_mixed, qm.superoperator(qm.depolarizing(1.0)), k, N)
    np.testing.assert_allclose(all_mixed, np.eye(2**N) / 2**N, atol=1e-14)


def test_pauli_expectations_of_known_states():
    # |0 1 +>: <Z> = (1, -1, 0); <Z0 Z1> = -1, <Z0 Z2> = 0, <Z1 Z2> = 0
    psi = np.kron(np.kron([1, 0], [0, 1]), np.array([1, 1]) / np.sqrt(2))
    rho = jnp.asarray(np.outer(psi, psi.conj()))
    np.testing.assert_allclose(qm.z_expectations(rho, N), [1, -1, 0], atol=1e-14)
    np.testing.assert_allclose(qm.zz_expectations(rho, N), [-1, 0, 0], atol=1e-14)
    # Bell state (|00> + |11>)/sqrt2 on 2 qubits: <Z_i> = 0, <Z0 Z1> = 1
    bell = np.array([1, 0, 0, 1]) / np.sqrt(2)
    rho2 = jnp.asarray(np.outer(bell, bell))
    np.testing.assert_allclose(qm.z_expectations(rho2, 2), [0, 0], atol=1e-14)
    np.testing.assert_allclose(qm.zz_expectations(rho2, 2), [1], atol=1e-14)


def test_rotations_and_cnot():
    # RX(theta)|0>: <Z> = cos theta; CNOT(0->1) maps |10> to |11>
    rho = qm.apply_1q(qm.zero_state(2), qm.rx(0.7), 0, 2)
    np.testing.assert_allclose(qm.z_expectations(rho, 2), [np.cos(0.7), 1.0], atol=1e-14)
    basis = np.zeros(4)
    basis[0b10] = 1
    np.testing.assert_allclose(qm.cnot(0, 1, 2) @ basis, np.eye(4)[0b11])
    for u in (qm.rx(0.3), qm.ry(1.1), qm.rz(2.0)):
        np.testing.assert_allclose(u @ np.conj(u.T), np.eye(2), atol=1e-14)
    with pytest.raises(ValueError, match="distinct qubits"):
        qm.cnot(1, 1, 2)
