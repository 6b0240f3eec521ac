"""Stage ``bench-chaos``: throughput of our batched integrator against dysts' make_trajectory.

For each benchmark system, on the same time grid (``n_points`` at ``pts_per_period``):

- dysts at its defaults (Radau, rtol = atol = 1e-12), one trajectory at a time;
- dysts at a matched tolerance (scipy's DOP853 at ``matched_tol``);
- ours (diffrax Dopri8, vmapped over ``batch`` initial conditions) at both tolerances;
- the error of each, from dysts' initial condition, against a tight reference (scipy's DOP853
  at ``reference_tol`` on dysts' own right-hand side: independent of our code), over the
  first Lyapunov time (where pointwise errors of chaotic trajectories mean something) and
  over the whole window.

Throughput is points per second of wall time: n_points / seconds for dysts,
batch * n_points / seconds for ours, run time only (compile time is reported apart).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from pipelines.bench import Record, write_stage_bench
from pipelines.registry import Stage, StageContext

BENCH_SYSTEMS = ("Lorenz", "Rossler", "Chua", "Thomas", "HyperRossler", "Lorenz96")


@dataclass(frozen=True)
class BenchChaosConfig:
    systems: tuple[str, ...] = BENCH_SYSTEMS
    n_points: int = field(default=1000, metadata={"min": 10})
    pts_per_period: int = field(default=100, metadata={"min": 2})
    batch: int = field(default=256, metadata={"min": 1})
    default_tol: float = field(default=1e-12, metadata={"min": 1e-14})
    matched_tol: float = field(default=1e-9, metadata={"min": 1e-14})
    reference_tol: float = field(default=1e-13, metadata={"min": 1e-14})
    repeats: int = field(default=3, metadata={"min": 1})
    run_dysts: bool = True
    verify_all: bool = True
    seed: int = 0

    def __post_init__(self):
        from chaos import systems

        systems.check_names(self.systems)
        for name in self.systems:
            if systems.get(name).kind != "ode":
                raise ValueError(f"bench system {name!r} is a delay system; choose flows")


def _dysts_run(name, n, ppp, **kw):
    import dysts.flows as dfl

    model = getattr(dfl, name)()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.make_trajectory(10, pts_per_period=ppp, postprocess=False, **kw)  # numba compile
        start = time.perf_counter()
        ts, ys = model.make_trajectory(n, pts_per_period=ppp, postprocess=False, return_times=True, **kw)
        return ts, np.asarray(ys), time.perf_counter() - start


def _ours(system, ics, ts, tol, repeats):
    from chaos.integrate import integrate

    start = time.perf_counter()
    first = integrate(system, ics, ts, rtol=tol, atol=tol)
    first_s = time.perf_counter() - start
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        traj = integrate(system, ics, ts, rtol=tol, atol=tol)
        best = min(best, time.perf_counter() - start)
    return traj, best, max(first_s - best, 0.0), bool(first.ok.all())


def bench_system(name: str, cfg: BenchChaosConfig) -> dict:
    import jax

    from chaos import systems
    from chaos.database import initial_conditions
    from chaos.verify import relative_error

    system = systems.get(name)
    key = jax.random.key(cfg.seed)
    ics = initial_conditions(system, cfg.batch, 0.01, key)
    ts_ref, ref, _ = _dysts_run(name, cfg.n_points, cfg.pts_per_period, method="DOP853",
                                rtol=cfg.reference_tol, atol=cfg.reference_tol)
    early = ts_ref <= system.lyapunov_time
    row = {"system": name, "n_points": cfg.n_points, "batch": cfg.batch}

    def errors(ys):
        return relative_error(ys[early], ref[early]), relative_error(ys, ref)

    for label, tol, method in (("default", cfg.default_tol, "Radau"), ("matched", cfg.matched_tol, "DOP853")):
        traj, seconds, compile_s, ok = _ours(system, ics, ts_ref, tol, cfg.repeats)
        e_lyap, e_all = errors(traj.ys[0])
        row |= {f"ours_{label}_pts_per_s": cfg.batch * cfg.n_points / seconds,
                f"ours_{label}_seconds": seconds, f"ours_{label}_compile_s": compile_s,
                f"ours_{label}_err_lyap": e_lyap, f"ours_{label}_err_all": e_all,
                f"ours_{label}_all_ok": ok, f"{label}_tol": tol}
        if cfg.run_dysts:
            _, ys, seconds = _dysts_run(name, cfg.n_points, cfg.pts_per_period, method=method, rtol=tol, atol=tol)
            e_lyap, e_all = errors(ys)
            row |= {f"dysts_{label}_method": method, f"dysts_{label}_pts_per_s": cfg.n_points / seconds,
                    f"dysts_{label}_seconds": seconds,
                    f"dysts_{label}_err_lyap": e_lyap, f"dysts_{label}_err_all": e_all,
                    f"speedup_{label}": row[f"ours_{label}_pts_per_s"] * seconds / cfg.n_points}
    return row


def _geomean(values):
    values = np.asarray(values, dtype=float)
    return float(np.exp(np.mean(np.log(values))))


def run(cfg: BenchChaosConfig, ctx: StageContext) -> None:
    from chaos import systems, verify
    from pipelines.progress import progress

    rows = [bench_system(name, cfg) for name in progress(cfg.systems, desc="bench-chaos")]
    profile = ctx.profile
    records = []
    if cfg.run_dysts:
        for label, goal in (("matched", 20), ("default", 200)):
            speedups = [r[f"speedup_{label}"] for r in rows]
            records.append(Record(
                name=f"speedup_{label}", value=_geomean(speedups), unit="x", better="higher",
                profile=profile, seed=cfg.seed,
                reference={"value": goal, "source": "issue 2 goal (dysts make_trajectory, numba installed)"},
                extra={"min": float(min(speedups)), "systems": list(cfg.systems),
                       "aggregate": "geometric mean over systems", "tolerance": cfg.matched_tol if label == "matched" else cfg.default_tol},
            ))
        records.append(Record(
            name="dysts_default_pts_per_s", value=_geomean([r["dysts_default_pts_per_s"] for r in rows]),
            unit="points/s", better="higher", profile=profile))
    for label in ("default", "matched"):
        records.append(Record(
            name=f"ours_{label}_pts_per_s", value=_geomean([r[f"ours_{label}_pts_per_s"] for r in rows]),
            unit="points/s", better="higher", profile=profile, seed=cfg.seed,
            extra={"batch": cfg.batch, "aggregate": "geometric mean over systems"}))
        records.append(Record(
            name=f"ours_{label}_err_lyap", value=float(np.max([r[f"ours_{label}_err_lyap"] for r in rows])),
            unit="relative", better="lower", profile=profile,
            extra={"aggregate": "max over systems, first Lyapunov time, vs DOP853 at reference_tol"}
            | ({"dysts": float(np.max([r[f"dysts_{label}_err_lyap"] for r in rows]))} if cfg.run_dysts else {})))
    records.append(Record(
        name="compile_s", value=float(np.mean([r["ours_default_compile_s"] for r in rows])),
        unit="s", better="lower", profile=profile,
        extra={"note": "trace + compile per system, first call (one compiled solver serves both "
               "tolerances); compile is near zero when JAX's persistent cache holds it, tracing is not"}))
    if cfg.verify_all:
        names = systems.names()
        ok = [n for n in progress(names, desc="rhs check") if verify.rhs_error(n) < 1e-10]
        records += [
            Record(name="systems_verified", value=len(ok), unit="systems", better="higher", profile=profile,
                   reference={"value": len(names), "source": "dysts catalogue size"},
                   extra={"check": "right-hand side vs dysts at random states, relative 1e-10"}),
            Record(name="systems_total", value=len(names), unit="systems", better="higher", profile=profile),
        ]
    path = write_stage_bench("chaos", records, ctx, out=ctx.out, tables={"per_system": rows})
    _print_table(rows, cfg)
    print(f"wrote {path}")


def _print_table(rows, cfg):
    cols = ["system", "ours_matched_pts_per_s", "dysts_matched_pts_per_s", "speedup_matched",
            "ours_default_pts_per_s", "dysts_default_pts_per_s", "speedup_default",
            "ours_matched_err_lyap", "dysts_matched_err_lyap"]
    cols = [c for c in cols if c in rows[0]]
    print(" | ".join(cols))
    for r in rows:
        print(" | ".join(f"{r[c]:.3g}" if isinstance(r[c], float) else str(r[c]) for c in cols))


STAGE = Stage(
    name="bench-chaos",
    help="points/s of our batched JAX integrator vs dysts' make_trajectory -> reports/bench/chaos.json",
    config_cls=BenchChaosConfig,
    run=run,
)
