"""Stage ``bench-pinn``: accuracy and speed of the physics-informed methods.

Writes ``reports/bench/pinn.json`` (quick) or ``reports/full/pinn-<machine>.json`` (full):

* ``rel_l2/<problem>/<method>``: relative L2 error against the :mod:`pdes.problems`
  reference, one record per seed (``problems`` x ``methods`` x ``seeds``; the problem
  ``convection_beta50`` is convection at beta = 50, ``ks_regular`` is KS's default variant);
* ``steps_per_s/<method>``: Adam steps per second on convection (4 x 50 tanh, ``n_points``
  points), after compilation, with ``extra.flops_per_step`` (XLA's count), the achieved
  ``gflops`` and the machine's ``peak_gflops`` estimate;
* ``r3_overhead``: ``1 - steps_per_s(r3) / steps_per_s(pinn)`` (goal < 5 %);
* ``speedup_vs_deepxde``: our steps/s over DeepXDE's (PyTorch backend) on the same network,
  points and losses, when ``deepxde`` imports (``scripts/bench_env.sh`` makes ``.venv-bench``
  with it, and ``deepxde_python`` points there); otherwise a note says it was not measured.
* table ``failure_modes``: error vs beta for ``curve_methods`` (``curve_betas``).
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.bench import Record, machine_info, write_stage_bench
from pipelines.registry import Stage, StageContext

from .pinn_train import TrainPinnConfig, run_config

PROBLEMS = {  # record name -> (pdes problem, variant, parameter overrides)
    "convection_beta50": ("convection", "default", {"beta": 50.0}),
    "allen_cahn": ("allen_cahn", "default", {}),
    "ks_regular": ("ks", "default", {}),
    "burgers": ("burgers", "default", {}),
}
PAPER = {
    ("convection_beta50", "r3"): (0.0198, "Daw et al. (ICML 2023), Table 1: R3 1.98 +- 0.72 %"),
    ("allen_cahn", "causal"): (1.7e-3, "issue goal; jaxpi Allen-Cahn, causal + grad-norm, full profile"),
    ("ks_regular", "causal"): (1e-3, "issue goal: KS regular, causal + time marching, full profile"),
}


@dataclass(frozen=True)
class BenchPinnConfig:
    problems: tuple[str, ...] = ("convection_beta50",)
    methods: tuple[str, ...] = ("pinn", "r3")
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    steps: int | None = None  # None: the problem's train-pinn preset for the profile
    speed_methods: tuple[str, ...] = ("pinn", "r3", "causal", "causal_r3", "rar_g", "rad")
    speed_steps: int = field(default=1000, metadata={"min": 2})
    n_points: int = field(default=1000, metadata={"min": 2})
    curve_betas: tuple[float, ...] = ()
    curve_methods: tuple[str, ...] = ("pinn", "causal", "r3", "causal_r3", "lpinn")
    curve_steps: int | None = None
    deepxde_python: str = ".venv-bench/bin/python"
    runs_dir: str = "runs/bench-pinn"  # the benchmark's runs, reused when their config is unchanged
    reuse: bool = True

    def __post_init__(self):
        from sciml.pinn import methods

        for p in self.problems:
            if p not in PROBLEMS:
                raise ValueError(f"unknown bench problem {p!r}; known: {', '.join(PROBLEMS)}")
        for m in (*self.methods, *self.speed_methods, *self.curve_methods):
            methods.get(m)


def _train_or_reuse(rc, directory: Path, reuse: bool) -> tuple[float, dict]:
    """``(rel_l2, extra)`` of the run ``rc``: read back from ``directory/prediction.nc`` when it
    was made with the same run config (so that a long benchmark can be run in parts), else
    trained and written there."""
    import xarray as xr

    from .pinn_train import train_and_write

    config = json.loads(json.dumps(dataclasses.asdict(rc), default=str))
    path = directory / "prediction.nc"
    if reuse and path.exists():
        with xr.open_dataset(path, engine="h5netcdf") as old:
            if json.loads(old.attrs.get("config", "{}")) == config:
                return float(old.attrs["rel_l2"]), {"status": old.attrs["status"], "reused": str(path)}
    result = train_and_write(rc, directory, config, resume=False, log=lambda m: None)
    return result.rel_l2, {"status": result.status, "wall_s": result.wall_s,
                           "steps_per_s": result.windows[0].steps_per_s}


def accuracy_records(cfg: BenchPinnConfig, profile: str, out_root: Path) -> list[Record]:
    from sciml import pinn

    records = []
    for pname in cfg.problems:
        problem, variant, params = PROBLEMS[pname]
        for method in cfg.methods:
            for seed in cfg.seeds:
                tc = TrainPinnConfig(problem=problem, variant=variant, method=method, seeds=(seed,),
                                     params=params or None, steps=cfg.steps)
                rc = run_config(tc, profile, seed)
                try:
                    pinn.resolve(rc)
                except ValueError as err:
                    print(f"rel_l2/{pname}/{method}: skipped ({err})", flush=True)
                    break
                rel_l2, extra = _train_or_reuse(rc, out_root / pname / method / f"seed{seed}", cfg.reuse)
                ref = PAPER.get((pname, method))
                records.append(Record(
                    name=f"rel_l2/{pname}/{method}", value=rel_l2, unit="1", better="lower", profile=profile,
                    seed=seed, reference=None if ref is None else {"value": ref[0], "source": ref[1]},
                    extra={"steps": rc.train.steps, **extra, "network": dataclasses.asdict(rc.network),
                           "n_points": rc.sampler.n_points, "windows": rc.windows}))
                print(f"rel_l2/{pname}/{method} seed {seed}: {rel_l2:.3e}", flush=True)
    return records


def speed(method: str, cfg: BenchPinnConfig) -> dict:
    """Steady steps/s (best of 4 timed chunks) of ``method`` on convection beta = 50 (4 x 50 tanh), and FLOPs/step."""
    import jax

    from sciml import pinn

    rc = run_config(TrainPinnConfig(problem="convection", method=method, params={"beta": 50.0},
                                    n_points=cfg.n_points, steps=cfg.speed_steps, chunk=max(cfg.speed_steps // 5, 1)),
                    "quick", 0)
    problem, params, m = pinn.resolve(rc)
    model = pinn.build_network(rc.network, problem, params, key=jax.random.key(0))
    form = pinn.EulerianPinn.build(problem, params, rc.network, rc.loss)
    sampler = pinn.build_sampler(m.sampler, rc.sampler, problem.x_domain, problem.t_domain)
    trainer = pinn.Trainer(model, form, sampler, rc.loss, rc.train, rc.causal if m.causal else None)
    result = trainer.fit(jax.random.key(1))
    flops = trainer.flops_per_step(trainer.init(jax.random.key(1)))
    # the best chunk: the machine may be shared, and contention only ever slows a chunk down
    return {"steps_per_s": max(result.chunk_rates), "mean_steps_per_s": result.steps_per_s, "flops_per_step": flops}


def peak_gflops(machine: dict) -> tuple[float | None, str]:
    """A float32 peak estimate: cores x clock x FLOPs/cycle (2 FMA units x SIMD lanes x 2)."""
    if machine.get("gpu"):
        return None, "GPU peak not estimated"
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None, "no /proc/cpuinfo"
    mhz = [float(line.split(":")[1]) for line in text.splitlines() if line.lower().startswith("cpu mhz")]
    lanes = 16 if " avx512f" in text else 8 if " avx2" in text else 4
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (machine.get("cores") or 1)
    if not mhz:
        return None, "clock unknown"
    ghz = max(mhz) / 1000
    return cores * ghz * 2 * lanes * 2, f"{cores} cores x {ghz:.2f} GHz x 2 FMA x {lanes} fp32 lanes x 2"


def deepxde_steps_per_s(cfg: BenchPinnConfig, repo_root: Path) -> tuple[float | None, str]:
    """DeepXDE's steps/s on the same convection problem, run in its own interpreter."""
    python = Path(cfg.deepxde_python)
    python = python if python.is_absolute() else repo_root / python
    if not python.exists():
        return None, f"DeepXDE not measured: {cfg.deepxde_python} missing (run scripts/bench_env.sh)"
    script = Path(tempfile.mkdtemp(prefix="bench-deepxde-")) / "deepxde_convection.py"
    script.write_text(_DEEPXDE_SCRIPT)
    try:
        out = subprocess.run([str(python), str(script), "--steps", str(cfg.speed_steps), "--points",
                              str(cfg.n_points)], capture_output=True, text=True, timeout=900,
                             env={**os.environ, "DDE_BACKEND": "pytorch"})
    except (OSError, subprocess.TimeoutExpired) as err:
        return None, f"DeepXDE not measured: {err}"
    if out.returncode != 0:
        return None, f"DeepXDE not measured: {out.stderr.strip().splitlines()[-1] if out.stderr.strip() else 'failed'}"
    return float(json.loads(out.stdout.strip().splitlines()[-1])["steps_per_s"]), "DeepXDE (PyTorch backend)"


