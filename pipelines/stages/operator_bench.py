"""Stage ``bench-operators``: every (data set, model) pair of the profile trained with the
``train-operator`` settings of that profile; test relative L2, seconds per epoch and inference
time per sample, and NUNO's error against FNO after global interpolation on each point-cloud
data set (the paper's claim: at most 0.6 times). Writes ``reports/bench/operators.json``.

Record names follow the issue: ``rel_l2/<dataset>/<model>``, ``s_per_epoch/<dataset>/<model>``
with data sets ``elasticity``, ``heatsink``, ``channel``, ``darcy``, ``burgers``,
``navier_stokes`` and models ``fno``, ``fno_interp``, ``nuno``, ``deeponet``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.bench import Record, write_stage_bench
from pipelines.config import load_config
from pipelines.registry import Stage, StageContext

from .operator_train import MODELS, TrainOperatorConfig, train_operator

RECORD_NAME = {"heat_sink": "heatsink", "channel_flow": "channel"}
PUBLISHED = {  # test relative L2 in the papers, for the report (same problem, their data)
    ("darcy", "fno"): (1.08e-2, "FNO paper, Darcy 85x85"),
    ("navier_stokes", "fno"): (1.28e-2, "FNO paper, FNO-2D, nu = 1e-3"),
    ("burgers", "fno"): (2.5e-3, "issue goal at 1024 points (FNO paper: 1.6e-3 at 1024)"),
    ("channel_flow", "nuno"): (1.74e-3, "NUNO paper, NU-FNO channel flow (their data)"),
    ("channel_flow", "fno_interp"): (3.61e-3, "NUNO paper, FNO after interpolation, channel flow (their data)"),
}


@dataclass(frozen=True)
class BenchOperatorsConfig:
    pairs: tuple[str, ...] = ()  # "data:model"; empty: every pair below
    epochs: int = field(default=0, metadata={"min": 0})  # 0: the train-operator profile's
    n_train: int = field(default=0, metadata={"min": 0})
    n_test: int = field(default=0, metadata={"min": 0})
    out_dir: str = "runs/bench-operators"

    def __post_init__(self):
        for pair in self.pairs:
            data, _, model = pair.partition(":")
            if model not in MODELS:
                raise ValueError(f"pair {pair!r}: model {model!r} is not one of {', '.join(MODELS)} (write data:model)")
            TrainOperatorConfig(model=model, data=data)  # validates the combination


DEFAULT_PAIRS = ("burgers:fno", "burgers:deeponet", "darcy:fno", "darcy:nuno", "darcy:fno_interp",
                 "elasticity:nuno", "elasticity:fno_interp", "elasticity:deeponet",
                 "heat_sink:nuno", "heat_sink:fno_interp", "channel_flow:nuno", "channel_flow:fno_interp",
                 "navier_stokes:fno")


def run(cfg: BenchOperatorsConfig, ctx: StageContext) -> list[Record]:
    records, results = [], {}
    for pair in cfg.pairs or DEFAULT_PAIRS:
        data, _, model = pair.partition(":")
        overrides = [f"model={model}", f"data={data}"] + [
            f"{k}={getattr(cfg, k)}" for k in ("epochs", "n_train", "n_test") if getattr(cfg, k)]
        train_cfg = load_config(TrainOperatorConfig, "train-operator", ctx.profile, overrides)
        train_cfg = dataclasses.replace(train_cfg, resume=False)
        run_ctx = dataclasses.replace(ctx, out=str(Path(ctx.repo_root) / cfg.out_dir / ctx.profile / f"{data}-{model}"))
        m = results[(data, model)] = train_operator(train_cfg, run_ctx)
        name = f"{RECORD_NAME.get(data, data)}/{model}"
        published = PUBLISHED.get((data, model))
        extra = {k: m[k] for k in ("n_train", "n_test", "epochs", "compile_s", "n_parameters", "setup")}
        records.append(Record(name=f"rel_l2/{name}", value=m["rel_l2_test"], unit="1", better="lower",
                              profile=ctx.profile, seed=train_cfg.seed, extra=extra,
                              reference={"value": published[0], "source": published[1]} if published else None))
        records.append(Record(name=f"s_per_epoch/{name}", value=m["s_per_epoch"], unit="s", better="lower",
                              profile=ctx.profile, extra={"n_train": m["n_train"], "batch_size": train_cfg.batch_size}))
        records.append(Record(name=f"inference_s_per_sample/{name}", value=m["inference_s_per_sample"], unit="s",
                              better="lower", profile=ctx.profile))
        if "rel_l2_test_full_resolution" in m:
            records.append(Record(name=f"rel_l2_superresolution/{name}", value=m["rel_l2_test_full_resolution"],
                                  unit="1", better="lower", profile=ctx.profile,
                                  reference={"value": 2 * m["rel_l2_test"], "source": "twice the error at the training resolution"},
                                  extra={"train": m["train_resolution"], "test": m["test_resolution"]}))
        print(f"{pair}: rel L2 {m['rel_l2_test']:.3e}, {m['s_per_epoch']:.3g} s/epoch")
    for (data, model), m in results.items():
        if model == "nuno" and (data, "fno_interp") in results:
            base = results[(data, "fno_interp")]
            name = RECORD_NAME.get(data, data)
            records.append(Record(name=f"nuno_vs_fno_interp/{name}", value=m["rel_l2_test"] / base["rel_l2_test"],
                                  unit="1", better="lower", profile=ctx.profile,
                                  reference={"value": 0.6, "source": "issue goal (NUNO paper's gap)"},
                                  extra={"s_per_epoch_ratio": m["s_per_epoch"] / base["s_per_epoch"]}))
    path = write_stage_bench("operators", records, ctx, out=Path(ctx.out) if ctx.out else None)
    print(f"wrote {path}")
    return records


STAGE = Stage(
    name="bench-operators",
    help="neural operators on every data set: test error, s/epoch, inference; NUNO vs FNO after interpolation",
    config_cls=BenchOperatorsConfig,
    run=run,
)
