"""Stage ``data-l96``: two-level Lorenz 96 ensembles with the exact coupling and the coarse-step
closure target, ``data/l96/<profile>/<name>.nc``:

* ``train.nc`` and ``test.nc``: the named parameter set (default lorenz1996, K = 36),
  independent initial conditions;
* ``eval-K<K>.nc`` for each K in ``eval_K``: the same parameters on a larger ring (grid-
  independence tests of closures trained at the base K).

Each data set's PRNG key is the seed folded with its name, so a set does not depend on which
other sets were made. Variables and the closure-target definition: :func:`chaos.lorenz96.make_dataset`.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from pipelines import contract
from pipelines.bench import Record, write_stage_bench
from pipelines.config import config_to_dict
from pipelines.registry import Stage, StageContext


@dataclass(frozen=True)
class DataL96Config:
    parameter_set: str = "lorenz1996"
    K: int = field(default=0, metadata={"min": 0, "help": "slow variables of train/test; 0: the set's K"})
    train_members: int = field(default=4, metadata={"min": 1})
    train_duration: float = field(default=20.0, metadata={"min": 0.01, "help": "MTU per member after spin-up"})
    test_members: int = field(default=2, metadata={"min": 1})
    test_duration: float = field(default=10.0, metadata={"min": 0.01})
    eval_K: tuple[int, ...] = field(default=(72, 144), metadata={"min": 4})
    eval_members: int = field(default=2, metadata={"min": 1})
    eval_duration: float = field(default=10.0, metadata={"min": 0.01})
    spinup: float = field(default=5.0, metadata={"min": 0.0, "help": "MTU discarded before saving"})
    dt: float = field(default=0.005, metadata={"min": 1e-5, "max": 0.05, "help": "RK4 step of the two-level run"})
    save_every: int = field(default=2, metadata={"min": 1, "help": "RK4 steps per coarse step dt_c"})
    save_y: bool = False
    store_dtype: str = field(default="float32", metadata={"choices": ("float32", "float64")})
    seed: int = 0
    out_dir: str = "data/l96"

    def __post_init__(self):
        from chaos.lorenz96 import parameter_set

        self.params()  # unknown set or bad K: a one-line error now
        for k in self.eval_K:
            parameter_set(self.parameter_set, K=k)

    def params(self):
        from chaos.lorenz96 import parameter_set

        return parameter_set(self.parameter_set, **({"K": self.K} if self.K else {}))


def data_sets(cfg: DataL96Config) -> list[tuple[str, object, int, float]]:
    """(file stem, L96Params, members, duration) of every data set the stage writes."""
    from chaos.lorenz96 import parameter_set

    base = cfg.params()
    sets = [("train", base, cfg.train_members, cfg.train_duration), ("test", base, cfg.test_members, cfg.test_duration)]
    sets += [(f"eval-K{k}", parameter_set(cfg.parameter_set, K=k), cfg.eval_members, cfg.eval_duration)
             for k in cfg.eval_K]
    return sets


def output_dir(cfg: DataL96Config, ctx: StageContext) -> Path:
    return Path(ctx.out) if ctx.out else ctx.repo_root / cfg.out_dir / ctx.profile


def run(cfg: DataL96Config, ctx: StageContext) -> None:
    import jax
    import numpy as np

    from chaos.lorenz96 import make_dataset

    started = time.perf_counter()
    out = output_dir(cfg, ctx)
    config = config_to_dict(cfg)
    rows, points = [], 0
    for name, p, members, duration in data_sets(cfg):
        t0 = time.perf_counter()
        key = jax.random.fold_in(jax.random.key(cfg.seed), zlib.crc32(name.encode()))
        ds = make_dataset(p, key=key, n_members=members, duration=duration, dt=cfg.dt,
                          save_every=cfg.save_every, spinup=cfg.spinup, save_y=cfg.save_y, name=cfg.parameter_set)
        ds = ds.astype({v: cfg.store_dtype for v in ds.data_vars})
        ds.attrs["data_set"] = name
        ds = contract.with_provenance(ds, generator="pipelines data-l96", config=config, seed=cfg.seed)
        path = contract.write_netcdf(ds, out / f"{name}.nc")
        seconds = time.perf_counter() - t0
        x = ds.X.values.astype(np.float64)
        rows.append({"data_set": name, "K": p.K, "J": p.J, "members": members, "times": ds.sizes["time"],
                     "seconds": round(seconds, 3), "mean_X": float(x.mean()), "std_X": float(x.std()),
                     "rms_U": float(np.sqrt((ds.U.values.astype(np.float64) ** 2).mean()))})
        points += members * ds.sizes["time"] * p.K * (1 + p.J)
        print(f"wrote {path}: {members} members x {ds.sizes['time']} times, K={p.K}, J={p.J} "
              f"({seconds:.1f} s; mean X {rows[-1]['mean_X']:.3f}, std X {rows[-1]['std_X']:.3f})")
    if ctx.out is None:
        wall = time.perf_counter() - started
        records = [
            Record(name="wall_s", value=wall, unit="s", better="lower", profile=ctx.profile, seed=cfg.seed,
                   extra={"data_sets": rows}),
            Record(name="state_values_per_s", value=points / wall, unit="values/s", better="higher",
                   profile=ctx.profile,
                   extra={"note": "saved times x (K + K*J) over wall time, compile and I/O included"}),
        ]
        write_stage_bench("l96_data", records, ctx)


STAGE = Stage(
    name="data-l96",
    help="two-level Lorenz 96 ensembles, exact coupling and closure targets -> data/l96/<profile>/",
    config_cls=DataL96Config,
    run=run,
)
