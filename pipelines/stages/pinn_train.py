"""Stage ``train-pinn``: one physics-informed method on one PDE problem, for one or more seeds.

    python -m pipelines train-pinn --set problem=convection --set method=r3 --profile quick

Each seed writes ``runs/<problem>[-<variant>]/<method>/seed<k>/``: ``prediction.nc`` (``u``,
``u_ref``, ``error`` on ``(t, x)`` against the :mod:`pdes.problems` reference, ``rel_l2`` in
the attrs), ``history.nc`` (the losses per step) and the checkpoints (a rerun resumes).

Options left unset (None) take the problem's preset for the profile (:data:`PRESETS`, keyed
``problem`` or, for one variant, ``problem/variant``): the
quick profile runs in minutes on a CPU, the full one is sized for a GPU. An unknown problem
or method, or a network that does not fit the problem (a periodic embedding on a Dirichlet
domain), is a one-line error before anything compiles.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines import contract, run_keys
from pipelines.config import ConfigError, config_to_dict
from pipelines.registry import Stage, StageContext

# Per-problem presets, applied to the config fields left None; ``steps`` are per time window.
# Sources: the R3 paper (convection: 4 x 50 tanh MLP, 1000 points, IC/BC weight 100, lr 1e-3 x 0.9 / 5000 steps),
# jaxpi (Allen-Cahn: modified MLP 4 x 256, periodic + Fourier embedding, RWF, causal, 32
# chunks) and the causal-training paper (KS regular: time marching over 10 windows of 0.1, as both
# its code, PredictiveIntelligenceLab/CausalPINNs, and jaxpi's ks example; they train up to 1M and
# 200k steps a window).
PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    "quick": {
        # time marching (5 windows of 1000 steps) and a faster schedule: chosen on seed 100 (not
        # a reported seed); one window of 5000 steps stays near 0.83 rel. L2 at beta = 50
        "convection": dict(params={"beta": 50.0}, steps=1000, windows=5, n_points=1000, lr=3e-3, decay_rate=0.8,
                           decay_steps=500),
        "allen_cahn": dict(body="modified_mlp", width=64, depth=3, periodic_harmonics=1, fourier_features=32,
                           fourier_scale=2.0, rwf=True, bc="exact", steps=3000, n_points=2048, w_ic=100.0,
                           decay_steps=2000),
        "ks": dict(body="modified_mlp", width=64, depth=3, periodic_harmonics=1, fourier_features=32,
                   fourier_scale=1.0, rwf=True, bc="exact", steps=1500, windows=2, n_points=1024, w_ic=100.0,
                   decay_steps=1000),
        "burgers": dict(steps=4000, n_points=2000, w_ic=10.0, w_bc=10.0),
        "burgers/travelling": dict(periodic_harmonics=1, steps=4000, n_points=2000, w_ic=10.0),
    },
    "full": {
        # the R3 paper's code: 300k Adam steps, lr 1e-3 x 0.9 every 5000 steps (StepLR), IC on
        # 512 x-points, periodic BC on 251 times
        "convection": dict(params={"beta": 50.0}, steps=300_000, n_points=1000, lr=1e-3, decay_rate=0.9,
                           decay_steps=5000, staircase=True, n_ic=512, n_bc=251),
        "allen_cahn": dict(body="modified_mlp", width=256, depth=4, periodic_harmonics=1, fourier_features=256,
                           fourier_scale=2.0, rwf=True, bc="exact", steps=150_000, n_points=8192, w_ic=100.0,
                           balancing="grad_norm", lbfgs_steps=0),
        "ks": dict(body="modified_mlp", width=256, depth=4, periodic_harmonics=1, fourier_features=256,
                   fourier_scale=1.0, rwf=True, bc="exact", steps=50_000, windows=10, n_points=4096, w_ic=100.0,
                   balancing="grad_norm"),
        "burgers": dict(steps=40_000, n_points=4000, w_ic=10.0, w_bc=10.0, lbfgs_steps=2000),
        # the LPINN paper's front: Raissi's Burgers settings, with its code's periodic inputs (cos x, sin x)
        "burgers/travelling": dict(periodic_harmonics=1, steps=40_000, n_points=4000, w_ic=10.0, lbfgs_steps=2000),
    },
}


@dataclass(frozen=True)
class TrainPinnConfig:
    problem: str = "convection"
    variant: str = "default"
    method: str = "r3"
    seeds: tuple[int, ...] = (0,)
    params: dict[str, float] | None = None  # parameter overrides, e.g. {beta = 50.0}
    # network
    body: str | None = field(default=None, metadata={"choices": ("mlp", "modified_mlp")})
    width: int | None = field(default=None, metadata={"min": 1})
    depth: int | None = field(default=None, metadata={"min": 1})
    activation: str | None = None
    periodic_harmonics: int | None = field(default=None, metadata={"min": 0})
    fourier_features: int | None = field(default=None, metadata={"min": 0})
    fourier_scale: float | None = None
    rwf: bool | None = None
    ic: str | None = field(default=None, metadata={"choices": ("soft", "exact")})
    bc: str | None = field(default=None, metadata={"choices": ("soft", "exact")})
    dtype: str = field(default="float32", metadata={"choices": ("float32", "float64")})
    # points
    n_points: int | None = field(default=None, metadata={"min": 2})
    period: int | None = field(default=None, metadata={"min": 1})
    pool: int | None = field(default=None, metadata={"min": 2})
    n_add: int | None = field(default=None, metadata={"min": 1})
    # loss
    w_res: float | None = None
    w_ic: float | None = None
    w_bc: float | None = None
    balancing: str | None = field(default=None, metadata={"choices": ("fixed", "grad_norm")})
    n_ic: int | None = field(default=None, metadata={"min": 2})  # initial-condition points
    n_bc: int | None = field(default=None, metadata={"min": 2})  # points on each boundary
    # optimiser
    steps: int | None = field(default=None, metadata={"min": 0})
    lr: float | None = None
    decay_rate: float | None = None
    decay_steps: int | None = field(default=None, metadata={"min": 1})
    staircase: bool | None = None  # step-wise decay (PyTorch StepLR, as in the R3 paper's code)
    chunk: int = field(default=500, metadata={"min": 1})
    lbfgs_steps: int | None = field(default=None, metadata={"min": 0})
    lbfgs_tol: float | None = field(default=None, metadata={"min": 0.0, "max": 1.0})  # 0: all lbfgs_steps
    # causal training and time marching
    n_chunks: int | None = field(default=None, metadata={"min": 1})
    windows: int | None = field(default=None, metadata={"min": 1})
    # evaluation and output
    eval_nx: int = field(default=0, metadata={"min": 0})  # 0: the problem's reference grid
    eval_nt: int = field(default=0, metadata={"min": 0})
    out_dir: str = "runs"
    resume: bool = True
    time_limit_s: float = field(default=0.0, metadata={"min": 0.0})  # 0: none; shared by the time windows

    def __post_init__(self):
        from pdes import problems

        from sciml.pinn import methods

        try:
            problems.get(self.problem, variant=self.variant)
        except problems.UnknownProblemError as err:
            raise ValueError(str(err)) from None
        methods.get(self.method)


_NETWORK = ("body", "width", "depth", "activation", "periodic_harmonics", "fourier_features", "fourier_scale",
            "rwf", "ic", "bc", "dtype")
_SAMPLER = ("n_points", "period", "pool", "n_add")
_LOSS = {"w_res": "res", "w_ic": "ic", "w_bc": "bc", "balancing": "balancing", "n_ic": "n_ic", "n_bc": "n_bc"}
_TRAIN = ("steps", "lr", "decay_rate", "decay_steps", "staircase", "chunk", "lbfgs_steps", "lbfgs_tol")


def run_config(cfg: TrainPinnConfig, profile: str, seed: int):
    """The :class:`sciml.pinn.RunConfig` of ``cfg`` and one seed: fields left None take the
    problem's preset for ``profile``, then the library defaults."""
    from sciml import pinn

    presets = PRESETS.get(profile, {})
    preset = presets.get(f"{cfg.problem}/{cfg.variant}", presets.get(cfg.problem, {}))
    values = {**{k: v for k, v in preset.items()}, **{k: v for k, v in dataclasses.asdict(cfg).items()
                                                       if v is not None}}
    if cfg.windows is None and pinn.methods.get(cfg.method).lagrangian:
        values["windows"] = 1  # the LPINN has no time marching; a preset's windows do not apply
    pick = lambda names: {n: values[n] for n in names if n in values}  # noqa: E731
    causal = pinn.CausalConfig(**({"n_chunks": values["n_chunks"]} if "n_chunks" in values else {}))
    return pinn.RunConfig(
        problem=cfg.problem, method=cfg.method, variant=cfg.variant, params=dict(values.get("params") or {}),
        network=pinn.NetworkConfig(**pick(_NETWORK)), sampler=pinn.SamplerConfig(**pick(_SAMPLER)),
        loss=pinn.LossConfig(**{_LOSS[k]: values[k] for k in _LOSS if k in values}),
        train=pinn.TrainConfig(**pick(_TRAIN)), causal=causal, windows=values.get("windows", 1), seed=seed,
        eval_grid=(cfg.eval_nx, cfg.eval_nt) if cfg.eval_nx and cfg.eval_nt else None,
    )


