"""Fit-and-forecast for every reservoir model by name, and dysts' forecasting protocol.

A model is chosen by a spec (a frozen dataclass of its hyperparameters); :data:`SPECS` maps
names to spec classes (``"esn"``, ``"ngrc"``, ``"qrc"``). :func:`fit_forecast` trains on a
series and forecasts in closed loop the values that follow it; :func:`forecast_dysts_protocol`
does so on one trajectory with dysts' split (train on 10 periods, forecast 2, 100 points per
period) and scores with :mod:`chaos.metrics` (sMAPE, valid prediction time).
"""

from __future__ import annotations

import difflib
import functools
from dataclasses import asdict, dataclass, field, replace

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from . import esn as esn_mod
from . import ngrc as ngrc_mod
from . import qrc as qrc_mod

__all__ = ["ESNSpec", "NGRCSpec", "QRCSpec", "SPECS", "spec_for", "fit_forecast", "forecast_dysts_protocol"]


@dataclass(frozen=True)
class ESNSpec:
    """Echo state network on standardised data (see :class:`sciml.reservoir.ESN`)."""

    n_units: int = 1000
    spectral_radius: float = 1.0
    connectivity: float = 0.02
    input_scaling: float = 0.3
    input_connectivity: float = 1.0
    bias_scaling: float = 0.2
    leak: float = 1.0
    beta: float = 1e-7
    warmup: int = 100
    seed: int = 0
    standardize: bool = True

    def build(self, n_inputs: int) -> esn_mod.ESN:
        return esn_mod.ESN(n_inputs, self.n_units, spectral_radius=self.spectral_radius,
                           connectivity=self.connectivity, input_scaling=self.input_scaling,
                           input_connectivity=self.input_connectivity, bias_scaling=self.bias_scaling,
                           leak=self.leak, key=jax.random.key(self.seed))

    def min_train(self) -> int:
        return self.warmup + 2


@dataclass(frozen=True)
class NGRCSpec:
    """NG-RC (see :class:`sciml.reservoir.NGRC`) on standardised data: on raw Lorenz data the
    quadratic features span six orders of magnitude and the ridge solve of the paper's recipe
    (raw data, beta 2.5e-6) diverges on exactly integrated trajectories."""

    k: int = 2
    skip: int = 1
    degree: int = 2
    beta: float = 1e-4
    standardize: bool = True

    def build(self, n_inputs: int) -> ngrc_mod.NGRC:
        return ngrc_mod.NGRC(n_inputs, k=self.k, skip=self.skip, degree=self.degree)

    def min_train(self) -> int:
        return (self.k - 1) * self.skip + 2


@dataclass(frozen=True)
class QRCSpec:
    """Noise-induced quantum reservoir (see :class:`sciml.reservoir.QuantumReservoir`)."""

    n_qubits: int = 6
    p_amplitude: float = 0.1
    p_phase: float = 0.0
    p_depolarizing: float = 0.0
    input_scaling: float = 0.25
    depth: int = 1
    memory: str = field(default="carry", metadata={"choices": qrc_mod.MEMORY})
    zz: bool = True
    beta: float = 1e-8
    warmup: int = 100
    seed: int = 0
    standardize: bool = True

    def build(self, n_inputs: int) -> qrc_mod.QuantumReservoir:
        return qrc_mod.QuantumReservoir(n_inputs, self.n_qubits, p_amplitude=self.p_amplitude, p_phase=self.p_phase,
                                        p_depolarizing=self.p_depolarizing, input_scaling=self.input_scaling,
                                        depth=self.depth, memory=self.memory, zz=self.zz, key=jax.random.key(self.seed))

    def min_train(self) -> int:
        return self.warmup + 2


SPECS = {"esn": ESNSpec, "ngrc": NGRCSpec, "qrc": QRCSpec}


def spec_for(name: str, **overrides):
    """The spec of model ``name`` with ``overrides``; an unknown name or key is a one-line error."""
    if name not in SPECS:
        close = difflib.get_close_matches(name, SPECS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"unknown reservoir model {name!r}{hint} (known: {', '.join(SPECS)})")
    cls = SPECS[name]
    known = set(asdict(cls()))
    bad = sorted(set(overrides) - known)
    if bad:
        raise ValueError(f"{name} has no hyperparameter(s) {bad}; known: {sorted(known)}")
    return cls(**overrides)


@eqx.filter_jit
def _esn_fit_forecast(model, train, n_steps, beta, warmup):
    return esn_mod.fit_and_forecast(model, train, n_steps, beta=beta, warmup=warmup)[1]


@eqx.filter_jit
def _ngrc_fit_forecast(model, train, n_steps, beta):
    model = ngrc_mod.fit(model, train, beta=beta)
    return ngrc_mod.forecast(model, train, n_steps)


