"""Echo state network (Jaeger 2001) with a leaky-integrator reservoir and a ridge readout.

State update (reservoirpy's ``Reservoir``, same equation, so the comparison is one to one):

    r_{t+1} = (1 - a) r_t + a tanh(W r_t + W_in u_t + b)

with r (N,) the reservoir state after reading input u_t (D,), a the leak rate, W (N, N) a
sparse random matrix rescaled to spectral radius rho (largest |eigenvalue|), W_in (N, D)
+-input_scaling entries (Bernoulli signs, a fraction ``input_connectivity`` nonzero) and b
(N,) uniform in [-bias_scaling, bias_scaling].

Readout: y_t = W_out^T f_t with the feature vector

    f_t = [1, u_t, r_{t+1}]           shape (1 + D + N,)

(constant, input, state: reservoirpy's ``ESN(..., input_to_readout=True)`` with a fitted
bias). W_out is fitted by ridge regression (float64 Cholesky, the constant unpenalised, as
reservoirpy's ``Ridge(fit_bias=True)``) after discarding ``warmup`` states.

* teacher-forced fit: :func:`fit` (any targets) or :func:`fit_next_step` (y_t = u_{t+1});
* closed-loop forecast: :func:`forecast` runs the reservoir on a context window from the
  zero state, then feeds every prediction back as the next input, all under ``lax.scan``.

W is stored row-sparse (ELL format: each row has K = round(connectivity N) nonzeros, with
their column indices), so a step costs O(N K) instead of O(N^2); the spectral radius is
computed once at construction from the dense matrix with NumPy's eigvals (host side).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, Int, PRNGKeyArray

from .ridge import ridge_solve

__all__ = ["ESN", "fit", "fit_and_forecast", "fit_next_step", "forecast", "predict", "run_reservoir",
           "readout_features"]


class ESN(eqx.Module):
    """An echo state network; the readout ``w_out`` is zero until :func:`fit` replaces it.

    Attributes:
        w_values: nonzero entries of W, shape (N, K).
        w_columns: their column indices, shape (N, K).
        w_in: input weights, shape (N, D).
        bias: shape (N,).
        w_out: readout, shape (1 + D + N, O).
        leak: leak rate a in (0, 1].
    """

    w_values: Float[Array, "N K"]
    w_columns: Int[Array, "N K"]
    w_in: Float[Array, "N D"]
    bias: Float[Array, " N"]
    w_out: Float[Array, "F O"]
    leak: float = eqx.field(static=True)

    def __init__(
        self,
        n_inputs: int,
        n_units: int,
        *,
        n_outputs: int | None = None,
        spectral_radius: float = 0.9,
        connectivity: float = 0.1,
        input_scaling: float = 1.0,
        input_connectivity: float = 1.0,
        bias_scaling: float = 0.0,
        leak: float = 1.0,
        dtype=jnp.float64,
        key: PRNGKeyArray,
    ):
        """Draw the reservoir. ``n_outputs`` defaults to ``n_inputs`` (forecasting)."""
        _check_positive_int("n_inputs", n_inputs)
        _check_positive_int("n_units", n_units)
        for name, value in (("connectivity", connectivity), ("input_connectivity", input_connectivity), ("leak", leak)):
            if not 0.0 < value <= 1.0:
                raise ValueError(f"{name} must be in (0, 1], got {value}")
        if spectral_radius < 0 or input_scaling < 0 or bias_scaling < 0:
            raise ValueError(f"spectral_radius, input_scaling, bias_scaling must be >= 0, got "
                             f"{spectral_radius}, {input_scaling}, {bias_scaling}")
        n_outputs = n_inputs if n_outputs is None else n_outputs
        k_cols, k_vals, k_in, k_in_mask, k_bias = jax.random.split(key, 5)
        k = max(1, int(round(connectivity * n_units)))
        # K distinct columns per row: the first K of a random permutation of each row
        cols = jnp.argsort(jax.random.uniform(k_cols, (n_units, n_units)), axis=1)[:, :k]
        vals = np.asarray(jax.random.normal(k_vals, (n_units, k), jnp.float64))
        dense = np.zeros((n_units, n_units))
        np.put_along_axis(dense, np.asarray(cols), vals, axis=1)
        radius = float(np.max(np.abs(np.linalg.eigvals(dense))))
        if radius > 0:
            vals = vals * (spectral_radius / radius)
        signs = jnp.where(jax.random.bernoulli(k_in, 0.5, (n_units, n_inputs)), 1.0, -1.0)
        mask = jax.random.bernoulli(k_in_mask, input_connectivity, (n_units, n_inputs))
        self.w_values = jnp.asarray(vals, dtype)
        self.w_columns = cols.astype(jnp.int32)
        self.w_in = jnp.asarray(input_scaling * signs * mask, dtype)
        self.bias = jax.random.uniform(k_bias, (n_units,), dtype, -bias_scaling, bias_scaling)
        self.w_out = jnp.zeros((1 + n_inputs + n_units, n_outputs), jnp.float64)
        self.leak = float(leak)

    @property
    def n_units(self) -> int:
        return self.w_values.shape[0]

    @property
    def n_inputs(self) -> int:
        return self.w_in.shape[1]

    def dense_w(self) -> Float[Array, "N N"]:
        """W as a dense (N, N) array (for inspection and for handing to other libraries)."""
        rows = jnp.arange(self.n_units)[:, None]
        return jnp.zeros((self.n_units, self.n_units), self.w_values.dtype).at[rows, self.w_columns].add(self.w_values)

    def step(self, r: Float[Array, " N"], u: Float[Array, " D"]) -> Float[Array, " N"]:
        """One reservoir update r_t, u_t -> r_{t+1}."""
        recurrent = jnp.sum(self.w_values * r[self.w_columns], axis=1)
        pre = recurrent + self.w_in @ u.astype(self.w_in.dtype) + self.bias
        return (1.0 - self.leak) * r + self.leak * jnp.tanh(pre)

    def readout(self, u: Float[Array, " D"], r: Float[Array, " N"]) -> Float[Array, " O"]:
        """y = W_out^T [1, u, r]."""
        return readout_features(u, r) @ self.w_out


def readout_features(u: Float[Array, "... D"], r: Float[Array, "... N"]) -> Float[Array, "... F"]:
    """The feature vector [1, u, r], shape (..., 1 + D + N), in float64."""
    u = jnp.asarray(u, jnp.float64)
    r = jnp.asarray(r, jnp.float64)
    one = jnp.ones(u.shape[:-1] + (1,), jnp.float64)
    return jnp.concatenate([one, u, r], axis=-1)


def run_reservoir(esn: ESN, inputs: Float[Array, "T D"], r0: Float[Array, " N"] | None = None) -> Float[Array, "T N"]:
    """Teacher-forced states: row t is r_{t+1}, the state after reading inputs[t]; from r0 (default 0)."""
    _check_inputs(esn, inputs)
    r0 = jnp.zeros(esn.n_units, esn.w_values.dtype) if r0 is None else r0

    def body(r, u):
        r = esn.step(r, u)
        return r, r

    _, states = jax.lax.scan(body, r0, jnp.asarray(inputs, esn.w_values.dtype))
    return states


def fit(esn: ESN, inputs: Float[Array, "T D"], targets: Float[Array, "T O"], *, beta: float, warmup: int = 0) -> ESN:
    """Teacher-forced fit: run the reservoir on ``inputs`` from zero, drop the first ``warmup``
    states, and ridge-regress ``targets[t]`` on [1, inputs[t], r_{t+1}]. Returns the fitted ESN."""
    inputs = jnp.asarray(inputs)
    targets = jnp.asarray(targets)
    if targets.ndim != 2 or targets.shape[0] != inputs.shape[0] or targets.shape[1] != esn.w_out.shape[1]:
        raise ValueError(f"targets must have shape ({inputs.shape[0]}, {esn.w_out.shape[1]}) to match the inputs "
                         f"and the readout, got {targets.shape}")
    if not 0 <= warmup < inputs.shape[0] - 1:
        raise ValueError(f"warmup must be in [0, {inputs.shape[0] - 2}] for {inputs.shape[0]} inputs, got {warmup}")
    return _fit_readout(esn, inputs, run_reservoir(esn, inputs), targets, beta, warmup)


def _fit_readout(esn: ESN, inputs, states, targets, beta, warmup: int) -> ESN:
    """``esn`` with the ridge readout of ``targets[t]`` on [1, inputs[t], states[t]], t >= warmup (no checks)."""
    feats = readout_features(inputs[warmup:], states[warmup:])
    return eqx.tree_at(lambda m: m.w_out, esn, ridge_solve(feats, targets[warmup:], beta, unpenalized=1))


def fit_next_step(esn: ESN, series: Float[Array, "T D"], *, beta: float, warmup: int = 0) -> ESN:
    """Fit the one-step-ahead map u_t -> u_{t+1} on a series (T - 1 input/target pairs)."""
    series = jnp.asarray(series)
    return fit(esn, series[:-1], series[1:], beta=beta, warmup=warmup)


def fit_and_forecast(esn: ESN, series: Float[Array, "T D"], n_steps: int, *, beta: float, warmup: int = 0
                     ) -> tuple[ESN, Float[Array, "S D"]]:
    """:func:`fit_next_step` on ``series`` then :func:`forecast` of the ``n_steps`` values after it, with one
    teacher-forced pass over the series instead of two (the forecast starts from the fit's last state, which
    is the state :func:`forecast` would recompute from zero). Returns the fitted ESN and (n_steps, D)."""
    series = jnp.asarray(series)
    _check_inputs(esn, series)
    _check_closed_loop(esn, n_steps)
    if not 0 <= warmup < series.shape[0] - 2:
        raise ValueError(f"warmup must be in [0, {series.shape[0] - 3}] for a series of {series.shape[0]} points, "
                         f"got {warmup}")
    states = run_reservoir(esn, series)  # row t: the state after reading series[t]
    esn = _fit_readout(esn, series[:-1], states[:-1], series[1:], beta, warmup)
    return esn, _closed_loop(esn, states[-1], esn.readout(series[-1], states[-1]), n_steps)


def predict(esn: ESN, inputs: Float[Array, "T D"]) -> Float[Array, "T O"]:
    """Teacher-forced readout at every step (from the zero state): row t is W_out^T [1, inputs[t], r_{t+1}]."""
    inputs = jnp.asarray(inputs)
    return readout_features(inputs, run_reservoir(esn, inputs)) @ esn.w_out


def forecast(esn: ESN, context: Float[Array, "C D"], n_steps: int) -> Float[Array, "S D"]:
    """Closed-loop forecast: run the reservoir on ``context`` (teacher forcing, from the zero
    state), then predict ``n_steps`` values, each fed back as the next input.

    Returns the predictions of the n_steps values that follow ``context``, shape (n_steps, D).
    """
    _check_closed_loop(esn, n_steps)
    context = jnp.asarray(context)
    states = run_reservoir(esn, context)
    return _closed_loop(esn, states[-1], esn.readout(context[-1], states[-1]), n_steps)


def _closed_loop(esn: ESN, r: Float[Array, " N"], y0: Float[Array, " D"], n_steps: int) -> Float[Array, "S D"]:
    """``n_steps`` predictions from state ``r`` and first prediction ``y0``, each fed back as the next input."""

    def body(carry, _):
        r, y = carry
        r = esn.step(r, y)
        return (r, esn.readout(y, r)), y

    _, ys = jax.lax.scan(body, (r, y0), None, length=n_steps)
    return ys


def _check_inputs(esn: ESN, inputs) -> None:
    if inputs.ndim != 2 or inputs.shape[1] != esn.n_inputs:
        raise ValueError(f"inputs must have shape (T, {esn.n_inputs}), got {tuple(inputs.shape)}")


def _check_closed_loop(esn: ESN, n_steps) -> None:
    if esn.w_out.shape[1] != esn.n_inputs:
        raise ValueError(f"a closed-loop forecast needs outputs = inputs, got {esn.w_out.shape[1]} outputs "
                         f"for {esn.n_inputs} inputs")
    _check_positive_int("n_steps", n_steps)


def _check_positive_int(name: str, value) -> None:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
