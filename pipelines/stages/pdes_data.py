"""Stage ``data-pdes``: the parametric PDE data sets, written piece by piece.

Two kinds of data set:

* FEniCS data sets (:mod:`pdes.fenics.datasets`) are swept sample by sample: sample ``i``
  draws its parameters from ``(seed, i)`` alone, is solved in a FEniCS worker process, and is
  written atomically to ``data/pdes/<dataset>/sample_<i>.nc`` as soon as it is solved (by
  whichever Dask worker solved it).
* Operator-learning sets (:data:`pdes.operator_data.SETS`: random-field Burgers, 2D
  Navier-Stokes) are generated in JAX in chunks of samples, vmapped, each chunk written to
  ``data/pdes/<dataset>/chunk_<first>.nc`` (sample ``i`` depends on ``(seed, i)`` only).

A failed piece (no convergence, bad mesh, timeout, non-finite values) is written as
``<piece>.failed.json`` with its parameters and the reason, and the sweep goes on. A rerun
keeps every piece already written with the same seed and options (and, unless
``retry_failed``, every recorded failure), so an interrupted sweep loses nothing already
solved. Each data set ends with ``manifest.json``: which pieces exist, which failed and why.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import xarray as xr

from pipelines import contract
from pipelines._hints import PrerequisiteError
from pipelines.config import config_to_dict
from pipelines.registry import Stage, StageContext

from ._sweep import sweep

Job = tuple  # ("fenics", dataset, index) or ("operator", dataset, first, count)


def _known() -> dict[str, str]:
    from pdes import operator_data
    from pdes.fenics import datasets

    return {**{n: "fenics" for n in datasets.names()}, **{n: "operator" for n in operator_data.set_names()}}


def check_datasets(names) -> None:
    """ValueError naming the first unknown data set, the closest known name and all known ones."""
    import difflib

    known = _known()
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"unknown data set {name!r}{hint}; known: {', '.join(sorted(known))}")


@dataclass(frozen=True)
class DataPdesConfig:
    datasets: tuple[str, ...] = ()  # empty: every data set
    samples: int = field(default=4, metadata={"min": 1})  # per FEniCS data set
    operator_samples: int = field(default=0, metadata={"min": 0})  # per operator set; 0: the set's profile default
    seed: int = 0
    out_dir: str = "data/pdes"
    executor: str = field(default="dask", metadata={"choices": ("dask", "local")})
    workers: int = field(default=2, metadata={"min": 1})
    timeout_s: float = field(default=900.0, metadata={"min": 1.0})  # per FEniCS sample
    mpi_ranks: int = field(default=1, metadata={"min": 1, "max": 1024})  # MPI ranks per FEniCS solve
    resume: bool = True
    retry_failed: bool = False

    def __post_init__(self):
        check_datasets(self.datasets)
        if len(set(self.datasets)) != len(self.datasets):
            raise ValueError(f"datasets has duplicates: {list(self.datasets)}")


def piece_stem(job: Job) -> str:
    return f"sample_{job[2]:05d}" if job[0] == "fenics" else f"chunk_{job[2]:06d}"


def _key(seed: int, job: Job, options: dict) -> str:
    return json.dumps({"seed": seed, "piece": list(job[2:]), "options": options}, sort_keys=True)


def _options(job_or_name, profile: str) -> dict:
    from pdes import operator_data
    from pdes.fenics import datasets

    name = job_or_name if isinstance(job_or_name, str) else job_or_name[1]
    if _known()[name] == "fenics":
        return dict(datasets.get(name).options[profile])
    return {k: v for k, v in operator_data.SETS[name][profile].items() if k not in ("samples", "chunk")}


def _solve_fenics(job: Job, seed: int, options: dict, timeout: float, mpi_ranks: int):
    from pdes.fenics import datasets, runner
    from pdes.fenics.datasets._dataset import json_params

    dataset = datasets.get(job[1])
    params = dataset.sample_params(seed, job[2], options)
    try:
        result = runner.solve(dataset.solver, params, timeout=timeout, mpi_ranks=mpi_ranks)
        return dataset.to_xarray(result, params), float(result["seconds"]), None
    except runner.FenicsUnavailable:
        raise
    except Exception as err:  # noqa: BLE001  (a failed sample is recorded, the sweep goes on)
        reason = str(err) if isinstance(err, runner.SolveError) else f"{type(err).__name__}: {err}"
        return None, None, {"reason": reason, "params": json.loads(json_params(params))}


def _solve_operator(job: Job, seed: int, options: dict):
    from pipelines.jaxsetup import configure_jax

    configure_jax()
    from pdes import operator_data

    _, name, first, count = job
    start = time.perf_counter()
    try:
        ds = operator_data.get(operator_data.SETS[name]["generator"])(count, seed, start=first, **options)
    except (FloatingPointError, ValueError) as err:
        return None, None, {"reason": f"{type(err).__name__}: {err}", "params": options}
    return ds, time.perf_counter() - start, None


def solve_piece(job: Job, seed: int, profile: str, out_dir: str, config: dict, timeout: float,
                mpi_ranks: int = 1) -> dict[str, Any]:
    """Solve one piece (a FEniCS sample or a chunk of operator samples) and write it; returns a
    summary. A failed solve is written beside the pieces and returned, never raised."""
    kind, name = job[0], job[1]
    options = _options(job, profile)
    folder = Path(out_dir) / name
    stem = piece_stem(job)
    start = time.perf_counter()
    if kind == "fenics":
        ds, solve_s, failure = _solve_fenics(job, seed, options, timeout, mpi_ranks)
    else:
        ds, solve_s, failure = _solve_operator(job, seed, options)
    if failure is not None:
        record = {"dataset": name, "piece": list(job[2:]), "seed": seed, "options": options, **failure}
        contract.atomic_write_json(folder / f"{stem}.failed.json", record)
        return {"dataset": name, "piece": stem, "ok": False, "reason": failure["reason"]}
    ds.attrs.update(dataset=name, piece=stem, piece_key=_key(seed, job, options))
    ds = contract.with_provenance(ds, generator="pipelines data-pdes", config=config, seed=seed)
    contract.write_netcdf(ds, folder / f"{stem}.nc")
    samples = ds.sizes.get("sample", 1)
    return {"dataset": name, "piece": stem, "ok": True, "samples": samples, "solve_s": solve_s,
            "wall_s": time.perf_counter() - start, "nodes": int(ds.sizes.get("node", 0))}


def _done(folder: Path, job: Job, key: str, retry_failed: bool) -> bool:
    stem = piece_stem(job)
    path = folder / f"{stem}.nc"
    if path.exists():
        try:
            with xr.open_dataset(path, engine="h5netcdf") as ds:
                if ds.attrs.get("piece_key") == key:
                    return True
        except OSError:
            pass
    failed = folder / f"{stem}.failed.json"
    if failed.exists() and not retry_failed:
        record = json.loads(failed.read_text())
        return json.dumps({"seed": record["seed"], "piece": record["piece"], "options": record["options"]},
                          sort_keys=True) == key
    return False


def jobs_for(name: str, cfg: DataPdesConfig, profile: str) -> list[Job]:
    """The pieces of data set ``name``."""
    from pdes import operator_data

    if _known()[name] == "fenics":
        return [("fenics", name, i) for i in range(cfg.samples)]
    spec = operator_data.SETS[name][profile]
    total, chunk = cfg.operator_samples or spec["samples"], spec["chunk"]
    return [("operator", name, first, min(chunk, total - first)) for first in range(0, total, chunk)]


def write_manifest(folder: Path, name: str, jobs: list[Job], summaries: list[dict]) -> dict:
    """``manifest.json``: which of the data set's pieces exist, which failed and why."""
    written, failed = [], {}
    for job in jobs:
        stem = piece_stem(job)
        if (folder / f"{stem}.nc").exists():
            written.append(f"{stem}.nc")
        elif (folder / f"{stem}.failed.json").exists():
            failed[stem] = json.loads((folder / f"{stem}.failed.json").read_text())["reason"]
    timed = [s for s in summaries if s.get("ok")]
    manifest = {"dataset": name, "pieces_asked": len(jobs), "pieces_ok": len(written), "pieces_failed": len(failed),
                "failures": failed, "written": written, "solved_now": len(timed),
                "samples_solved_now": sum(s["samples"] for s in timed),
                "mean_solve_s": sum(s["solve_s"] for s in timed) / len(timed) if timed else None}
    contract.atomic_write_json(folder / "manifest.json", manifest)
    return manifest