@eqx.filter_jit
def _qrc_fit_forecast(model, train, n_steps, beta, warmup):
    model = qrc_mod.fit(model, train[:-1], train[1:], beta=beta, warmup=warmup)
    return qrc_mod.forecast(model, train, n_steps)


@functools.lru_cache(maxsize=16)
def _build(spec, n_inputs: int):
    """The untrained model of ``spec`` (specs are frozen, so equal specs share one draw of the
    reservoir: a sweep over systems builds, and compiles, once per dimension)."""
    return spec.build(n_inputs)


def fit_forecast(spec, train: np.ndarray, n_steps: int) -> np.ndarray:
    """Train ``spec``'s model on ``train`` (T, D) (next-step targets) and forecast in closed
    loop the ``n_steps`` values that follow it; returns (n_steps, D) in the data's units.

    Raises ValueError (before any computation) when the series is too short or not finite.
    """
    train = np.asarray(train, dtype=np.float64)
    if train.ndim != 2:
        raise ValueError(f"train must have shape (T, D), got {train.shape}")
    if not np.all(np.isfinite(train)):
        raise ValueError("train contains NaN or inf (a failed trajectory?)")
    if train.shape[0] < spec.min_train():
        raise ValueError(f"{type(spec).__name__} needs a training series of at least {spec.min_train()} points, "
                         f"got {train.shape[0]}")
    if not isinstance(n_steps, (int, np.integer)) or n_steps < 1:
        raise ValueError(f"n_steps must be a positive integer, got {n_steps!r}")
    mean, scale = np.zeros(train.shape[1]), np.ones(train.shape[1])
    if spec.standardize:
        mean, scale = train.mean(axis=0), train.std(axis=0)
        scale = np.where(scale > 0, scale, 1.0)
    z = jnp.asarray((train - mean) / scale)
    model = _build(spec, train.shape[1])
    if isinstance(spec, ESNSpec):
        pred = _esn_fit_forecast(model, z, int(n_steps), spec.beta, spec.warmup)
    elif isinstance(spec, NGRCSpec):
        pred = _ngrc_fit_forecast(model, z, int(n_steps), spec.beta)
    else:
        pred = _qrc_fit_forecast(model, z, int(n_steps), spec.beta, spec.warmup)
    return np.asarray(pred) * scale + mean


def forecast_dysts_protocol(
    model: str | ESNSpec | NGRCSpec | QRCSpec,
    trajectory: np.ndarray,
    *,
    pts_per_period: int = 100,
    train_periods: float = 10,
    test_periods: float = 2,
    dt: float | None = None,
    lyapunov_exponent: float | None = None,
    **overrides,
) -> dict:
    """dysts' forecasting benchmark on one trajectory (T, D) sampled at ``pts_per_period``
    points per dominant period: train on the first ``train_periods`` periods, forecast the next
    ``test_periods`` in closed loop.

    Returns ``{"prediction", "truth"}`` (arrays (n_test, D)), ``"smape"`` (0-200 scale,
    :func:`chaos.metrics.smape`) and, when ``dt`` and ``lyapunov_exponent`` are given,
    ``"vpt"`` (Lyapunov times, threshold 0.4, normalised by the training series' spread).
    ``model`` is a name of :data:`SPECS` (with ``overrides``) or a spec.
    """
    from chaos.metrics import smape, valid_prediction_time

    spec = spec_for(model, **overrides) if isinstance(model, str) else (replace(model, **overrides) if overrides else model)
    trajectory = np.asarray(trajectory, dtype=np.float64)
    n_train = int(round(train_periods * pts_per_period))
    n_test = int(round(test_periods * pts_per_period))
    if trajectory.ndim != 2 or trajectory.shape[0] < n_train + n_test:
        raise ValueError(f"dysts' protocol needs a trajectory (T >= {n_train + n_test}, D) ({train_periods} + "
                         f"{test_periods} periods at {pts_per_period} points), got shape {trajectory.shape}; "
                         "generate more periods (data-chaos n_periods)")
    train, truth = trajectory[:n_train], trajectory[n_train:n_train + n_test]
    pred = fit_forecast(spec, train, n_test)
    out = {"prediction": pred, "truth": truth, "n_train": n_train, "n_test": n_test}
    finite = bool(np.all(np.isfinite(pred)))
    out["finite"] = finite
    out["smape"] = smape(truth, pred) if finite else float("nan")
    if dt is not None and lyapunov_exponent is not None:
        pred_ok = np.where(np.isfinite(pred), pred, 1e300)
        out["vpt"] = valid_prediction_time(truth, np.clip(pred_ok, -1e150, 1e150), dt=dt,
                                           lyapunov_exponent=lyapunov_exponent, reference=train)
    return out
