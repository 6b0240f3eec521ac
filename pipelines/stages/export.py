"""Stage ``export``: every trained closure as ONNX and ``jax.export`` artifacts with metadata, checked.

``python -m pipelines export`` (``make export``) finds each closure file
``runs/closures/<name>/closure.eqx`` (written by the closure training), exports it with
:func:`pipelines.export.export_closure` and writes ``runs/export/<name>/``: ``closure.onnx`` and
``closure.jaxexport`` for a symbolic ring size K, else ``closure_k<K>.onnx`` / ``.jaxexport`` for
each K in ``ks``, and ``metadata.json`` (shapes, dtypes, units, normalisation, the training
config and data hash, the parity check). A closure file made for another coarse model (forcing or
time step) than the config's (by default dt is the closure's training dt), or from another data set than ``data_hash``, is a config error; an
export that fails its check writes nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from pipelines._hints import MissingDataError
from pipelines.config import ConfigError
from pipelines.registry import Stage, StageContext

CLOSURE_FILE = "closure.eqx"
_DT_KEYS = ("dt", "dt_coarse", "coarse_dt")
_FORCING_KEYS = ("forcing", "F")
_SET_KEYS = ("parameter_set", "parameters")


@dataclass(frozen=True)
class ExportConfig:
    closures: tuple[str, ...] = ()  # directory names under closure_dir; empty: every trained closure
    closure_dir: str = "runs/closures"
    out_dir: str = "runs/export"
    ks: tuple[int, ...] = field(default=(36, 72, 144), metadata={"min": 4, "help": "evaluation ring sizes"})
    symbolic_k: bool = True
    parameter_set: str = field(default="lorenz1996", metadata={"choices": ("lorenz1996", "wilks", "arnold")})
    dt: float | None = field(default=None, metadata={"min": 1e-6, "help": "coarse time step (MTU); None: the "
                                                      "closure's training dt"})
    n_steps: int = field(default=100, metadata={"min": 1, "help": "RK4 steps of the parity check"})
    tol: float = field(default=1e-4, metadata={"min": 0.0, "help": "max |X_onnx - X_jax| allowed"})
    seed: int = 0
    data_hash: str = ""  # non-empty: every closure must have been trained on data with this hash

    def __post_init__(self):
        if not self.ks:
            raise ValueError("ks must list at least one ring size")


def closure_files(cfg: ExportConfig, root: Path) -> list[Path]:
    """The closure files to export, sorted by directory name; raises MissingDataError if there are none."""
    folder = root / cfg.closure_dir
    if cfg.closures:
        files = [folder / name / CLOSURE_FILE for name in cfg.closures]
        missing = [str(f) for f in files if not f.is_file()]
        if missing:
            raise MissingDataError(f"no trained closure at {missing[0]}; train it with `make train-closure`")
        return files
    files = sorted(folder.glob(f"*/{CLOSURE_FILE}"))
    if not files:
        raise MissingDataError(f"no trained closures ({folder}/*/{CLOSURE_FILE}); train them with `make train-closure`")
    return files


def check_training_config(meta: dict, cfg: ExportConfig, forcing: float, path: Path) -> float:
    """The coarse time step to check the export with: ``cfg.dt``, else the closure's training dt.

    Raises:
        ConfigError: (one line) the closure was trained for another parameter set, forcing or dt than the
            config's, or no dt is known.
    """
    config = meta.get("config") or {}
    sources = {**config, **{k: v for k, v in meta.items() if k != "config"}}
    hint = "export it with matching --set values or retrain it (make train-closure)"
    trained_dt = next((float(sources[k]) for k in _DT_KEYS if isinstance(sources.get(k), (int, float))), None)
    dt = cfg.dt if cfg.dt is not None else trained_dt
    if dt is None:
        raise ConfigError(f"{path} does not record its coarse time step; set it with --set dt=...")
    for key in _SET_KEYS:
        if isinstance(sources.get(key), str) and sources[key] != cfg.parameter_set:
            raise ConfigError(f"{path} was trained on parameter set {sources[key]!r}, the export config has "
                              f"parameter_set={cfg.parameter_set!r}; {hint}")
    for keys, want, what in ((_DT_KEYS, dt, "dt"), (_FORCING_KEYS, forcing, "forcing")):
        for key in keys:
            have = sources.get(key)
            if isinstance(have, (int, float)) and not math.isclose(have, want, rel_tol=1e-9):
                raise ConfigError(f"{path} was trained with {key}={have!r}, the export config has {what}={want!r}; "
                                  f"{hint}")
    return dt


def run(cfg: ExportConfig, ctx: StageContext) -> None:
    from chaos.lorenz96 import parameter_set
    from pipelines.export import ExportError, ExportOptions, export_closure
    from sciml.closures import ClosureCheckpointError, load_closure

    forcing = float(parameter_set(cfg.parameter_set).F)
    files = closure_files(cfg, ctx.repo_root)
    out_root = Path(ctx.out) if ctx.out else ctx.repo_root / cfg.out_dir
    expect = {"data_hash": cfg.data_hash} if cfg.data_hash else None
    loaded = []
    for path in files:  # every file is checked before any export runs
        try:
            model, meta = load_closure(path, expect=expect)
        except ClosureCheckpointError as err:
            raise ConfigError(" ".join(str(err).split())) from None
        dt = check_training_config(meta, cfg, forcing, path)
        try:
            for k in cfg.ks:
                model.check_size(k)
        except ValueError as err:
            raise ConfigError(f"{path}: {err}; drop K={k} from ks") from None
        options = ExportOptions(ks=tuple(cfg.ks), symbolic_k=cfg.symbolic_k, dt=dt, forcing=forcing,
                                n_steps=cfg.n_steps, tol=cfg.tol, seed=cfg.seed)
        loaded.append((path, model, meta, options))
    for path, model, meta, options in loaded:
        name = path.parent.name
        try:
            result = export_closure(model, meta, out_root / name, name=name, options=options, source=str(path))
        except ExportError as err:
            raise ConfigError(str(err)) from None
        shapes = "symbolic K" if result["symbolic_k"] else f"K = {', '.join(str(k) for k in result['supported_k'])}"
        print(f"exported {name} ({shapes}): max |X_onnx - X_jax| over {cfg.n_steps} steps = "
              f"{result['export_parity_max_abs']:.2e}, jax.export {result['jaxexport_parity_max_abs']:.2e} "
              f"-> {out_root / name}")


STAGE = Stage(
    name="export",
    help="every trained closure -> ONNX + jax.export artifacts + metadata, parity-checked (runs/export/)",
    config_cls=ExportConfig,
    run=run,
)
