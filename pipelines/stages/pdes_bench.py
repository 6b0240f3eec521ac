"""Stage ``bench-pdes``: verification errors of the FEniCS solvers and the throughput of every
data set generator with 1 and 2 (``workers``) Dask workers.

Writes ``reports/bench/pdes.json`` (quick) or ``reports/full/pdes-<machine>.json`` (full) with
records ``order/mms_p{1,2}_{l2,h1}``, the solver checks (``kirsch_scf``, ``poiseuille_rel_err``,
...) and ``samples_per_s/<dataset>/workers=<n>``. Throughput is measured warm: each Dask worker
first solves one sample (starting its FEniCS process and compiling the forms, reported apart as
``warmup_s``), then ``samples`` further samples are timed, written to a scratch folder as
``data-pdes`` would.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field

from pipelines.bench import Record, write_stage_bench
from pipelines.config import config_to_dict
from pipelines.registry import Stage, StageContext
from pipelines.stages.pdes_data import _options, fenics_or_skip


@dataclass(frozen=True)
class BenchPdesConfig:
    datasets: tuple[str, ...] = ()  # empty: every data set
    samples: int = field(default=4, metadata={"min": 1})  # timed samples per data set and worker count
    workers: tuple[int, ...] = (1, 2)
    mms_meshes: tuple[int, ...] = (8, 16, 32)
    seed: int = 1000  # throughput samples: not the data-pdes ones

    def __post_init__(self):
        from pipelines.stages.pdes_data import check_datasets

        check_datasets(self.datasets)
        if any(w < 1 for w in self.workers):
            raise ValueError(f"workers must be >= 1, got {list(self.workers)}")


def verification_records(cfg: BenchPdesConfig, profile: str) -> list[Record]:
    from pdes.fenics import verify

    records = []
    for degree in (1, 2):
        fit = verify.mms_orders(degree, cfg.mms_meshes)
        for norm, expected in (("l2", degree + 1), ("h1", degree)):
            records.append(Record(
                name=f"order/mms_p{degree}_{norm}", value=fit[f"order_{norm}"][-1], unit="1", better="higher",
                profile=profile, reference={"value": expected, "tolerance": 0.1,
                                                   "source": f"P{degree} Lagrange a priori estimate"},
                extra={"h": fit["h"], "errors": fit[f"{norm}_error"], "orders": fit[f"order_{norm}"]}))
    full = profile == "full"
    h = 0.0125 if full else 0.05
    k = verify.kirsch(h)
    records.append(Record(name="kirsch_scf", value=k["scf"], unit="1", better="higher", profile=profile,
                          reference={"value": 3.0, "tolerance": 0.03,
                                     "source": "Kirsch (1898): infinite plate with a circular hole"},
                          extra={"mesh_size": h, "stress_l2_rel_error": k["stress_l2_error"]}))
    records.append(Record(name="kirsch_stress_l2_rel_err", value=k["stress_l2_error"], unit="1", better="lower",
                          profile=profile, extra={"mesh_size": h, "solver": "P2 plane stress, exact Kirsch traction"}))
    pois = verify.poiseuille()
    records.append(Record(name="poiseuille_rel_err", value=pois["u_rel_error"], unit="1", better="lower",
                          profile=profile, extra=pois))
    from pdes.fenics.datasets.channel_flow import DFG_2D1, dfg_2d1

    dfg = dfg_2d1(h_min=0.008, h_max=0.04, t_end=6.0) if full else dfg_2d1(h_min=0.015, h_max=0.06, t_end=4.0)
    for key in ("drag", "lift"):
        records.append(Record(name=f"dfg_2d1_{key}", value=dfg[key], unit="1", better="higher", profile=profile,
                              reference={"value": DFG_2D1[key], "tolerance": 0.01 * DFG_2D1[key] if key == "drag"
                                         else 0.05 * DFG_2D1[key],
                                         "source": "Schaefer and Turek 1996, DFG benchmark 2D-1 (Re = 20)"},
                              extra=dfg))
    hb = verify.heat_balance()
    records.append(Record(name="heat_flux_balance_rel_err", value=hb["rel_err"], unit="1", better="lower",
                          profile=profile, extra=hb))
    return records


def _pieces(name: str, samples: int, profile: str, first: int) -> list[tuple]:
    """``samples`` samples of data set ``name`` from index ``first``, as data-pdes pieces
    (one FEniCS sample each, or operator chunks of the profile's chunk size)."""
    from pdes import operator_data

    if name not in operator_data.SETS:
        return [("fenics", name, i) for i in range(first, first + samples)]
    chunk = operator_data.SETS[name][profile]["chunk"]
    return [("operator", name, i, min(chunk, first + samples - i)) for i in range(first, first + samples, chunk)]


def _warm(pieces: list[tuple], profile: str, seed: int, out_dir: str) -> float:
    from pipelines.stages.pdes_data import solve_piece

    start = time.perf_counter()
    for piece in pieces:
        solve_piece(piece, seed, profile, out_dir, {}, 3600.0)
    return time.perf_counter() - start


def throughput(name: str, workers: int, samples: int, profile: str, seed: int) -> dict:
    """Warm samples per second of data set ``name`` on a LocalCluster of ``workers`` processes.

    Each worker first makes one piece (FEniCS process start and form compilation, or JAX
    tracing and compilation: ``warmup_s``); then the timed pieces follow, ``samples`` samples
    in all (at least one piece per worker)."""
    from dask.distributed import Client, LocalCluster

    from pdes import operator_data
    from pdes.fenics import runner
    from pipelines.stages.pdes_data import solve_piece

    if name in operator_data.SETS:
        chunk = operator_data.SETS[name][profile]["chunk"]
        samples = max(samples, workers * chunk)
        warm_piece = [("operator", name, 0, chunk)]
    else:
        warm_piece = [("fenics", name, 0)]
    timed = _pieces(name, samples, profile, first=10_000)
    with tempfile.TemporaryDirectory(prefix="bench-pdes-") as out_dir, \
            LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        warm = client.run(_warm, warm_piece, profile, seed, out_dir)
        start = time.perf_counter()
        futures = client.map(solve_piece, timed, seed=seed, profile=profile, out_dir=out_dir, config={},
                             timeout=3600.0, pure=False)
        results = client.gather(futures)
        wall = time.perf_counter() - start
        client.run(runner.close_all)
    ok = [r for r in results if r["ok"]]
    n_ok = sum(r["samples"] for r in ok)
    nodes = [r["nodes"] for r in ok]
    return {"samples_per_s": n_ok / wall, "wall_s": wall, "ok": n_ok, "asked": samples,
            "warmup_s": max(warm.values()), "mean_piece_s": sum(r["solve_s"] for r in ok) / max(len(ok), 1),
            "nodes": [min(nodes), max(nodes)] if nodes else [],
            "failures": [r["reason"] for r in results if not r["ok"]]}


def run(cfg: BenchPdesConfig, ctx: StageContext) -> list[Record]:
    from pdes import operator_data
    from pdes.fenics import datasets

    names, version = fenics_or_skip(list(cfg.datasets) or sorted(datasets.names() + operator_data.set_names()),
                                    explicit=bool(cfg.datasets))
    records = verification_records(cfg, ctx.profile) if version else []
    for r in records:
        print(f"{r.name:28s} {r.value:.6g}" + (f"  (reference {r.reference['value']})" if r.reference else ""))
    for name in names:
        per_worker = {}
        for n in cfg.workers:
            t = throughput(name, n, cfg.samples, ctx.profile, cfg.seed)
            per_worker[n] = t["samples_per_s"]
            print(f"{name}: {t['samples_per_s']:.3g} samples/s with {n} worker(s) "
                  f"(warm-up {t['warmup_s']:.1f} s, {t['ok']}/{t['asked']} ok)")
            records.append(Record(name=f"samples_per_s/{name}/workers={n}", value=t["samples_per_s"],
                                  unit="samples/s", better="higher", profile=ctx.profile, seed=cfg.seed,
                                  extra={**t, "dolfinx": version, "options": _options(name, ctx.profile)}))
        if len(per_worker) > 1:
            lo, hi = min(per_worker), max(per_worker)
            records.append(Record(name=f"scaling/{name}/workers={hi}_vs_{lo}", value=per_worker[hi] / per_worker[lo],
                                  unit="1", better="higher", profile=ctx.profile,
                                  reference={"value": hi / lo, "source": "linear scaling"}))
    path = write_stage_bench("pdes", records, ctx, out=ctx.out)
    print(f"wrote {path}")
    return records


STAGE = Stage(
    name="bench-pdes",
    help="PDE generators: verification errors (MMS orders, Kirsch, Poiseuille) and samples/s with 1 and 2 workers",
    config_cls=BenchPdesConfig,
    run=run,
)
