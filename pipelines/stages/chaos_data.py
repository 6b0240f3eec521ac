"""Stage ``data-chaos``: the chaotic systems database.

Every system of the catalogue (or ``systems``) is integrated from ``n_ics`` initial
conditions; each system's Dataset is written on its own, atomically, to
``<out>.parts/<name>.nc`` as soon as it is done (by whichever process made it), so an
interrupted run resumes where it stopped. The parts are then gathered into one DataTree,
``data/chaos/<profile>.nc``, with one group per system.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import xarray as xr

from pipelines import contract
from pipelines.bench import Record, write_stage_bench
from pipelines.config import config_to_dict
from pipelines.registry import Stage, StageContext

from chaos.database import TrajectorySpec

from ._sweep import sweep


@dataclass(frozen=True)
class DataChaosConfig(TrajectorySpec):
    """The trajectory options (see :class:`chaos.database.TrajectorySpec`) plus the sweep."""

    systems: tuple[str, ...] = ()  # empty: every system dysts defines
    seed: int = 0
    out_dir: str = "data/chaos"
    executor: str = field(default="dask", metadata={"choices": ("dask", "local")})
    workers: int = field(default=2, metadata={"min": 1})
    resume: bool = True

    def __post_init__(self):
        from chaos import systems

        systems.check_names(self.systems)

    def spec(self) -> TrajectorySpec:
        return TrajectorySpec(**{f.name: getattr(self, f.name) for f in fields(TrajectorySpec)})


def make_part(name: str, spec: TrajectorySpec, seed: int, parts: str, config: dict) -> dict:
    """Generate one system and write ``<parts>/<name>.nc``; return its failures.
    Runs in Dask workers too, so it configures JAX itself."""
    from pipelines.jaxsetup import configure_jax

    configure_jax()
    from chaos import systems
    from chaos.database import generate

    try:
        ds = generate(systems.get(name), spec, seed)
    except Exception as err:  # one system's failure must not cost the others
        return {"system": name, "failures": [], "error": f"{type(err).__name__}: {err}"}
    ds = contract.with_provenance(ds, generator="pipelines data-chaos", config=config, seed=seed)
    contract.write_netcdf(ds, Path(parts) / f"{name}.nc")
    return {"system": name, "failures": json.loads(ds.attrs["failures"])}


def _part_is_current(path: Path, spec: TrajectorySpec, seed: int) -> bool:
    if not path.exists():
        return False
    try:
        with xr.open_dataset(path, engine="h5netcdf") as ds:
            return ds.attrs.get("spec") == json.dumps(asdict(spec)) and int(ds.attrs.get("seed", -1)) == seed
    except OSError:
        return False


def output_path(cfg: DataChaosConfig, ctx: StageContext) -> Path:
    return Path(ctx.out) if ctx.out else ctx.repo_root / cfg.out_dir / f"{ctx.profile}.nc"


def run(cfg: DataChaosConfig, ctx: StageContext) -> None:
    from chaos import systems

    started = time.perf_counter()
    names = list(cfg.systems or systems.names())
    out = output_path(cfg, ctx)
    parts = out.with_suffix(".parts")
    spec = cfg.spec()
    config = config_to_dict(cfg)
    todo = [n for n in names if not (cfg.resume and _part_is_current(parts / f"{n}.nc", spec, cfg.seed))]
    if len(todo) < len(names):
        print(f"resuming: {len(names) - len(todo)} of {len(names)} systems already done in {parts}")
    errors = {}
    for summary in sweep(
        make_part, todo, spec, cfg.seed, str(parts), config, executor=cfg.executor,
        scheduler=ctx.scheduler, workers=cfg.workers, desc="data-chaos",
    ):
        if "error" in summary:
            errors[summary["system"]] = summary["error"]
            print(f"warning: {summary['system']} failed and is left out: {summary['error']}")
        for f in summary["failures"]:
            print(f"warning: {f['system']} initial condition {f['ic']} failed at t={f['time']:.4g}: {f['reason']}")
    names = [n for n in names if n not in errors]
    if not names:
        raise RuntimeError(f"no system could be generated; see the warnings above ({len(errors)} failed)")
    tree = gather(names, parts)
    tree.attrs["failed_systems"] = json.dumps(errors)
    tree = contract.with_provenance(tree, generator="pipelines data-chaos", config=config, seed=cfg.seed)
    contract.write_netcdf(tree, out)
    n_failed = sum(len(json.loads(tree[n].attrs["failures"])) for n in names)
    total = sum(tree[n].sizes["ic"] for n in names)
    print(f"wrote {out}: {len(names)} systems, {total - n_failed}/{total} trajectories valid")
    _write_summary(cfg, ctx, tree, names, len(todo), time.perf_counter() - started, total - n_failed, total)


def _write_summary(cfg, ctx, tree, names, n_computed, seconds, valid, total) -> None:
    """reports/bench/chaos_data.json (or reports/full/chaos_data-<machine>.json): how long
    the database took and how much of it is valid."""
    points = sum(int(tree[n].ds.x.shape[0] * tree[n].ds.x.shape[1]) for n in names)
    where = "executor=" + ("dask " + (ctx.scheduler or "LocalCluster") if cfg.executor == "dask" or ctx.scheduler else "local")
    extra = {"systems_computed_now": n_computed, "systems_resumed": len(names) - n_computed, "where": where,
             "failures": {n: json.loads(tree[n].attrs["failures"]) for n in names if json.loads(tree[n].attrs["failures"])}}
    records = [
        Record(name="wall_s", value=seconds, unit="s", better="lower", profile=ctx.profile, seed=cfg.seed, extra=extra),
        Record(name="systems", value=len(names), unit="systems", better="higher", profile=ctx.profile),
        Record(name="trajectories_valid", value=valid, unit="trajectories", better="higher", profile=ctx.profile,
               seed=cfg.seed, reference={"value": total, "source": "trajectories asked for"}),
        Record(name="points_per_s", value=points / seconds, unit="points/s", better="higher", profile=ctx.profile,
               extra={"note": "stored points (ic x time) over wall time, compile and I/O included"}),
    ]
    if ctx.out is not None:
        return  # an ad-hoc output path: no report entry
    write_stage_bench("chaos_data", records, ctx)


def gather(names: list[str], parts: Path) -> xr.DataTree:
    """One DataTree with a group per system, read from the part files."""
    groups = {}
    for name in names:
        with xr.open_dataset(parts / f"{name}.nc", engine="h5netcdf") as ds:
            ds = ds.load()
        for key in contract.PROVENANCE_KEYS:
            ds.attrs.pop(key, None)
        groups[f"/{name}"] = ds
    root = xr.Dataset(attrs={"title": "chaotic systems database", "systems": len(names),
                             "source": "dysts catalogue, integrated with chaos (JAX/diffrax)"})
    return xr.DataTree.from_dict({"/": root, **groups})


STAGE = Stage(
    name="data-chaos",
    help="chaotic systems database: every dysts flow, batched in JAX -> data/chaos/<profile>.nc",
    config_cls=DataChaosConfig,
    run=run,
    uses_scheduler=True,
)
