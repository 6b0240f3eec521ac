"""The JAX ESN against reservoirpy (in ``.venv-bench``) on the same data and matrices.

:func:`compare_with_reservoirpy` times our jitted fit + closed-loop forecast (compile time
apart, best of ``repeats`` runs after it), hands the same standardised series, W, W_in, b,
leak, ridge and warm-up to ``scripts/reservoirpy_bench.py`` in a subprocess, and returns both
timings and both valid prediction times. Both fit the same readout ([1, u, r], constant
unpenalised), so the two forecasts agree until rounding differences grow chaotically.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from . import esn as esn_mod
from .forecasting import ESNSpec

__all__ = ["compare_with_reservoirpy", "time_jax_esn"]

REPO = Path(__file__).resolve().parents[2]
BENCH_PYTHON = REPO / ".venv-bench" / "bin" / "python"
SCRIPT = REPO / "scripts" / "reservoirpy_bench.py"


def _fit_forecast(model, train, n_steps: int, beta: float, warmup: int):
    return esn_mod.fit_and_forecast(model, train, n_steps, beta=beta, warmup=warmup)[1]


def time_jax_esn(spec: ESNSpec, train: np.ndarray, n_forecast: int, *, repeats: int = 3) -> dict:
    """Compile time and best-of-``repeats`` run time (s) of the jitted fit + forecast; the forecast."""
    model = spec.build(train.shape[1])
    z = jnp.asarray(train)
    start = time.perf_counter()
    compiled = jax.jit(_fit_forecast, static_argnums=(2, 4)).lower(model, z, n_forecast, spec.beta, spec.warmup).compile()
    compile_s = time.perf_counter() - start
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        pred = jax.block_until_ready(compiled(model, z, spec.beta))
        runs.append(time.perf_counter() - start)
    return {"compile_s": compile_s, "seconds": min(runs), "all_seconds": runs, "prediction": np.asarray(pred)}


def compare_with_reservoirpy(
    series: np.ndarray,
    *,
    n_train: int,
    n_forecast: int,
    dt: float,
    lyapunov_exponent: float,
    spec: ESNSpec = ESNSpec(),
    repeats: int = 3,
    python: str | Path = BENCH_PYTHON,
    timeout: float = 1800.0,
) -> dict:
    """Fit on ``series[:n_train]`` (T, D), forecast the next ``n_forecast`` points with both
    libraries; the series is standardised with the training mean and std first.

    Returns ``{"jax": {...}, "reservoirpy": {...} or None, "speedup": reservoirpy s / jax s,
    "units", "n_train", "n_forecast"}``; valid prediction times in Lyapunov times
    (:func:`chaos.metrics.valid_prediction_time`, threshold 0.4, the training series as
    reference). ``reservoirpy`` is None (with ``"skipped"`` saying why) when ``python`` does
    not exist: create it with ``bash scripts/bench_env.sh``.
    """
    from chaos.metrics import valid_prediction_time

    series = np.asarray(series, dtype=np.float64)
    if series.ndim != 2 or series.shape[0] < n_train + n_forecast:
        raise ValueError(f"series must have shape (T >= n_train + n_forecast = {n_train + n_forecast}, D), got {series.shape}")
    mean, std = series[:n_train].mean(0), series[:n_train].std(0)
    z = (series - mean) / np.where(std > 0, std, 1.0)
    train, truth = z[:n_train], z[n_train : n_train + n_forecast]

    def vpt(pred):
        pred = np.clip(np.nan_to_num(pred, nan=1e12), -1e12, 1e12)
        return valid_prediction_time(truth, pred, dt=dt, lyapunov_exponent=lyapunov_exponent, reference=train)

    ours = time_jax_esn(spec, train, n_forecast, repeats=repeats)
    result = {"units": spec.n_units, "n_train": n_train, "n_forecast": n_forecast, "device": str(jax.devices()[0]),
              "jax": {"seconds": ours["seconds"], "compile_s": ours["compile_s"], "vpt_lyapunov_times": vpt(ours["prediction"])},
              "reservoirpy": None, "speedup": None}
    if not Path(python).exists():
        result["skipped"] = f"{python} not found; create it with `bash scripts/bench_env.sh`"
        return result
    model = spec.build(series.shape[1])
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data.npz"
        np.savez(data, series=z, W=np.asarray(model.dense_w()), Win=np.asarray(model.w_in), bias=np.asarray(model.bias),
                 leak=spec.leak, beta=spec.beta, warmup=spec.warmup, dt=dt, lyapunov_exponent=lyapunov_exponent)
        out = Path(tmp) / "out.json"
        cmd = [str(python), str(SCRIPT), "--data", str(data), "--json", str(out), "--units", str(spec.n_units),
               "--train", str(n_train), "--forecast", str(n_forecast), "--repeats", str(repeats)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"reservoirpy benchmark failed ({' '.join(cmd)}):\n{proc.stderr[-2000:]}")
        theirs = json.loads(out.read_text())
        their_pred = np.load(Path(tmp) / "out_prediction.npy")
    result["reservoirpy"] = theirs
    result["speedup"] = theirs["seconds"] / ours["seconds"]
    lead = min(50, n_forecast)
    result["max_abs_difference_first_50_steps"] = float(np.max(np.abs(their_pred[:lead] - ours["prediction"][:lead])))
    return result