# Run by the benchmark venv's interpreter: the same problem, network, points and weights as
# ``speed("pinn")`` in DeepXDE (PyTorch backend, float32), timed after 50 warm-up steps.
_DEEPXDE_SCRIPT = """
import argparse, json, time
import numpy as np
import deepxde as dde
import torch

ap = argparse.ArgumentParser()
ap.add_argument("--steps", type=int, default=1000)
ap.add_argument("--points", type=int, default=1000)
args = ap.parse_args()
beta = 50.0
geomtime = dde.geometry.GeometryXTime(dde.geometry.Interval(0, 2 * np.pi), dde.geometry.TimeDomain(0, 1))


def pde(x, u):
    return dde.grad.jacobian(u, x, i=0, j=1) + beta * dde.grad.jacobian(u, x, i=0, j=0)


bcs = [dde.icbc.PeriodicBC(geomtime, 0, lambda x, on: on), dde.icbc.PeriodicBC(geomtime, 0, lambda x, on: on, 1),
       dde.icbc.IC(geomtime, lambda x: np.sin(x[:, 0:1]), lambda x, on: on)]
data = dde.data.TimePDE(geomtime, pde, bcs, num_domain=args.points, num_boundary=100, num_initial=256)
model = dde.Model(data, dde.nn.FNN([2] + [50] * 4 + [1], "tanh", "Glorot normal"))
model.compile("adam", lr=1e-3, loss_weights=[1, 100, 100, 100])
model.train(iterations=50, display_every=10**9)
start = time.perf_counter()
model.train(iterations=args.steps, display_every=10**9)
elapsed = time.perf_counter() - start
print(json.dumps({"steps_per_s": args.steps / elapsed, "deepxde": dde.__version__, "torch": torch.__version__,
                  "threads": torch.get_num_threads()}))
"""


