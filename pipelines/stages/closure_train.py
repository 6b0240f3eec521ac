"""Stage ``train-closure``: fit one closure of the coarse Lorenz 96 model on the ``data-l96`` ensembles.

``python -m pipelines train-closure --set model=mno`` (or ``make train-closure MODEL=mno``) reads
``data/l96/<profile>/train.nc`` (written by ``make data-l96``), keeps its last ``val_members`` members for
validation, fits the closure (least squares for ``poly``, Optax Adam for ``mlp`` and ``mno``, nothing for
``null``) to the coarse-step closure target, and writes ``runs/closures/<model>-<profile>/``:

* ``closure.eqx``: the closure with its hyperparameters and ``meta`` = {training config, data hash, data
  parameters (K, F, dt_c), history}; ``eval-closure`` refuses a file made with another config or data;
* ``metrics.json``: validation tendency RMSE and R^2, seconds, sizes.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines import contract
from pipelines._hints import missing
from pipelines.bench import machine_label
from pipelines.config import config_to_dict
from pipelines.registry import Stage, StageContext

MODELS = ("null", "poly", "mlp", "mno")
CLOSURE_FILE = "closure.eqx"


@dataclass(frozen=True)
class TrainClosureConfig:
    model: str = field(default="mno", metadata={"choices": MODELS})
    data_dir: str = field(default="data/l96", metadata={"help": "data-l96 output; <data_dir>/<profile>/train.nc"})
    data_profile: str = field(default="", metadata={"help": "data profile to read; empty: the stage's profile"})
    val_members: int = field(default=1, metadata={"min": 1, "help": "last members of train.nc kept for validation"})
    time_stride: int = field(default=1, metadata={"min": 1, "help": "use every n-th saved time as a sample"})
    epochs: int = field(default=30, metadata={"min": 1})
    batch_size: int = field(default=64, metadata={"min": 1})
    lr: float = field(default=1e-3, metadata={"min": 0.0})
    schedule: str = field(default="cosine", metadata={"choices": ("cosine", "constant")})
    degree: int = field(default=3, metadata={"min": 0, "help": "poly: polynomial degree (Arnold et al. 2013: 3)"})
    stencil: int = field(default=2, metadata={"min": 0, "help": "mlp: neighbours on each side"})
    mlp_width: int = field(default=32, metadata={"min": 1})
    mlp_depth: int = field(default=2, metadata={"min": 1})
    modes: int = field(default=8, metadata={"min": 1, "help": "mno: kept Fourier modes"})
    width: int = field(default=32, metadata={"min": 1, "help": "mno: channels"})
    n_layers: int = field(default=4, metadata={"min": 1})
    projection_hidden: int = field(default=64, metadata={"min": 1})
    seed: int = 0
    run_dir: str = "runs/closures"

    def hyperparameters(self) -> dict[str, Any]:
        """Constructor arguments of the closure ``model``."""
        return {"null": {}, "poly": {"degree": self.degree},
                "mlp": {"stencil": self.stencil, "width": self.mlp_width, "depth": self.mlp_depth},
                "mno": {"modes": self.modes, "width": self.width, "n_layers": self.n_layers,
                        "projection_hidden": self.projection_hidden}}[self.model]

    def training_record(self) -> dict[str, Any]:
        """What a closure file must have been made with: every field but the output directory."""
        out = config_to_dict(self)
        out.pop("run_dir")
        return out


def data_folder(cfg: Any, ctx: StageContext) -> Path:
    return Path(ctx.repo_root) / cfg.data_dir / (cfg.data_profile or ctx.profile)


def open_l96(folder: Path, name: str):
    """``<folder>/<name>.nc`` as a contract Dataset (MissingDataError naming `make data-l96` if absent)."""
    path = folder / f"{name}.nc"
    if not path.is_file():
        raise missing(path, "Lorenz 96 data set")
    return contract.open_dataset(path, dims={"X": ("member", "time", "k"), "closure_target": ("member", "time", "k")})


def training_arrays(cfg: TrainClosureConfig, ctx: StageContext):
    """``(x_train, y_train, x_val, y_val, info)`` as float32 ``(n, K)`` arrays from ``train.nc``, and the data's
    parameters and hash."""
    import numpy as np

    from sciml.closures import file_hash

    folder = data_folder(cfg, ctx)
    ds = open_l96(folder, "train")
    m = ds.sizes["member"]
    if m <= cfg.val_members:
        raise ValueError(f"train.nc has {m} members; val_members={cfg.val_members} must leave at least one for "
                         "training (make more with `make data-l96 ARGS='--set train_members=...'`)")
    x = ds.X.values[:, :: cfg.time_stride].astype(np.float32)
    y = ds.closure_target.values[:, :: cfg.time_stride].astype(np.float32)
    k = x.shape[-1]
    split = m - cfg.val_members
    info = {"data_hash": file_hash([folder / "train.nc"]), "data_file": str(folder / "train.nc"),
            "K": int(ds.attrs["param_K"]), "J": int(ds.attrs["param_J"]), "F": float(ds.attrs["param_F"]),
            "dt_coarse": float(ds.attrs["dt_coarse"]), "parameter_set": str(ds.attrs.get("parameter_set", "")),
            "n_train": int(split * x.shape[1]), "n_val": int(cfg.val_members * x.shape[1])}
    return x[:split].reshape(-1, k), y[:split].reshape(-1, k), x[split:].reshape(-1, k), y[split:].reshape(-1, k), info


def closure_path(cfg: TrainClosureConfig, ctx: StageContext) -> Path:
    return Path(ctx.out) if ctx.out else Path(ctx.repo_root) / cfg.run_dir / f"{cfg.model}-{ctx.profile}"


def train(cfg: TrainClosureConfig, ctx: StageContext) -> dict[str, Any]:
    """Fit and save the closure; returns the metrics written to ``metrics.json``."""
    import equinox as eqx
    import jax

    from sciml import closures
    from sciml.closures.evaluate import offline_scores

    x_tr, y_tr, x_val, y_val, info = training_arrays(cfg, ctx)
    key_init = jax.random.key(cfg.seed)
    t0 = time.perf_counter()
    model = closures.get(cfg.model).from_data(x_tr, y_tr, key=key_init, **cfg.hyperparameters())
    train_cfg = closures.ClosureTrainConfig(epochs=cfg.epochs, batch_size=min(cfg.batch_size, len(x_tr)), lr=cfg.lr,
                                            schedule=cfg.schedule, seed=cfg.seed)
    model, history = closures.train_closure(model, x_tr, y_tr, x_val, y_val, train_cfg)
    seconds = time.perf_counter() - t0
    val = offline_scores(model, x_val, y_val)
    run = closure_path(cfg, ctx)
    meta = {"config": cfg.training_record(), **{k: info[k] for k in ("data_hash", "K", "J", "F", "dt_coarse",
                                                                     "parameter_set")},
            "history": history.to_dict()}
    closures.save_closure(run / CLOSURE_FILE, model, meta)
    n_params = sum(a.size for a in jax.tree_util.tree_leaves(eqx.filter(model, eqx.is_inexact_array)))
    metrics = {"model": cfg.model, "profile": ctx.profile, "machine": machine_label(), "val_rmse": val["rmse"],
               "val_r2": val["r2"], "train_seconds": seconds, "compile_seconds": history.compile_seconds,
               "epochs": len(history.train_loss), "final_train_loss": history.train_loss[-1] if history.train_loss
               else None, "n_parameters": int(n_params), **info, "config": config_to_dict(cfg)}
    contract.atomic_write_json(run / "metrics.json", metrics)
    return metrics


def run(cfg: TrainClosureConfig, ctx: StageContext) -> dict[str, Any]:
    m = train(cfg, ctx)
    print(f"{cfg.model} closure at K={m['K']}: validation tendency RMSE {m['val_rmse']:.4f}, R^2 {m['val_r2']:.4f} "
          f"({m['train_seconds']:.1f} s, {m['n_parameters']} parameters) -> "
          f"{closure_path(cfg, ctx) / CLOSURE_FILE}")
    print(json.dumps({k: m[k] for k in ("val_rmse", "val_r2", "train_seconds")}))
    return m


STAGE = Stage(
    name="train-closure",
    help="fit a Lorenz 96 closure (null, poly, mlp, mno) on data/l96 -> runs/closures/<model>-<profile>/",
    config_cls=TrainClosureConfig,
    run=run,
)
