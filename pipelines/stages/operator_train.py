"""Stage ``train-operator``: train one neural operator on one PDE data set.

``python -m pipelines train-operator --set model=nuno --set data=elasticity`` (or ``make
train-operator MODEL=nuno DATA=elasticity``) reads the data set written by ``make data-pdes``
(``data/pdes/<data>/``), trains, and writes ``runs/operators/<data>-<model>-<profile>/``:
``checkpoint.eqx`` (every few epochs; a rerun resumes from it), ``history.nc`` (losses and
seconds per epoch) and ``metrics.json`` (test relative L2, seconds per epoch, sizes, machine).
Point-cloud models also keep their interpolated grids there (``point_setup_cache.npz``,
reused while the data and grids are unchanged), so that a resumed paper-size run starts
training at once instead of interpolating every cloud again.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from pipelines import contract, run_keys
from pipelines._hints import MissingDataError
from pipelines.bench import machine_label
from pipelines.config import config_to_dict
from pipelines.registry import Stage, StageContext

GRID_DATA = ("burgers", "navier_stokes", "darcy")
POINT_DATA = ("elasticity", "heat_sink", "channel_flow", "darcy")
MODELS = ("fno", "fno_interp", "nuno", "nuno_fourier", "deeponet")
# what each model reads: grids for fno, point clouds for nuno / nuno_fourier / fno_interp; deeponet either
FORM = {"fno": "grid", "fno_interp": "points", "nuno": "points", "nuno_fourier": "points"}
# deeponet's sizes by default (sciml.operators.experiment.ModelSpec's); other models refuse others
DEEPONET_SIZES = {"deeponet_width": 128, "deeponet_depth": 3, "deeponet_basis": 64}


@dataclass(frozen=True)
class TrainOperatorConfig:
    model: str = field(default="fno", metadata={"choices": MODELS})
    data: str = field(default="burgers", metadata={"choices": tuple(sorted(set(GRID_DATA + POINT_DATA)))})
    n_train: int = field(default=40, metadata={"min": 1})
    n_test: int = field(default=10, metadata={"min": 1})
    epochs: int = field(default=50, metadata={"min": 1})
    batch_size: int = field(default=10, metadata={"min": 1})
    lr: float = field(default=1e-3, metadata={"min": 0.0})
    weight_decay: float = field(default=1e-4, metadata={"min": 0.0})
    # decoupled: AdamW's; coupled: torch Adam's L2 in the gradient (the FNO / NUNO reference scripts')
    weight_decay_mode: str = field(default="decoupled", metadata={"choices": ("decoupled", "coupled")})
    # step: lr x gamma every decay_every epochs (the FNO papers: 0.5 every 100); plateau: lr x gamma
    # once the epoch's training loss has not improved for more than `patience` epochs (the NUNO
    # code's heat sink: torch ReduceLROnPlateau, gamma 0.1, patience epochs // 20; 0 here: that)
    lr_schedule: str = field(default="step", metadata={"choices": ("step", "plateau")})
    decay_every: int = field(default=100, metadata={"min": 1})
    gamma: float = field(default=0.5, metadata={"min": 0.0, "max": 1.0})
    patience: int = field(default=0, metadata={"min": 0})
    width: int = field(default=32, metadata={"min": 1})
    modes: int = field(default=12, metadata={"min": 1})
    n_layers: int = field(default=4, metadata={"min": 1})
    padding: int = field(default=0, metadata={"min": 0})
    n_subdomains: int = field(default=6, metadata={"min": 1})
    oversampling: float = field(default=1.5, metadata={"min": 0.01})
    # point models: the grid shape itself, shortest side's axis first (empty: sized by oversampling)
    grid_shape: tuple[int, ...] = field(default=(), metadata={"min": 2})
    x_scope: str = field(default="channel", metadata={"choices": ("channel", "pointwise")})  # point models' input stats
    # point models: the clouds' kernel density on the grids as one more input (bandwidth / box side)
    density_bandwidth: float = field(default=0.0, metadata={"min": 0.0, "max": 1.0})
    # nuno_fourier: the anchor's dropout rate in training (0.1 there; 0: none)
    dropout: float = field(default=0.0, metadata={"min": 0.0, "max": 0.99})
    # deeponet: branch and trunk MLPs of deeponet_depth hidden layers deeponet_width wide, and
    # deeponet_basis basis functions per output (the NUNO code's elasticity DeepONet: 256 wide, 4
    # hidden layers, 256 basis functions, ReLU where ours has GELU)
    deeponet_width: int = field(default=DEEPONET_SIZES["deeponet_width"], metadata={"min": 1})
    deeponet_depth: int = field(default=DEEPONET_SIZES["deeponet_depth"], metadata={"min": 1})
    deeponet_basis: int = field(default=DEEPONET_SIZES["deeponet_basis"], metadata={"min": 1})
    subsample: int = field(default=1, metadata={"min": 1})  # grids: every k-th node per axis, train and test
    train_subsample: int = field(default=1, metadata={"min": 1})  # grids: train on every k-th point, test at full
    t_in: int = field(default=0, metadata={"min": 0})  # navier_stokes: input times (0: a fifth of them)
    seed: int = 0
    data_dir: str = "data/pdes"
    run_dir: str = "runs/operators"
    resume: bool = True

    def __post_init__(self):
        if self.model == "fno" and self.data not in GRID_DATA:
            raise ValueError(f"model 'fno' runs on grids ({', '.join(GRID_DATA)}), not {self.data!r}; "
                             "on point clouds use nuno, fno_interp or deeponet")
        if FORM.get(self.model) == "points" and self.data not in POINT_DATA:
            raise ValueError(f"model {self.model!r} runs on point clouds ({', '.join(POINT_DATA)}), not {self.data!r}; "
                             "on grids use fno or deeponet")
        if self.density_bandwidth > 0 and self.form == "grid":
            raise ValueError(f"density_bandwidth={self.density_bandwidth} adds the point clouds' density to a point "
                             f"model's grids; {self.model} on {self.data!r} reads grids")
        if self.dropout > 0 and self.model != "nuno_fourier":
            raise ValueError(f"dropout={self.dropout} is the anchor NU-FNO's regulariser, for model nuno_fourier "
                             f"only; {self.model} has none")
        sized = {k: getattr(self, k) for k in DEEPONET_SIZES if getattr(self, k) != DEEPONET_SIZES[k]}
        if sized and self.model != "deeponet":
            raise ValueError(f"{', '.join(f'{k}={v}' for k, v in sized.items())} sizes the DeepONet, for model "
                             f"deeponet only; {self.model} is sized by width, modes and n_layers")
        if self.lr_schedule == "plateau" and not 0 < self.gamma < 1:
            raise ValueError(f"gamma={self.gamma} is the plateau schedule's lr factor; it must be in (0, 1) "
                             "(the NUNO code's: 0.1)")
        if self.lr_schedule == "plateau" and self.patience == 0:  # resolved here, so that the run key
            object.__setattr__(self, "patience", max(1, self.epochs // 20))  # holds what the run uses
        if self.grid_shape and self.form == "grid":
            raise ValueError(f"grid_shape={list(self.grid_shape)} sets a point model's interpolation grid; "
                             f"{self.model} on {self.data!r} reads the data's own grid (use subsample to thin it)")
        if self.subsample > 1 and self.form != "grid":
            raise ValueError(f"subsample={self.subsample} thins grids ({', '.join(GRID_DATA)} with model fno or "
                             f"deeponet); {self.model} on {self.data!r} reads point clouds")
        if self.train_subsample > 1 and self.form != "grid":
            raise ValueError(f"train_subsample={self.train_subsample} trains a grid model coarse and tests it fine "
                             f"({', '.join(GRID_DATA)} with model fno or deeponet); {self.model} on {self.data!r} "
                             "reads point clouds")

    @property
    def form(self) -> str:
        return FORM.get(self.model, "grid" if self.data in ("burgers", "navier_stokes") else "points")


def lr_schedule(cfg: TrainOperatorConfig):
    """The trainer's schedule for ``cfg.lr_schedule`` (see the config's fields)."""
    from sciml import operators

    if cfg.lr_schedule == "plateau":
        return operators.Plateau(patience=cfg.patience, factor=cfg.gamma)
    return operators.StepDecay(cfg.decay_every, cfg.gamma)


def load_pieces(cfg: TrainOperatorConfig, root: Path):
    """The first n_train + n_test samples' pieces of the data set, as contract Datasets; for a grid
    model only the gridded fields, thinned to every ``cfg.subsample``-th node as each piece is read."""
    from sciml.operators.data import thin_grid

    folder = root / cfg.data_dir / cfg.data
    pieces = sorted(folder.glob("sample_*.nc")) or sorted(folder.glob("chunk_*.nc"))
    need = cfg.n_train + cfg.n_test
    if not pieces:
        raise MissingDataError(f"no samples of {cfg.data!r} in {folder}; create them with `make data-pdes`")
    datasets, count = [], 0
    for path in pieces:
        ds = contract.open_dataset(path)
        datasets.append(thin_grid(cfg.data, ds, cfg.subsample) if cfg.form == "grid" else ds)
        count += ds.sizes.get("sample", 1)
        if count >= need:
            break
    if count < need:
        option = "operator_samples" if "sample" in datasets[0].dims else "samples"
        raise MissingDataError(f"{cfg.data!r} has {count} samples in {folder}, n_train + n_test = {need} are needed; "
                               f"make more with `make data-pdes ARGS='--set datasets={cfg.data} --set {option}={need}'`")
    return datasets


RUN_KEY_FILE = run_keys.RUN_KEY_FILE
# settings a run may change and still resume: more epochs, and where it is written
RESUMABLE = ("resume", "epochs", "run_dir")
# a model's network revision, raised when its architecture changes, so that runs and checkpoints
# made with the old network are neither reused nor resumed; runs from before revisions were kept
# count as revision 1. nuno_fourier 2: the anchor's shared readout (was per-leaf spectral weights);
# 3: the anchor's trunk end (activated last layer, one linear map to the leaf images)
MODEL_REVISIONS = {"nuno_fourier": 3}


def model_revision(model: str) -> int:
    return MODEL_REVISIONS.get(model, 1)


def revision_change(stored: dict, model: str) -> tuple[int, int] | None:
    """``(was, now)`` when the run record ``stored`` (its ``run_key.json`` or ``metrics.json``)
    was made with another network revision of ``model`` than the current one, else None."""
    was, now = stored.get("model_revision", 1), model_revision(model)
    return (was, now) if was != now else None


def data_key(pieces) -> str:
    """Which data a run trains on: a hash over the pieces (in order) of the key ``data-pdes``
    solved each from (seed, piece, options) and the time it was written, so that the same files
    give the same key and regenerated or changed data another; pieces without those attributes
    (written by hand) are hashed by all their attributes."""
    h = hashlib.sha256(b"data v1")
    for ds in pieces:
        attrs = ds.attrs
        ident = ({k: attrs[k] for k in ("piece_key", "created") if k in attrs} if "piece_key" in attrs
                 else {k: str(v) for k, v in attrs.items()})
        h.update(json.dumps(ident, sort_keys=True).encode())
    return h.hexdigest()[:16]


def _plain_config(cfg: TrainOperatorConfig) -> dict:
    """``cfg`` as JSON holds it (tuples as lists), so that it compares equal to a stored one."""
    return json.loads(json.dumps(config_to_dict(cfg)))


def run_key(cfg: TrainOperatorConfig, key_of_data: str) -> dict:
    """What a checkpoint depends on: the data (:func:`data_key`) and every setting but
    :data:`RESUMABLE`."""
    return {"data_key": key_of_data, "model_revision": model_revision(cfg.model),
            "config": {k: v for k, v in _plain_config(cfg).items() if k not in RESUMABLE}}


def settings_differ(stored: dict | None, cfg: TrainOperatorConfig, ignore=RESUMABLE) -> dict:
    """The settings of ``cfg`` (but ``ignore``) that a run made with the config ``stored`` (as
    written to JSON) had otherwise, as ``{name: (was, now)}``. A setting added after the run was
    made counts at its default, which is what the run had in effect; one the run had that
    ``cfg`` no longer knows differs."""
    ours = {k: v for k, v in _plain_config(cfg).items() if k not in ignore}
    defaults = _plain_config(TrainOperatorConfig())
    was = {**{k: defaults.get(k) for k in ours}, **(stored or {})}
    was = {k: v for k, v in was.items() if k not in ignore}
    return {k: (was.get(k), ours.get(k)) for k in sorted(set(was) | set(ours)) if was.get(k) != ours.get(k)}


def _resume_same_run(run: Path, cfg: TrainOperatorConfig, key_of_data: str, resume: bool) -> bool:
    """Whether to resume from a checkpoint in ``run``: not when it was started on other data or
    with other settings or another network revision (its ``run_key.json`` differs, by
    :func:`settings_differ` and :data:`MODEL_REVISIONS`; runs from
    before the key was kept have none and resume, the trainer still checking the optimiser
    settings)."""
    stored = run_keys.read(run / RUN_KEY_FILE)
    if not (resume and stored is not None and (run / "checkpoint.eqx").exists()):
        return resume
    differ = settings_differ(stored.get("config"), cfg)
    revision = revision_change(stored, cfg.model)
    changed = (["data"] if stored.get("data_key") != key_of_data else []) + (
        [f"network (revision {revision[0]}, now {revision[1]})"] if revision else []) + [
        f"{k} (was {was!r}, now {now!r})" for k, (was, now) in differ.items()]
    return run_keys.resume_unless_changed(run, changed)


def train_operator(cfg: TrainOperatorConfig, ctx: StageContext, pieces=None) -> dict:
    """Train as configured; returns the metrics written to ``metrics.json``. ``pieces``: the data
    set's pieces when the caller has loaded them already (:func:`load_pieces`)."""
    from pipelines.jaxsetup import configure_jax

    configure_jax()
    import equinox as eqx
    import jax
    import numpy as np

    from sciml import operators
    from sciml.operators import data, experiment

    run = Path(ctx.out) if ctx.out else ctx.repo_root / cfg.run_dir / f"{cfg.data}-{cfg.model}-{ctx.profile}"
    pieces = load_pieces(cfg, ctx.repo_root) if pieces is None else pieces
    key_of_data = data_key(pieces)
    resume = _resume_same_run(run, cfg, key_of_data, cfg.resume)
    spec = experiment.ModelSpec(width=cfg.width, modes=cfg.modes, n_layers=cfg.n_layers, padding=cfg.padding,
                                n_subdomains=cfg.n_subdomains, oversampling=cfg.oversampling,
                                grid_shape=tuple(cfg.grid_shape) or None,
                                x_scope=experiment.Scope(cfg.x_scope), density_bandwidth=cfg.density_bandwidth,
                                dropout=cfg.dropout, deeponet_width=cfg.deeponet_width,
                                deeponet_depth=cfg.deeponet_depth, deeponet_basis=cfg.deeponet_basis)
    key = jax.random.key(cfg.seed)
    start = time.perf_counter()
    if cfg.form == "grid":
        samples = data.grid_samples(cfg.data, pieces, t_in=cfg.t_in or None)
        n = cfg.n_train + cfg.n_test
        # (the pieces are thinned to every cfg.subsample-th node as they are read: load_pieces)
        full = data.GridSamples(samples.x[:n], samples.y[:n], samples.names_in, samples.names_out)
        coarse = full.thinned(cfg.train_subsample)
        setup = experiment.grid_setup(cfg.model, coarse, cfg.n_train, spec, key=key)
    else:
        samples = data.point_samples(cfg.data, pieces)
        n = cfg.n_train + cfg.n_test
        samples = data.PointSamples(samples.points[:n], samples.mask[:n], samples.x[:n], samples.y[:n],
                                    samples.cells[:n], samples.names_in, samples.names_out)
        setup = experiment.point_setup(cfg.model, samples, cfg.n_train, spec, key=key, cache_dir=run)
    prep_s = time.perf_counter() - start
    run.mkdir(parents=True, exist_ok=True)
    run_keys.write(run, run_key(cfg, key_of_data))
    train_cfg = operators.TrainConfig(epochs=cfg.epochs, batch_size=min(cfg.batch_size, cfg.n_train), lr=cfg.lr,
                                      weight_decay=cfg.weight_decay, weight_decay_mode=cfg.weight_decay_mode,
                                      schedule=lr_schedule(cfg), seed=cfg.seed,
                                      checkpoint_every=max(1, cfg.epochs // 10))
    model, history = operators.train(setup.model, setup.x_train, setup.y_train, setup.x_test, setup.y_test, train_cfg,
                                     mask=setup.mask_train, test_mask=setup.mask_test,
                                     checkpoint_dir=run, resume=resume, stochastic=setup.stochastic)
    # batches of batch_size under one jit: the whole test set at once would hold every
    # sample's activations (GBs for Darcy's 421 x 421 grids)
    predict = jax.jit(lambda *x: jax.lax.map(lambda s: model(*s), x, batch_size=train_cfg.batch_size))
    x_test = setup.x_test if isinstance(setup.x_test, tuple) else (setup.x_test,)
    pred = predict(*x_test)
    mask = setup.mask_test
    rel = np.asarray(operators.rel_l2_per_sample(pred, setup.y_test, mask))
    start = time.perf_counter()
    jax.block_until_ready(predict(*x_test))
    infer_s = (time.perf_counter() - start) / len(rel)
    seconds = list(history.seconds)
    metrics = {
        "data": cfg.data, "model": cfg.model, "profile": ctx.profile, "machine": machine_label(),
        "rel_l2_test": float(rel.mean()), "rel_l2_test_per_sample": rel.tolist(),
        "s_per_epoch": float(np.mean(seconds[1:] if len(seconds) > 1 else seconds)),
        "compile_s": history.compile_seconds, "prepare_s": prep_s, "inference_s_per_sample": infer_s,
        "epochs": len(seconds), "n_train": cfg.n_train, "n_test": cfg.n_test, "data_key": key_of_data,
        "model_revision": model_revision(cfg.model),
        "n_parameters": int(sum(x.size for x in jax.tree_util.tree_leaves(eqx.filter(model, eqx.is_inexact_array)))),
        "setup": {k: (list(v) if isinstance(v, tuple) else v) for k, v in (setup.info or {}).items()},
        "config": config_to_dict(cfg),
    }
    if cfg.train_subsample > 1:  # evaluate the coarse-trained model at the full resolution
        pred_full = predict(full.x[cfg.n_train:].astype(np.float32))
        metrics["rel_l2_test_full_resolution"] = float(operators.rel_l2(pred_full, full.y[cfg.n_train:].astype(np.float32)))
        metrics["train_resolution"], metrics["test_resolution"] = list(coarse.x.shape[2:]), list(full.x.shape[2:])
    history_ds = contract.with_provenance(history.to_dataset(), generator="pipelines train-operator",
                                          config=cfg, seed=cfg.seed)
    contract.write_netcdf(history_ds, run / "history.nc")
    contract.atomic_write_json(run / "metrics.json", metrics)
    return metrics


def run(cfg: TrainOperatorConfig, ctx: StageContext) -> dict:
    metrics = train_operator(cfg, ctx)
    extra = (f", at {metrics['test_resolution']} after training at {metrics['train_resolution']}: "
             f"{metrics['rel_l2_test_full_resolution']:.3e}" if "rel_l2_test_full_resolution" in metrics else "")
    if (roundtrip := (metrics.get("setup") or {}).get("grid_roundtrip_rel_l2_test")) is not None:
        extra += f" (the true outputs through the grids and back: {roundtrip:.3e})"
    print(f"{cfg.model} on {cfg.data}: test relative L2 {metrics['rel_l2_test']:.3e}{extra}; "
          f"{metrics['s_per_epoch']:.3g} s/epoch (compile {metrics['compile_s']:.1f} s)")
    print(json.dumps({k: metrics[k] for k in ("rel_l2_test", "s_per_epoch", "inference_s_per_sample")}))
    return metrics


STAGE = Stage(
    name="train-operator",
    help="train a neural operator (fno, fno_interp, nuno, nuno_fourier, deeponet) on a PDE data set -> runs/operators/",
    config_cls=TrainOperatorConfig,
    run=run,
)
