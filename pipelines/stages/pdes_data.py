"""Stage ``data-pdes``: the parametric PDE data sets, one file per sample.

FEniCS data sets (:mod:`pdes.fenics.datasets`) are swept sample by sample: sample ``i`` of
a data set draws its parameters from ``(seed, i)`` alone, is solved in a FEniCS worker
process, and is written atomically to ``data/pdes/<dataset>/sample_<i>.nc`` as soon as it is
solved (by whichever Dask worker solved it). A failed solve (no convergence, bad mesh,
timeout) is written as ``sample_<i>.failed.json`` with its parameters and the reason, and the
sweep goes on. A rerun keeps every sample already written with the same seed and options
(and, unless ``retry_failed``, every recorded failure), so an interrupted sweep loses nothing
already solved. Each data set ends with ``manifest.json``: which samples exist, which failed
and why, and how long they took.
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


@dataclass(frozen=True)
class DataPdesConfig:
    datasets: tuple[str, ...] = ()  # empty: every data set
    samples: int = field(default=4, metadata={"min": 1})  # per data set
    seed: int = 0
    out_dir: str = "data/pdes"
    executor: str = field(default="dask", metadata={"choices": ("dask", "local")})
    workers: int = field(default=2, metadata={"min": 1})
    timeout_s: float = field(default=900.0, metadata={"min": 1.0})  # per sample
    mpi_ranks: int = field(default=1, metadata={"min": 1, "max": 1024})  # MPI ranks per solve (large samples)
    resume: bool = True
    retry_failed: bool = False

    def __post_init__(self):
        from pdes.fenics import datasets

        for name in self.datasets:
            try:
                datasets.get(name)
            except KeyError as err:
                raise ValueError(err.args[0]) from None
        if len(set(self.datasets)) != len(self.datasets):
            raise ValueError(f"datasets has duplicates: {list(self.datasets)}")


def sample_stem(index: int) -> str:
    return f"sample_{index:05d}"


def _key(seed: int, index: int, options: dict) -> str:
    return json.dumps({"seed": seed, "index": index, "options": options}, sort_keys=True)


def solve_sample(job: tuple[str, int], seed: int, profile: str, out_dir: str, config: dict,
                 timeout: float, mpi_ranks: int = 1) -> dict[str, Any]:
    """Solve sample ``job = (dataset, index)`` and write it; returns a summary (never raises for
    a failed solve: the failure is written beside the samples and returned)."""
    from pdes.fenics import datasets, runner

    name, index = job
    dataset = datasets.get(name)
    options = dict(dataset.options[profile])
    params = dataset.sample_params(seed, index, options)
    folder = Path(out_dir) / name
    start = time.perf_counter()
    try:
        result = runner.solve(dataset.solver, params, timeout=timeout, mpi_ranks=mpi_ranks)
        ds = dataset.to_xarray(result, params)
    except runner.FenicsUnavailable:
        raise
    except Exception as err:  # a failed sample is recorded, the sweep goes on
        reason = f"{type(err).__name__}: {err}" if not isinstance(err, runner.SolveError) else str(err)
        failure = {"dataset": name, "index": index, "seed": seed, "options": options, "reason": reason,
                   "params": json.loads(_params_json(params))}
        contract.atomic_write_json(folder / f"{sample_stem(index)}.failed.json", failure)
        return {"dataset": name, "index": index, "ok": False, "reason": reason}
    ds.attrs.update(dataset=name, sample_index=index, sample_key=_key(seed, index, options))
    ds = contract.with_provenance(ds, generator="pipelines data-pdes", config=config, seed=seed)
    contract.write_netcdf(ds, folder / f"{sample_stem(index)}.nc")
    return {"dataset": name, "index": index, "ok": True, "solve_s": float(result["seconds"]),
            "wall_s": time.perf_counter() - start, "nodes": int(ds.sizes.get("node", 0))}


def _params_json(params: dict) -> str:
    from pdes.fenics.datasets._dataset import json_params

    return json_params(params)


def _done(folder: Path, index: int, key: str, retry_failed: bool) -> bool:
    path = folder / f"{sample_stem(index)}.nc"
    if path.exists():
        try:
            with xr.open_dataset(path, engine="h5netcdf") as ds:
                if ds.attrs.get("sample_key") == key:
                    return True
        except OSError:
            pass
    failed = folder / f"{sample_stem(index)}.failed.json"
    if failed.exists() and not retry_failed:
        record = json.loads(failed.read_text())
        return _key(record["seed"], record["index"], record["options"]) == key
    return False


def write_manifest(folder: Path, name: str, samples: int, summaries: list[dict]) -> dict:
    """``manifest.json``: what exists in ``folder`` for samples 0..samples-1, failures with reasons."""
    ok = [i for i in range(samples) if (folder / f"{sample_stem(i)}.nc").exists()]
    failed = {}
    for i in range(samples):
        path = folder / f"{sample_stem(i)}.failed.json"
        if i not in ok and path.exists():
            failed[i] = json.loads(path.read_text())["reason"]
    timed = [s for s in summaries if s.get("ok")]
    manifest = {"dataset": name, "samples_asked": samples, "samples_ok": len(ok),
                "samples_failed": len(failed), "failures": failed, "written": [f"{sample_stem(i)}.nc" for i in ok],
                "solved_now": len(timed),
                "mean_solve_s": sum(s["solve_s"] for s in timed) / len(timed) if timed else None}
    contract.atomic_write_json(folder / "manifest.json", manifest)
    return manifest


def run(cfg: DataPdesConfig, ctx: StageContext) -> dict[str, dict]:
    from pdes.fenics import datasets, runner

    names = list(cfg.datasets or datasets.names())
    try:
        version = runner.check()
    except runner.FenicsUnavailable as err:
        raise PrerequisiteError(str(err)) from None
    out_dir = Path(ctx.out) if ctx.out else ctx.repo_root / cfg.out_dir
    config = config_to_dict(cfg)
    jobs = []
    for name in names:
        options = dict(datasets.get(name).options[ctx.profile])
        folder = out_dir / name
        todo = [i for i in range(cfg.samples)
                if not (cfg.resume and _done(folder, i, _key(cfg.seed, i, options), cfg.retry_failed))]
        if len(todo) < cfg.samples:
            print(f"{name}: resuming, {cfg.samples - len(todo)} of {cfg.samples} samples already done")
        jobs += [(name, i) for i in todo]
    print(f"data-pdes: {len(jobs)} samples to solve with DOLFINx {version} "
          f"({'dask ' + (ctx.scheduler or f'LocalCluster x{cfg.workers}') if cfg.executor == 'dask' or ctx.scheduler else 'in process'})")
    summaries: dict[str, list[dict]] = {n: [] for n in names}
    for summary in sweep(solve_sample, jobs, cfg.seed, ctx.profile, str(out_dir), config, cfg.timeout_s, cfg.mpi_ranks,
                         executor=cfg.executor, scheduler=ctx.scheduler, workers=cfg.workers, desc="data-pdes",
                         teardown=runner.close_all):
        summaries[summary["dataset"]].append(summary)
        if not summary["ok"]:
            print(f"warning: {summary['dataset']} sample {summary['index']} failed: {summary['reason']}")
    manifests = {}
    for name in names:
        manifests[name] = write_manifest(out_dir / name, name, cfg.samples, summaries[name])
        m = manifests[name]
        print(f"{name}: {m['samples_ok']}/{m['samples_asked']} samples in {out_dir / name}"
              + (f", {m['samples_failed']} failed (see manifest.json)" if m["samples_failed"] else ""))
    return manifests


STAGE = Stage(
    name="data-pdes",
    help="parametric PDE data sets (FEniCS on unstructured meshes), one file per sample -> data/pdes/<dataset>/",
    config_cls=DataPdesConfig,
    run=run,
)
