"""A simulated gate-based quantum reservoir whose fading memory comes from noise channels
(quantum noise-induced reservoir computing: Kubota et al. 2022, arXiv:2207.07924; noise
types and probabilities as in Domingo, Carlo, Borondo, "Taking advantage of noise in
quantum reservoir computing", Sci. Rep. 2023, arXiv:2301.06814).

Each input step u_t (D,) drives the n-qubit density matrix (exact density-matrix
simulation, expectation values without shot noise):

    1. encoding: RX(pi * input_scaling * u_{t, q mod D}) on every qubit q
    2. ``depth`` times: the fixed unitary layer V, then the noise channels on every qubit
       (amplitude damping p_ad, phase damping p_pd, depolarising p_dep, in this order)
    3. features: <Z_q> for every qubit and, with ``zz``, <Z_i Z_j> for every pair

V is drawn once: on every qubit a random rotation RZ(a) RY(b) RZ(c) (angles uniform in
[0, 2 pi)), then a CNOT ladder 0->1->...->n-1. ``memory="carry"`` keeps the state from
step to step (the noise-induced reservoir: amplitude damping pulls towards |0...0> and
makes old inputs fade); ``memory="reset"`` starts every step from |0...0> (a quantum
extreme learning machine without memory, the restart-per-input scheme of the Domingo et
al. circuits). The readout is ridge regression on f_t = [1, u_t, <Z>, <ZZ>], the
constant unpenalised, as for the ESN.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Complex, Float, PRNGKeyArray

from . import quantum as qm
from .ridge import ridge_solve

__all__ = ["QuantumReservoir", "fixed_layer", "run_reservoir", "fit", "predict", "forecast"]

MEMORY = ("carry", "reset")


def fixed_layer(n_qubits: int, *, key: PRNGKeyArray) -> np.ndarray:
    """The fixed unitary V (2^n, 2^n): random single-qubit rotations, then a CNOT ladder."""
    angles = np.asarray(jax.random.uniform(key, (n_qubits, 3), jnp.float64, 0.0, 2 * np.pi))
    u = np.eye(2**n_qubits, dtype=np.complex128)
    for q in range(n_qubits):
        rot = np.asarray(qm.rz(angles[q, 0]) @ qm.ry(angles[q, 1]) @ qm.rz(angles[q, 2]))
        u = qm.single_qubit_unitary(rot, q, n_qubits) @ u
    for q in range(n_qubits - 1):
        u = qm.cnot(q, q + 1, n_qubits) @ u
    return u


class QuantumReservoir(eqx.Module):
    """The reservoir and its readout (``w_out`` zero until :func:`fit`).

    Attributes:
        layer: the fixed unitary V, (2^n, 2^n) complex128.
        p_amplitude, p_phase, p_depolarizing: channel probabilities in [0, 1] (arrays, so
            they can be swept under vmap or differentiated).
        input_scaling: encoding angle per unit input, in units of pi.
        w_out: readout, shape (1 + D + n_obs, O).
    """

    layer: Complex[Array, "S S"]
    p_amplitude: Float[Array, ""]
    p_phase: Float[Array, ""]
    p_depolarizing: Float[Array, ""]
    input_scaling: Float[Array, ""]
    w_out: Float[Array, "F O"]
    n_qubits: int = eqx.field(static=True)
    n_inputs: int = eqx.field(static=True)
    depth: int = eqx.field(static=True)
    memory: str = eqx.field(static=True)
    zz: bool = eqx.field(static=True)

    def __init__(
        self,
        n_inputs: int,
        n_qubits: int,
        *,
        n_outputs: int | None = None,
        p_amplitude: float = 0.1,
        p_phase: float = 0.0,
        p_depolarizing: float = 0.0,
        input_scaling: float = 1.0,
        depth: int = 1,
        memory: str = "carry",
        zz: bool = True,
        key: PRNGKeyArray,
    ):
        if not isinstance(n_qubits, int) or not 1 <= n_qubits <= 10:
            raise ValueError(f"n_qubits must be an integer in [1, 10] (density matrices of 4^n entries), got {n_qubits!r}")
        if not isinstance(n_inputs, int) or not 1 <= n_inputs <= n_qubits:
            raise ValueError(f"n_inputs must be in [1, n_qubits={n_qubits}] (one encoded value per qubit), got {n_inputs!r}")
        for name, p in (("p_amplitude", p_amplitude), ("p_phase", p_phase), ("p_depolarizing", p_depolarizing)):
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"{name} must be a probability in [0, 1], got {p}")
        if memory not in MEMORY:
            raise ValueError(f"memory must be one of {MEMORY}, got {memory!r}")
        if not isinstance(depth, int) or depth < 1:
            raise ValueError(f"depth must be a positive integer, got {depth!r}")
        self.layer = jnp.asarray(fixed_layer(n_qubits, key=key))
        self.p_amplitude = jnp.asarray(p_amplitude, jnp.float64)
        self.p_phase = jnp.asarray(p_phase, jnp.float64)
        self.p_depolarizing = jnp.asarray(p_depolarizing, jnp.float64)
        self.input_scaling = jnp.asarray(input_scaling, jnp.float64)
        self.n_qubits, self.n_inputs, self.depth, self.memory, self.zz = n_qubits, n_inputs, depth, memory, bool(zz)
        n_outputs = n_inputs if n_outputs is None else n_outputs
        self.w_out = jnp.zeros((1 + n_inputs + self.n_observables, n_outputs), jnp.float64)

    @property
    def n_observables(self) -> int:
        n = self.n_qubits
        return n + (n * (n - 1) // 2 if self.zz else 0)

    def noise(self) -> Complex[Array, "2 2 2 2"]:
        """The per-qubit noise as one superoperator: depolarising after phase after amplitude damping."""
        s_ad = qm.superoperator(qm.amplitude_damping(self.p_amplitude))
        s_pd = qm.superoperator(qm.phase_damping(self.p_phase))
        s_dep = qm.superoperator(qm.depolarizing(self.p_depolarizing))
        compose = lambda a, b: jnp.einsum("ijkl,klmn->ijmn", a, b)  # noqa: E731  (a after b)
        return compose(s_dep, compose(s_pd, s_ad))

    def step(self, rho: Complex[Array, "S S"], u: Float[Array, " D"]) -> Complex[Array, "S S"]:
        """One input step (encoding, depth x [V, noise]); ``rho`` is ignored with memory="reset"."""
        n = self.n_qubits
        if self.memory == "reset":
            rho = qm.zero_state(n)
        angles = jnp.pi * self.input_scaling * jnp.asarray(u, jnp.float64)
        for q in range(n):
            rho = qm.apply_1q(rho, qm.rx(angles[q % self.n_inputs]), q, n)
        sop = self.noise()
        for _ in range(self.depth):
            rho = qm.apply_unitary(rho, self.layer)
            for q in range(n):
                rho = qm.apply_channel(rho, sop, q, n)
        return rho

    def observables(self, rho: Complex[Array, "S S"]) -> Float[Array, " M"]:
        """[<Z_0>, ..., <Z_{n-1}>, <Z_i Z_j> for i < j (with zz)]."""
        z = qm.z_expectations(rho, self.n_qubits)
        return jnp.concatenate([z, qm.zz_expectations(rho, self.n_qubits)]) if self.zz else z


def run_reservoir(model: QuantumReservoir, inputs: Float[Array, "T D"]) -> Float[Array, "T M"]:
    """Observables after each input step (row t: after reading inputs[t]), from |0...0>."""
    inputs = jnp.asarray(inputs, jnp.float64)
    if inputs.ndim != 2 or inputs.shape[1] != model.n_inputs:
        raise ValueError(f"inputs must have shape (T, {model.n_inputs}), got {tuple(inputs.shape)}")

    def body(rho, u):
        rho = model.step(rho, u)
        return rho, model.observables(rho)

    _, obs = jax.lax.scan(body, qm.zero_state(model.n_qubits), inputs)
    return obs


def _features(inputs, obs):
    one = jnp.ones((inputs.shape[0], 1), jnp.float64)
    return jnp.concatenate([one, jnp.asarray(inputs, jnp.float64), obs], axis=1)


def fit(model: QuantumReservoir, inputs: Float[Array, "T D"], targets: Float[Array, "T O"], *,
        beta: float, warmup: int = 0) -> QuantumReservoir:
    """Ridge readout of ``targets[t]`` on [1, inputs[t], observables after inputs[t]], the
    first ``warmup`` steps dropped."""
    inputs = jnp.asarray(inputs, jnp.float64)
    targets = jnp.asarray(targets, jnp.float64)
    if targets.ndim != 2 or targets.shape[0] != inputs.shape[0] or targets.shape[1] != model.w_out.shape[1]:
        raise ValueError(f"targets must have shape ({inputs.shape[0]}, {model.w_out.shape[1]}), got {tuple(targets.shape)}")
    if not 0 <= warmup < inputs.shape[0] - 1:
        raise ValueError(f"warmup must be in [0, {inputs.shape[0] - 2}] for {inputs.shape[0]} inputs, got {warmup}")
    feats = _features(inputs, run_reservoir(model, inputs))
    w_out = ridge_solve(feats[warmup:], targets[warmup:], beta, unpenalized=1)
    return eqx.tree_at(lambda m: m.w_out, model, w_out)


def predict(model: QuantumReservoir, inputs: Float[Array, "T D"]) -> Float[Array, "T O"]:
    """Readout at every step of a teacher-forced run (from |0...0>)."""
    inputs = jnp.asarray(inputs, jnp.float64)
    return _features(inputs, run_reservoir(model, inputs)) @ model.w_out


def forecast(model: QuantumReservoir, context: Float[Array, "C D"], n_steps: int) -> Float[Array, "S D"]:
    """Closed-loop forecast as :func:`sciml.reservoir.esn.forecast`: teacher-forced run on
    ``context`` from |0...0>, then each prediction is the next input."""
    if model.w_out.shape[1] != model.n_inputs:
        raise ValueError(f"a closed-loop forecast needs outputs = inputs, got {model.w_out.shape[1]} outputs "
                         f"for {model.n_inputs} inputs")
    if not isinstance(n_steps, (int, np.integer)) or n_steps < 1:
        raise ValueError(f"n_steps must be a positive integer, got {n_steps!r}")
    context = jnp.asarray(context, jnp.float64)

    def teacher(rho, u):
        return model.step(rho, u), None

    rho, _ = jax.lax.scan(teacher, qm.zero_state(model.n_qubits), context)

    def readout(u, rho):
        return jnp.concatenate([jnp.ones(1), u, model.observables(rho)]) @ model.w_out

    def body(carry, _):
        rho, y = carry
        rho = model.step(rho, y)
        return (rho, readout(y, rho)), y

    _, ys = jax.lax.scan(body, (rho, readout(context[-1], rho)), None, length=n_steps)
    return ys
