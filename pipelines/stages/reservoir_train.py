"""Stage ``train-reservoir``: a reservoir computer (esn | ngrc | qrc) on one system of the
chaos database, with dysts' forecasting protocol.

``python -m pipelines train-reservoir --set model=esn --set system=Lorenz`` (or ``make
train-reservoir MODEL=esn SYSTEM=Lorenz``) reads ``data/chaos/<profile>.nc`` (made by ``make
data-chaos``), trains on the first ``train_periods`` dominant periods of trajectory ``ic``
(100 points a period in the database), forecasts the next ``test_periods`` in closed loop,
and writes ``runs/reservoir/<system>-<model>-<profile>/``: ``metrics.json`` (sMAPE, valid
prediction time in Lyapunov times, seconds, machine) and ``forecast.nc`` (prediction and
truth, data contract).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from pipelines import contract
from pipelines._hints import MissingDataError
from pipelines.bench import machine_label
from pipelines.config import config_to_dict
from pipelines.registry import Stage, StageContext

MODELS = ("esn", "ngrc", "qrc")
# config keys that are hyperparameters of one model (None: the model's default)
HYPER = {
    "esn": ("n_units", "spectral_radius", "connectivity", "input_scaling", "bias_scaling", "leak", "beta", "warmup"),
    "ngrc": ("k", "skip", "degree", "beta"),
    "qrc": ("n_qubits", "p_amplitude", "p_phase", "p_depolarizing", "input_scaling", "depth", "memory", "beta", "warmup"),
}


@dataclass(frozen=True)
class TrainReservoirConfig:
    model: str = field(default="esn", metadata={"choices": MODELS})
    system: str = "Lorenz"
    ic: int = field(default=0, metadata={"min": 0})
    train_periods: float = field(default=10.0, metadata={"min": 0.01})
    test_periods: float = field(default=2.0, metadata={"min": 0.01})
    seed: int = 0
    # hyperparameters; None keeps sciml.reservoir.forecasting's default for the model
    n_units: int | None = None
    spectral_radius: float | None = None
    connectivity: float | None = None
    input_scaling: float | None = None
    bias_scaling: float | None = None
    leak: float | None = None
    beta: float | None = None
    warmup: int | None = None
    k: int | None = None
    skip: int | None = None
    degree: int | None = None
    n_qubits: int | None = None
    p_amplitude: float | None = None
    p_phase: float | None = None
    p_depolarizing: float | None = None
    depth: int | None = None
    memory: str | None = None
    data_dir: str = "data/chaos"
    run_dir: str = "runs/reservoir"

    def __post_init__(self):
        from chaos import systems

        systems.check_names([self.system])
        given = {name for names in HYPER.values() for name in names if getattr(self, name) is not None}
        foreign = sorted(given - set(HYPER[self.model]))
        if foreign:
            raise ValueError(f"{foreign} are not hyperparameters of {self.model!r} (its keys: {', '.join(HYPER[self.model])})")

    def spec(self):
        from sciml.reservoir.forecasting import spec_for

        overrides = {n: getattr(self, n) for n in HYPER[self.model] if getattr(self, n) is not None}
        if self.model != "ngrc":
            overrides["seed"] = self.seed
        return spec_for(self.model, **overrides)


def load_trajectory(cfg: TrainReservoirConfig, ctx: StageContext):
    """Trajectory ``cfg.ic`` of ``cfg.system`` (T, D) and its Dataset attrs, from the database."""
    import numpy as np

    path = ctx.repo_root / cfg.data_dir / f"{ctx.profile}.nc"
    if not path.exists():
        raise MissingDataError(f"the chaos database {str(path)!r} does not exist; run `make data-chaos PROFILE={ctx.profile}`")
    tree = contract.open_datatree(path)
    if cfg.system not in tree.children:
        raise MissingDataError(f"{cfg.system!r} is not in {path} ({len(tree.children)} systems); "
                               f"run `make data-chaos PROFILE={ctx.profile}` (every system; those already done are resumed)")
    ds = tree[cfg.system].to_dataset()
    n_ics = ds.sizes["ic"]
    if cfg.ic >= n_ics:
        raise ValueError(f"ic={cfg.ic} but {cfg.system} has {n_ics} trajectories in {path} (0..{n_ics - 1})")
    if not bool(ds.valid[cfg.ic]):
        raise ValueError(f"trajectory {cfg.ic} of {cfg.system} failed during generation (see its 'failures' attr); pick another ic")
    return np.asarray(ds.x[cfg.ic]), dict(ds.attrs)


def run(cfg: TrainReservoirConfig, ctx: StageContext) -> dict:
    from pipelines.jaxsetup import configure_jax

    configure_jax()
    import numpy as np
    import xarray as xr

    from sciml.reservoir.forecasting import forecast_dysts_protocol

    spec = cfg.spec()
    x, attrs = load_trajectory(cfg, ctx)
    pts = int(json.loads(attrs["spec"])["pts_per_period"])
    dt = float(attrs["dt_save"])
    lam = attrs.get("maximum_lyapunov_estimated")
    n_need = int(round((cfg.train_periods + cfg.test_periods) * pts))
    if x.shape[0] < n_need:
        raise ValueError(f"{cfg.system} has {x.shape[0]} points ({x.shape[0] / pts:g} periods) in the {ctx.profile} "
                         f"database; train_periods + test_periods = {cfg.train_periods + cfg.test_periods:g} periods "
                         f"need {n_need}: lower them or regenerate with a larger data-chaos n_periods")
    start = time.perf_counter()
    out = forecast_dysts_protocol(spec, x, pts_per_period=pts, train_periods=cfg.train_periods,
                                  test_periods=cfg.test_periods, dt=dt,
                                  lyapunov_exponent=float(lam) if lam and lam > 0 else None)
    seconds = time.perf_counter() - start
    run_dir = Path(ctx.out) if ctx.out else ctx.repo_root / cfg.run_dir / f"{cfg.system}-{cfg.model}-{ctx.profile}"
    metrics = {
        "system": cfg.system, "model": cfg.model, "profile": ctx.profile, "machine": machine_label(), "ic": cfg.ic,
        "smape": out["smape"], "vpt_lyapunov_times": out.get("vpt"), "finite": out["finite"],
        "n_train": out["n_train"], "n_test": out["n_test"], "dt": dt, "lyapunov_exponent": lam,
        "fit_forecast_s": seconds, "hyperparameters": {k: v for k, v in vars(spec).items()},
        "config": config_to_dict(cfg),
    }
    times = dt * (out["n_train"] + np.arange(out["n_test"]))
    units = attrs.get("units", "1 (system units)")
    ds = xr.Dataset(
        {
            "prediction": (("time", "dim"), out["prediction"], {"long_name": f"{cfg.model} closed-loop forecast", "units": units}),
            "truth": (("time", "dim"), out["truth"], {"long_name": f"{cfg.system} trajectory {cfg.ic}", "units": units}),
        },
        coords={
            "time": ("time", times, {"long_name": "time after burn-in", "units": "system time units"}),
            "dim": ("dim", np.arange(x.shape[1]), {"long_name": "coordinate index", "units": "1"}),
        },
        attrs={"system": cfg.system, "model": cfg.model, "smape": out["smape"],
               "vpt_lyapunov_times": -1.0 if out.get("vpt") is None else out["vpt"]},
    )
    ds = contract.with_provenance(ds, generator="pipelines train-reservoir", config=cfg, seed=cfg.seed)
    contract.write_netcdf(ds, run_dir / "forecast.nc")
    contract.atomic_write_json(run_dir / "metrics.json", metrics)
    vpt = "n/a" if out.get("vpt") is None else f"{out['vpt']:.2f} Lyapunov times"
    print(f"{cfg.model} on {cfg.system}: sMAPE {out['smape']:.3g}, valid prediction time {vpt} "
          f"({seconds:.2f} s fit + forecast, compile included) -> {run_dir}")
    return metrics


STAGE = Stage(
    name="train-reservoir",
    help="reservoir computer (esn, ngrc, qrc) on one chaos-database system, dysts' protocol -> runs/reservoir/",
    config_cls=TrainReservoirConfig,
    run=run,
)