def run(cfg: BenchPinnConfig, ctx: StageContext) -> None:
    machine = machine_info()
    records: list[Record] = []
    speeds = {}
    for method in cfg.speed_methods:
        speeds[method] = speed(method, cfg)
        print(f"steps_per_s/{method}: {speeds[method]['steps_per_s']:.1f}", flush=True)
    peak, how = peak_gflops(machine)
    for method, s in speeds.items():
        gflops = s["flops_per_step"] * s["steps_per_s"] / 1e9 if s["flops_per_step"] else None
        records.append(Record(name=f"steps_per_s/{method}", value=s["steps_per_s"], unit="steps/s", better="higher",
                              profile=ctx.profile, extra={"flops_per_step": s["flops_per_step"], "gflops": gflops,
                                                          "peak_gflops": peak, "peak_estimate": how,
                                                          "fraction_of_peak": gflops / peak if gflops and peak else None,
                                                          "problem": "convection beta=50", "network": "4 x 50 tanh MLP",
                                                          "n_points": cfg.n_points, "dtype": "float32"}))
    if "pinn" in speeds and "r3" in speeds:
        overhead = 1 - speeds["r3"]["steps_per_s"] / speeds["pinn"]["steps_per_s"]
        records.append(Record(name="r3_overhead", value=overhead, unit="1", better="lower", profile=ctx.profile,
                              reference={"value": 0.05, "source": "issue goal: R3 overhead < 5 %"},
                              extra={"pinn_steps_per_s": speeds["pinn"]["steps_per_s"],
                                     "r3_steps_per_s": speeds["r3"]["steps_per_s"]}))
    ours = speeds.get("pinn", {}).get("steps_per_s")
    theirs, note = deepxde_steps_per_s(cfg, ctx.repo_root)
    if ours and theirs:
        records.append(Record(name="speedup_vs_deepxde", value=ours / theirs, unit="1", better="higher",
                              profile=ctx.profile, reference={"value": 2.0, "source": "issue goal: >= 2x DeepXDE on CPU"},
                              extra={"ours_steps_per_s": ours, "deepxde_steps_per_s": theirs, "note": note}))
    print(note if not theirs else f"speedup_vs_deepxde: {ours / theirs:.2f}", flush=True)
    out_root = ctx.repo_root / cfg.runs_dir / ctx.profile
    records += accuracy_records(cfg, ctx.profile, out_root)
    tables = {"notes": [{"deepxde": note, "machine": json.dumps(machine), "peak": how}]}
    if cfg.curve_betas:
        tables["failure_modes"] = failure_curve(cfg, ctx.profile, out_root)
    path = write_stage_bench("pinn", records, ctx, out=ctx.out, tables=tables)
    print(f"wrote {path}")


def failure_curve(cfg: BenchPinnConfig, profile: str, out_root: Path) -> list[dict]:
    rows = []
    for beta in cfg.curve_betas:
        row = {"beta": beta}
        for method in cfg.curve_methods:
            tc = TrainPinnConfig(problem="convection", method=method, params={"beta": beta}, steps=cfg.curve_steps,
                                 periodic_harmonics=1 if method == "lpinn" else None)
            rc = run_config(tc, profile, 0)
            row[method] = _train_or_reuse(rc, out_root / "failure_modes" / f"beta{beta:g}" / method, cfg.reuse)[0]
            print(f"failure mode beta={beta:g} {method}: {row[method]:.3e}", flush=True)
        rows.append(row)
    return rows


STAGE = Stage(
    name="bench-pinn",
    help="PINN methods: rel. L2 per problem/method/seed, steps/s, FLOP rate, R3 overhead, vs DeepXDE "
         "(reports/bench/pinn.json)",
    config_cls=BenchPinnConfig,
    run=run,
)