def fenics_or_skip(names: list[str], *, explicit: bool) -> tuple[list[str], str | None]:
    """The data sets to make and the DOLFINx version. Without DOLFINx, FEniCS data sets asked
    for by name are an error (one line, what to install); asked for by default (all data
    sets), they are skipped with a warning that says the same."""
    from pdes.fenics import runner

    known = _known()
    if not any(known[n] == "fenics" for n in names):
        return names, None
    try:
        return names, runner.check()
    except runner.FenicsUnavailable as err:
        if explicit:
            raise PrerequisiteError(str(err)) from None
        print(f"warning: skipping the FEniCS data sets: {err}")
        return [n for n in names if known[n] != "fenics"], None


def run(cfg: DataPdesConfig, ctx: StageContext) -> dict[str, dict]:
    from pdes.fenics import runner

    known = _known()
    names, version = fenics_or_skip(list(cfg.datasets) or sorted(known), explicit=bool(cfg.datasets))
    out_dir = Path(ctx.out) if ctx.out else ctx.repo_root / cfg.out_dir
    config = config_to_dict(cfg)
    all_jobs: dict[str, list[Job]] = {}
    todo: list[Job] = []
    for name in names:
        options = _options(name, ctx.profile)
        all_jobs[name] = jobs_for(name, cfg, ctx.profile)
        left = [j for j in all_jobs[name]
                if not (cfg.resume and _done(out_dir / name, j, _key(cfg.seed, j, options), cfg.retry_failed))]
        if len(left) < len(all_jobs[name]):
            print(f"{name}: resuming, {len(all_jobs[name]) - len(left)} of {len(all_jobs[name])} pieces already done")
        todo += left
    where = ("dask " + (ctx.scheduler or f"LocalCluster x{cfg.workers}")) if cfg.executor == "dask" or ctx.scheduler \
        else "in process"
    print(f"data-pdes: {len(todo)} pieces to solve ({where}" + (f", DOLFINx {version})" if version else ")"))
    summaries: dict[str, list[dict]] = {n: [] for n in names}
    for summary in sweep(solve_piece, todo, cfg.seed, ctx.profile, str(out_dir), config, cfg.timeout_s, cfg.mpi_ranks,
                         executor=cfg.executor, scheduler=ctx.scheduler, workers=cfg.workers, desc="data-pdes",
                         teardown=runner.close_all):
        summaries[summary["dataset"]].append(summary)
        if not summary["ok"]:
            print(f"warning: {summary['dataset']} {summary['piece']} failed: {summary['reason']}")
    manifests = {}
    for name in names:
        m = manifests[name] = write_manifest(out_dir / name, name, all_jobs[name], summaries[name])
        print(f"{name}: {m['pieces_ok']}/{m['pieces_asked']} pieces in {out_dir / name}"
              + (f", {m['pieces_failed']} failed (see manifest.json)" if m["pieces_failed"] else ""))
    return manifests


STAGE = Stage(
    name="data-pdes",
    help="parametric PDE data sets (FEniCS on unstructured meshes; FNO Burgers/Navier-Stokes) -> data/pdes/<dataset>/",
    config_cls=DataPdesConfig,
    run=run,
    uses_scheduler=True,
)