def checked_run_configs(cfg: TrainPinnConfig, profile: str) -> list:
    """Every seed's run config, checked against the problem; a ConfigError (one line) if not."""
    from sciml import pinn

    out = []
    for seed in cfg.seeds:
        try:
            rc = run_config(cfg, profile, seed)
            pinn.resolve(rc)
        except (TypeError, ValueError) as err:
            raise ConfigError(f"invalid train-pinn config: {' '.join(str(err).split())}") from None
        out.append(rc)
    return out


def run_dir(root: Path, rc) -> Path:
    name = rc.problem if rc.variant == "default" else f"{rc.problem}-{rc.variant}"
    return Path(root) / name / rc.method / f"seed{rc.seed}"


RUN_KEY_FILE = run_keys.RUN_KEY_FILE  # in a run's checkpoints/: the run config its checkpoints belong to


def run_config_dict(rc) -> dict:
    """``rc`` as the JSON-ready dict stored in a run's ``run_config`` attribute (by which
    bench-pinn recognises a run it can reuse), with the problem's ``revision`` where it is
    above 1, so that runs of an earlier definition of the problem do not match."""
    import json

    from pdes import problems

    from sciml.pinn import methods

    out = json.loads(json.dumps(dataclasses.asdict(rc), default=str))
    revision = problems.get(rc.problem, rc.variant).revision
    if revision > 1:
        out["problem_revision"] = revision
    # L-BFGS options that leave a run as it was stay out of the key, so that runs made before
    # they existed still match: the chunk size (chunks give the same iterates) and a tolerance of
    # 0 (every iteration). A causal run's L-BFGS phase weighs every time chunk 1 (before
    # 2026-12-07: the causal weights of the current parameters), so its earlier runs do not match.
    train = out["train"]
    train.pop("lbfgs_chunk", None)
    if not train.get("lbfgs_tol"):
        train.pop("lbfgs_tol", None)
    if train["lbfgs_steps"] and methods.get(rc.method).causal:
        out["lbfgs_causal_weights"] = "ones"
    return out


