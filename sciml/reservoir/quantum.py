"""Density matrices of n qubits in JAX: gates, Kraus channels, Pauli expectation values.

Conventions: a state of n qubits is a (2^n, 2^n) complex128 density matrix; qubit 0 is the
most significant bit of the basis index (|b_0 b_1 ... b_{n-1}>). Single-qubit maps act on
the tensor view (2,)*2n of the matrix, so a channel on one qubit costs O(4^n), never a
(4^n, 4^n) superoperator.

Channels (Nielsen & Chuang, ch. 8), each a list of Kraus operators with sum K^dag K = I:

* amplitude damping (probability p of |1> -> |0>):  K0 = [[1, 0], [0, sqrt(1-p)]], K1 = [[0, sqrt p], [0, 0]]
* phase damping (probability p of losing the phase): K0 = [[1, 0], [0, sqrt(1-p)]], K1 = [[0, 0], [0, sqrt p]]
* depolarising: rho -> (1 - p) rho + p I/2 (on that qubit): sqrt(1 - 3p/4) I, sqrt(p/4) X, Y, Z
"""

from __future__ import annotations

import itertools

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Complex, Float

__all__ = [
    "zero_state", "rx", "ry", "rz", "cnot", "single_qubit_unitary", "apply_unitary", "apply_1q",
    "amplitude_damping", "phase_damping", "depolarizing", "superoperator", "apply_channel",
    "z_expectations", "zz_expectations", "probabilities",
]

I2 = np.eye(2, dtype=np.complex128)
X = np.array([[0, 1], [1, 0]], dtype=np.complex128)
Y = np.array([[0, -1j], [1j, 0]], dtype=np.complex128)
Z = np.array([[1, 0], [0, -1]], dtype=np.complex128)


def zero_state(n: int) -> Complex[Array, "S S"]:
    """|0...0><0...0|, shape (2^n, 2^n)."""
    rho = jnp.zeros((2**n, 2**n), jnp.complex128)
    return rho.at[0, 0].set(1.0)


def rx(theta) -> Complex[Array, "2 2"]:
    """exp(-i theta X / 2)."""
    c, s = jnp.cos(theta / 2), jnp.sin(theta / 2)
    return jnp.array([[c, -1j * s], [-1j * s, c]], dtype=jnp.complex128)


def ry(theta) -> Complex[Array, "2 2"]:
    """exp(-i theta Y / 2)."""
    c, s = jnp.cos(theta / 2), jnp.sin(theta / 2)
    return jnp.array([[c, -s], [s, c]], dtype=jnp.complex128)


def rz(theta) -> Complex[Array, "2 2"]:
    """exp(-i theta Z / 2)."""
    e = jnp.exp(-0.5j * theta)
    return jnp.array([[e, 0], [0, jnp.conj(e)]], dtype=jnp.complex128)


def single_qubit_unitary(op, qubit: int, n: int) -> np.ndarray:
    """The (2^n, 2^n) matrix of ``op`` (2, 2) on ``qubit`` (NumPy; for building fixed circuits)."""
    mats = [np.asarray(op) if q == qubit else I2 for q in range(n)]
    out = mats[0]
    for m in mats[1:]:
        out = np.kron(out, m)
    return out


def cnot(control: int, target: int, n: int) -> np.ndarray:
    """The (2^n, 2^n) permutation matrix of CNOT(control -> target)."""
    if control == target or not (0 <= control < n and 0 <= target < n):
        raise ValueError(f"CNOT needs two distinct qubits in [0, {n}), got control={control}, target={target}")
    dim = 2**n
    u = np.zeros((dim, dim), dtype=np.complex128)
    for b in range(dim):
        c = (b >> (n - 1 - control)) & 1
        u[b ^ (c << (n - 1 - target)), b] = 1.0
    return u


