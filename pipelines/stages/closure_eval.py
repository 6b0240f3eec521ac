"""Stage ``eval-closure``: offline and online scores of the trained Lorenz 96 closures.

For each closure (``runs/closures/<model>-<profile>/closure.eqx``; trained first with the ``train-closure``
settings of the profile if the file is missing, refused with a clear error if it was made with another config
or another training set) on the held-out ``test.nc`` of ``data-l96``:

* offline: tendency RMSE and R^2 against the coarse-step closure target;
* online: forecast RMSE of the coarse model with the closure from true states at the lead times, and long coarse
  runs against the two-level truth (Hellinger distance of the PDF of X, autocorrelation, spatial spectrum; a run
  that blows up is reported with its time);
* grid independence: the same closure, not retrained, on the ``eval-K<K>.nc`` rings (K = 72, 144);
* the "ideal" closure (the stored target applied once per step, float64) as a check of the evaluation itself.

Writes ``runs/closures/eval-<profile>/scores.json``; ``bench-l96`` turns the scores into records and figures.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines import contract
from pipelines.config import load_config
from pipelines.registry import Stage, StageContext

from .closure_train import CLOSURE_FILE, MODELS, TrainClosureConfig, data_folder, open_l96, train


@dataclass(frozen=True)
class EvalClosureConfig:
    closures: tuple[str, ...] = field(default=MODELS, metadata={"choices": MODELS})
    leads: tuple[float, ...] = field(default=(0.2, 0.5, 1.0, 2.0), metadata={"min": 0.0,
                                                                             "help": "forecast lead times (MTU)"})
    n_starts: int = field(default=10, metadata={"min": 1, "help": "forecast start states per test member"})
    long_duration: float = field(default=20.0, metadata={"min": 0.1, "help": "MTU of each long coarse run"})
    long_save_every: int = field(default=5, metadata={"min": 1, "help": "coarse steps between saved states"})
    max_lag: float = field(default=2.0, metadata={"min": 0.0, "help": "autocorrelation lags compared (MTU)"})
    sizes: tuple[int, ...] = field(default=(72, 144), metadata={"min": 4, "help": "rings of eval-K<K>.nc"})
    train_missing: bool = field(default=True, metadata={"help": "train a closure whose file does not exist"})
    check_ideal: bool = True
    data_dir: str = "data/l96"
    data_profile: str = ""
    run_dir: str = "runs/closures"

    def __post_init__(self):
        if not self.closures:
            raise ValueError("closures must name at least one of " + ", ".join(MODELS))
        if not self.leads or any(t <= 0 for t in self.leads):
            raise ValueError(f"leads must be positive lead times in MTU, got {self.leads}")


def load_trained(name: str, cfg: EvalClosureConfig, ctx: StageContext):
    """The closure ``name`` trained with this profile's ``train-closure`` settings on the current data
    (trained now if missing and ``train_missing``); ``(closure, meta)``."""
    from sciml.closures import file_hash, load_closure

    train_cfg = load_config(TrainClosureConfig, "train-closure", ctx.profile,
                            [f"model={name}", f"data_dir={cfg.data_dir}", f"data_profile={cfg.data_profile}",
                             f"run_dir={cfg.run_dir}"])
    run_ctx = dataclasses.replace(ctx, out=None)  # train-closure's own run folder, not eval's --out
    path = Path(ctx.repo_root) / cfg.run_dir / f"{name}-{ctx.profile}" / CLOSURE_FILE
    if not path.is_file() and cfg.train_missing:
        print(f"{path} does not exist: training the {name} closure first")
        train(train_cfg, run_ctx)
    expect = {"config": train_cfg.training_record(),
              "data_hash": file_hash([data_folder(train_cfg, run_ctx) / "train.nc"])}
    return load_closure(path, expect=expect)


def _online(closure, ds, cfg: EvalClosureConfig, *, ideal: bool = False) -> dict[str, Any]:
    import jax.numpy as jnp
    import numpy as np

    from sciml.closures.evaluate import forecast_rmse, long_run_statistics

    dt, forcing = float(ds.attrs["dt_coarse"]), float(ds.attrs["param_F"])
    xs = ds.X.values.astype(np.float64)
    if ideal:
        fc = forecast_rmse("ideal", xs, dt=dt, forcing=forcing, leads=cfg.leads, n_starts=cfg.n_starts,
                           targets=ds.closure_target.values.astype(np.float64), dtype=jnp.float64)
        return {"forecast": fc}
    fc = forecast_rmse(closure, xs, dt=dt, forcing=forcing, leads=cfg.leads, n_starts=cfg.n_starts)
    truth = xs[:, :: cfg.long_save_every]
    stats = long_run_statistics(closure, xs[:, 0], truth, dt=dt, forcing=forcing, duration=cfg.long_duration,
                                save_every=cfg.long_save_every, max_lag_time=cfg.max_lag)
    return {"forecast": fc, "long": stats}


def evaluate(cfg: EvalClosureConfig, ctx: StageContext) -> dict[str, Any]:
    """Scores of every configured closure (see the module docstring); curves of the long runs kept as arrays."""
    import numpy as np

    from sciml.closures.evaluate import offline_scores

    folder = data_folder(cfg, ctx)
    test = open_l96(folder, "test")
    others = {k: open_l96(folder, f"eval-K{k}") for k in cfg.sizes}
    base_k = int(test.attrs["param_K"])
    results: dict[str, Any] = {"K": base_k, "dt_coarse": float(test.attrs["dt_coarse"]), "closures": {},
                               "sizes": list(cfg.sizes)}
    for name in cfg.closures:
        t0 = time.perf_counter()
        closure, meta = load_trained(name, cfg, ctx)
        if meta.get("K") != base_k:
            raise ValueError(f"the {name} closure was trained at K={meta.get('K')}, the test set has K={base_k}")
        entry: dict[str, Any] = {"trained_K": meta.get("K"), "per_K": {}}
        for k, ds in [(base_k, test), *others.items()]:
            x = ds.X.values.astype(np.float32)
            y = ds.closure_target.values.astype(np.float32)
            scores: dict[str, Any] = {"K": k}
            try:
                closure.check_size(k)
            except ValueError as err:  # reported, not raised: a closure may not run on every ring
                scores["error"] = str(err)
                entry["per_K"][k] = scores
                continue
            scores["offline"] = offline_scores(closure, x.reshape(-1, k), y.reshape(-1, k))
            scores.update(_online(closure, ds, cfg))
            entry["per_K"][k] = scores
        entry["seconds"] = time.perf_counter() - t0
        results["closures"][name] = entry
        base = entry["per_K"][base_k]
        long = base["long"]
        print(f"{name}: offline RMSE {base['offline']['rmse']:.4f} R^2 {base['offline']['r2']:.4f}; forecast RMSE "
              + ", ".join(f"{t}: {v:.3f}" for t, v in base["forecast"]["rmse"].items())
              + f"; Hellinger {long.hellinger:.4f}"
              + (f"; BLEW UP at t = {long.diverged_at:.2f} MTU" if long.diverged_at is not None else "")
              + f" ({entry['seconds']:.1f} s)")
        for k in cfg.sizes:
            s = entry["per_K"][k]
            if "error" in s:
                print(f"  K={k}: {s['error']}")
            else:
                print(f"  K={k}: offline R^2 {s['offline']['r2']:.4f}, forecast RMSE at {cfg.leads[-1]} MTU "
                      f"{s['forecast']['rmse'][cfg.leads[-1]]:.3f}, Hellinger {s['long'].hellinger:.4f}"
                      + (f", BLEW UP at t = {s['long'].diverged_at:.2f}" if s["long"].diverged_at is not None else ""))
    if cfg.check_ideal:
        ideal = _online(None, test, cfg, ideal=True)["forecast"]
        results["ideal"] = ideal
        print("ideal closure (stored target once per step, float64): forecast RMSE "
              + ", ".join(f"{t}: {v:.2e}" for t, v in ideal["rmse"].items()))
    return results


def jsonable(results: dict[str, Any]) -> dict[str, Any]:
    """``results`` with the long-run statistics reduced to their summaries (for scores.json)."""
    def conv(v):
        if hasattr(v, "summary"):
            return v.summary()
        if isinstance(v, dict):
            return {str(k): conv(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [conv(x) for x in v]
        return v

    return conv(results)


def run(cfg: EvalClosureConfig, ctx: StageContext) -> dict[str, Any]:
    results = evaluate(cfg, ctx)
    out = Path(ctx.out) if ctx.out else Path(ctx.repo_root) / cfg.run_dir / f"eval-{ctx.profile}"
    path = contract.atomic_write_json(out / "scores.json", jsonable(results))
    print(f"wrote {path}")
    return results


STAGE = Stage(
    name="eval-closure",
    help="offline and online scores of the Lorenz 96 closures, at K=36 and on larger rings -> runs/closures/eval-*/",
    config_cls=EvalClosureConfig,
    run=run,
)