def _flat(d: dict, prefix: str = "") -> dict:
    """Nested dicts as one level of dotted keys: ``{"train": {"lr": 1}} -> {"train.lr": 1}``."""
    out = {}
    for k, v in d.items():
        out.update(_flat(v, f"{prefix}{k}.") if isinstance(v, dict) and v else {f"{prefix}{k}": v})
    return out


def _resume_same_run(checkpoints: Path, config: dict, resume: bool, log=print) -> bool:
    """Whether to resume from the checkpoints in ``checkpoints``: not when they were made with
    another run config (their ``run_key.json`` differs) or, having no key (made before keys
    were kept), for a problem whose definition has changed since (``problem_revision``)."""
    if not (resume and any(checkpoints.glob("*.eqx"))):
        return resume
    stored = run_keys.read(checkpoints / RUN_KEY_FILE)
    if stored is None:  # made before keys were kept: the same run unless the problem has changed since
        changed = ([f"problem definition (no run key, problem revision now {config['problem_revision']})"]
                   if "problem_revision" in config else [])
    else:
        was, now = _flat(stored), _flat(config)
        changed = [f"{k} (was {was.get(k)!r}, now {now.get(k)!r})" for k in sorted(set(was) | set(now))
                   if was.get(k) != now.get(k)]
    return run_keys.resume_unless_changed(checkpoints, changed, log)


def train_and_write(rc, directory: Path, config: dict, *, resume: bool = True, log=print,
                    time_limit_s: float | None = None):
    """Train one run, write ``prediction.nc`` and ``history.nc`` into ``directory``; returns
    the :class:`sciml.pinn.RunResult`.

    Besides the provenance (``config``: the stage's config), both files carry ``run_config``
    (the resolved :class:`sciml.pinn.RunConfig` as JSON, by which bench-pinn recognises a run
    it can reuse) and ``machine`` (where it was trained, as :func:`pipelines.bench.machine_info`).
    """
    import json

    from pipelines.bench import machine_info
    from sciml import pinn

    checkpoints = directory / "checkpoints"
    key = run_config_dict(rc)
    resume = _resume_same_run(checkpoints, key, resume, log)
    checkpoints.mkdir(parents=True, exist_ok=True)
    run_keys.write(checkpoints, key)
    result = pinn.run(rc, checkpoint_dir=checkpoints, resume=resume, log=log, time_limit_s=time_limit_s)
    generator = "pipelines train-pinn"
    attrs = {"run_config": json.dumps(key), "machine": json.dumps(machine_info())}
    for name, ds in (("prediction", result.prediction), ("history", result.history)):
        ds = contract.with_provenance(ds.assign_attrs(attrs), generator=generator, config=config, seed=rc.seed)
        contract.write_netcdf(ds, directory / f"{name}.nc")
    return result


def run(cfg: TrainPinnConfig, ctx: StageContext) -> None:
    configs = checked_run_configs(cfg, ctx.profile)
    root = Path(ctx.out) if ctx.out else ctx.repo_root / cfg.out_dir
    config = config_to_dict(cfg)
    for rc in configs:
        directory = run_dir(root, rc)
        result = train_and_write(rc, directory, {**config, "profile": ctx.profile, "seed": rc.seed},
                                 resume=cfg.resume, log=lambda m: print(f"  {m}", flush=True),
                                 time_limit_s=cfg.time_limit_s or None)
        sps = result.windows[0].steps_per_s  # None for a window of a single chunk (all compiling)
        rate = f", {sps:.0f} steps/s" if sps else ""
        print(f"{rc.problem} {rc.method} seed {rc.seed}: rel L2 {result.rel_l2:.3e} ({result.status}), "
              f"{result.wall_s:.0f} s{rate} -> {directory}", flush=True)


STAGE = Stage(
    name="train-pinn",
    help="train a physics-informed method on a PDE problem (runs/<problem>/<method>/seed<k>/)",
    config_cls=TrainPinnConfig,
    run=run,
)