def apply_unitary(rho: Complex[Array, "S S"], u: Complex[Array, "S S"]) -> Complex[Array, "S S"]:
    """U rho U^dag."""
    return u @ rho @ jnp.conj(u.T)


def apply_1q(rho: Complex[Array, "S S"], op: Complex[Array, "2 2"], qubit: int, n: int) -> Complex[Array, "S S"]:
    """op rho op^dag with ``op`` on one qubit."""
    return apply_channel(rho, superoperator([op]), qubit, n)


def amplitude_damping(p: float | Float[Array, ""]) -> list[Array]:
    """Kraus operators of amplitude damping with probability p in [0, 1]."""
    p = jnp.asarray(p, jnp.float64)
    return [jnp.array([[1, 0], [0, jnp.sqrt(1 - p)]], jnp.complex128),
            jnp.array([[0, jnp.sqrt(p)], [0, 0]], jnp.complex128)]


def phase_damping(p: float | Float[Array, ""]) -> list[Array]:
    """Kraus operators of phase damping with probability p in [0, 1]."""
    p = jnp.asarray(p, jnp.float64)
    return [jnp.array([[1, 0], [0, jnp.sqrt(1 - p)]], jnp.complex128),
            jnp.array([[0, 0], [0, jnp.sqrt(p)]], jnp.complex128)]


def depolarizing(p: float | Float[Array, ""]) -> list[Array]:
    """Kraus operators of the depolarising channel rho -> (1 - p) rho + p I/2, p in [0, 1]."""
    p = jnp.asarray(p, jnp.float64)
    return [jnp.sqrt(1 - 0.75 * p) * I2, jnp.sqrt(p / 4) * X, jnp.sqrt(p / 4) * Y, jnp.sqrt(p / 4) * Z]


def superoperator(kraus) -> Complex[Array, "2 2 2 2"]:
    """S[i, j, k, l] = sum_m K_m[i, k] conj(K_m[j, l]): rho'_{ij} = sum_kl S[i,j,k,l] rho_{kl}."""
    return sum(jnp.einsum("ik,jl->ijkl", k, jnp.conj(k)) for k in kraus)


def apply_channel(rho: Complex[Array, "S S"], sop: Complex[Array, "2 2 2 2"], qubit: int, n: int) -> Complex[Array, "S S"]:
    """Apply a single-qubit channel, given as :func:`superoperator`, to ``qubit`` of an n-qubit state."""
    t = rho.reshape((2,) * (2 * n))
    t = jnp.tensordot(sop, t, axes=([2, 3], [qubit, n + qubit]))  # new axes (i, j) first
    t = jnp.moveaxis(t, (0, 1), (qubit, n + qubit))
    return t.reshape(rho.shape)


def probabilities(rho: Complex[Array, "S S"]) -> Float[Array, " S"]:
    """Computational-basis probabilities, the real diagonal."""
    return jnp.real(jnp.diagonal(rho))


def _z_signs(n: int) -> np.ndarray:
    """(n, 2^n): the eigenvalue (+1 / -1) of Z_q on each basis state."""
    bits = (np.arange(2**n)[None, :] >> (n - 1 - np.arange(n)[:, None])) & 1
    return 1.0 - 2.0 * bits


def z_expectations(rho: Complex[Array, "S S"], n: int) -> Float[Array, " n"]:
    """<Z_q> for q = 0 .. n-1."""
    return jnp.asarray(_z_signs(n)) @ probabilities(rho)


def zz_expectations(rho: Complex[Array, "S S"], n: int) -> Float[Array, " P"]:
    """<Z_i Z_j> for every pair i < j (in itertools.combinations order), shape (n (n-1) / 2,)."""
    signs = _z_signs(n)
    pairs = list(itertools.combinations(range(n), 2))
    if not pairs:
        return jnp.zeros(0)
    prod = np.stack([signs[i] * signs[j] for i, j in pairs])
    return jnp.asarray(prod) @ probabilities(rho)
