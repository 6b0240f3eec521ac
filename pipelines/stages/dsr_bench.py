"""Stage ``bench-dsr``: dynamical-systems reconstruction and forecasting, scored with chaos.metrics.

``python -m pipelines bench-dsr`` (``make bench-dsr``) runs, in one process:

* reservoirs on Lorenz-63: valid prediction time (VPT, Lyapunov times, threshold 0.4) of the
  echo state network and NG-RC, median over initial conditions (goal >= 5), and NG-RC on
  Gauthier et al.'s own data recipe (NRMSE over one Lyapunov time, paper ~2.1e-3);
* Mackey-Glass (tau 17) 100 steps ahead: NRMSE of echo state networks and the quantum
  noise-induced reservoir, sizes and qubit counts in the records;
* the echo state network against reservoirpy (``.venv-bench``) on the same data and matrices:
  fit + forecast time, speedup at equal VPT (goal >= 3);
* shallow PLRNNs (adaptive GTF, fixed-alpha GTF, BPTT) on Lorenz-63 (standardised, 5%
  observation noise), several seeds: D_stsp and D_H of long generated runs (goals 0.3 and 0.1),
  and on Lorenz96 (10-D) and Mackey-Glass beside the reservoirs;
* the database sweep: every model on every system of the chaos database with dysts' protocol
  (train on 10 periods, forecast 2, 100 points a period), median sMAPE against dysts' published
  medians; one table and one figure.

Records: ``vpt/<system>/<model>``, ``d_stsp/<system>/<model>``, ``d_h/<system>/<model>`` (one
per seed), ``nrmse/...``, ``speedup_vs_reservoirpy``, ``smape_median/<model>``,
``plrnn_steps_per_s/<method>``. Written to ``reports/bench/dsr.json`` (quick) or
``reports/full/dsr-<machine>.json`` (full), figures under ``reports/bench/dsr/``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines import contract
from pipelines._hints import MissingDataError
from pipelines.bench import Record, machine_label, write_stage_bench
from pipelines.registry import Stage, StageContext

# dysts' forecasting benchmark (Gilpin 2021, NeurIPS datasets track), median sMAPE over systems
DYSTS_MEDIAN_SMAPE = {"esn": 102.4, "ngrc": 83.6, "neural_ode": 72.6}
DYSTS_SOURCE = "Gilpin 2021 (dysts), multivariate forecasting benchmark, median sMAPE"
SWEEP_MODELS = ("esn", "ngrc", "qrc")


@dataclass(frozen=True)
class BenchDSRConfig:
    # reservoirs on Lorenz-63
    lorenz_dt: float = field(default=0.025, metadata={"min": 1e-4})
    lorenz_train: int = field(default=5000, metadata={"min": 200})
    lorenz_forecast: int = field(default=1000, metadata={"min": 10})
    lorenz_ics: int = field(default=5, metadata={"min": 1})
    esn_units: int = field(default=1000, metadata={"min": 10})
    # Mackey-Glass 100 steps ahead
    mg_train: int = field(default=2500, metadata={"min": 200})
    mg_test: int = field(default=1400, metadata={"min": 100})
    mg_horizon: int = field(default=100, metadata={"min": 1})
    mg_esn_units: tuple[int, ...] = (21, 100, 500)
    mg_qubits: tuple[int, ...] = (4, 6)
    # reservoirpy comparison
    compare_repeats: int = field(default=3, metadata={"min": 1})
    # database sweep
    sweep: bool = True
    sweep_models: tuple[str, ...] = ("esn", "ngrc")
    sweep_esn_units: int = field(default=500, metadata={"min": 10})
    sweep_systems: tuple[str, ...] = ()  # empty: every system in the database
    data_dir: str = "data/chaos"
    seed: int = 0

    def __post_init__(self):
        bad = sorted(set(self.sweep_models) - set(SWEEP_MODELS))
        if bad:
            raise ValueError(f"sweep_models {bad} unknown; allowed: {', '.join(SWEEP_MODELS)}")
        if self.sweep_systems:
            from chaos import systems

            systems.check_names(list(self.sweep_systems))


# ---------------------------------------------------------------- reservoirs on Lorenz-63

def lorenz_reservoirs(cfg: BenchDSRConfig, profile: str) -> tuple[list[Record], dict]:
    """VPT of ESN and NG-RC on Lorenz-63, one record per model (median over initial conditions)."""
    import numpy as np

    from chaos.metrics import valid_prediction_time
    from sciml.reservoir.data import LORENZ_LYAPUNOV, lorenz
    from sciml.reservoir.forecasting import fit_forecast, spec_for

    series = lorenz(cfg.lorenz_train + cfg.lorenz_forecast, cfg.lorenz_dt, n_ics=cfg.lorenz_ics, seed=cfg.seed)
    specs = {"esn": spec_for("esn", n_units=cfg.esn_units, seed=cfg.seed), "ngrc": spec_for("ngrc")}
    records, detail = [], {}
    for name, spec in specs.items():
        vpts, seconds = [], []
        for traj in series:
            train, truth = traj[: cfg.lorenz_train], traj[cfg.lorenz_train:]
            start = time.perf_counter()
            pred = fit_forecast(spec, train, cfg.lorenz_forecast)
            seconds.append(time.perf_counter() - start)
            pred = np.clip(np.nan_to_num(pred, nan=1e12), -1e12, 1e12)
            vpts.append(valid_prediction_time(truth, pred, dt=cfg.lorenz_dt, lyapunov_exponent=LORENZ_LYAPUNOV,
                                              reference=train))
        detail[name] = {"vpt_per_ic": vpts, "fit_forecast_s": seconds}
        records.append(Record(
            name=f"vpt/Lorenz/{name}", value=float(np.median(vpts)), unit="Lyapunov times", better="higher",
            profile=profile, seed=cfg.seed,
            reference={"value": 5.0, "source": "issue goal: median valid prediction time >= 5 Lyapunov times"},
            extra={"per_ic": vpts, "hyperparameters": vars(spec), "dt": cfg.lorenz_dt, "n_train": cfg.lorenz_train,
                   "threshold": 0.4, "lyapunov_exponent": LORENZ_LYAPUNOV}))
    return records, detail


def ngrc_gauthier(profile: str) -> Record:
    """NG-RC with Gauthier et al.'s recipe and data (RK23 Lorenz, dt 0.025, 400 training points,
    k 2, ridge 2.5e-6): NRMSE over one Lyapunov time, mean over 10 warm-up starts."""
    import numpy as np

    from sciml.reservoir import ngrc as ngrc_mod
    from sciml.reservoir.data import lorenz_gauthier

    dt, warm, n_train = 0.025, 200, 400  # 5 time units of warm-up, 10 of training
    n_test = int(round(1.104 / dt))  # their Lyapunov time, 1.104 time units
    n_shifts = 10
    series = lorenz_gauthier((warm + n_train + n_test + n_shifts) * dt, dt)
    norm = float(np.sum(np.var(series, axis=0)))  # their normalisation: var x + var y + var z
    errors = []
    for shift in range(n_shifts):
        end = warm + shift + n_train
        model = ngrc_mod.fit(ngrc_mod.NGRC(3, k=2, skip=1, degree=2), series[warm + shift - 2: end], beta=2.5e-6)
        pred = np.asarray(ngrc_mod.forecast(model, series[:end], n_test))
        errors.append(float(np.sqrt(np.mean((pred - series[end: end + n_test]) ** 2) / norm)))
    return Record(name="nrmse/Lorenz/ngrc_gauthier_recipe", value=float(np.mean(errors)), unit="1", better="lower",
                  profile=profile, reference={"value": 2.1e-3, "tolerance": 1.0e-3,
                                              "source": "Gauthier et al. 2021, Nat. Commun. 12:5564, Fig. 2 (NRMSE over one Lyapunov time)"},
                  extra={"per_start": errors, "dt": dt, "n_train": n_train, "k": 2, "ridge": 2.5e-6,
                         "data": "their recipe: SciPy RK23 at default tolerances"})


# ---------------------------------------------------------------- Mackey-Glass

def mackey_glass_direct(cfg: BenchDSRConfig, profile: str) -> list[Record]:
    """x(t) -> x(t + horizon) on Mackey-Glass tau = 17: ESN of several sizes and the quantum reservoir."""
    import jax
    import numpy as np

    from sciml.reservoir import esn as esn_mod
    from sciml.reservoir import qrc as qrc_mod
    from sciml.reservoir.data import direct_task, mackey_glass
    from sciml.reservoir.forecasting import spec_for

    x = mackey_glass(cfg.mg_train + cfg.mg_test + cfg.mg_horizon)
    mean, std = x[: cfg.mg_train].mean(), x[: cfg.mg_train].std()
    inputs, targets = direct_task((x - mean) / std, cfg.mg_horizon)
    tr = slice(0, cfg.mg_train)
    te = slice(cfg.mg_train, cfg.mg_train + cfg.mg_test)
    source = {"source": "Domingo, Carlo, Borondo 2023 (noise-induced quantum reservoir), Mackey-Glass tau 17, "
                        "100 steps ahead; no number taken from the paper"}

    def score(pred):
        pred = np.asarray(pred)[te, 0]
        return float(np.sqrt(np.mean((pred - targets[te, 0]) ** 2)) / np.std(targets[te, 0]))

    records = []
    for units in cfg.mg_esn_units:
        spec = spec_for("esn", n_units=units, seed=cfg.seed)
        model = esn_mod.ESN(1, units, spectral_radius=spec.spectral_radius, connectivity=min(1.0, max(spec.connectivity, 5.0 / units)),
                            input_scaling=spec.input_scaling, bias_scaling=spec.bias_scaling, leak=spec.leak,
                            key=jax.random.key(cfg.seed))
        model = esn_mod.fit(model, inputs[tr], targets[tr], beta=spec.beta, warmup=spec.warmup)
        records.append(Record(name=f"nrmse/MackeyGlass_h{cfg.mg_horizon}/esn_N{units}",
                              value=score(esn_mod.predict(model, inputs[: te.stop])), unit="1", better="lower",
                              profile=profile, seed=cfg.seed, extra={"n_units": units, "features": 1 + 1 + units, **source}))
    for qubits in cfg.mg_qubits:
        spec = spec_for("qrc", n_qubits=qubits, seed=cfg.seed)
        model = spec.build(1)
        model = qrc_mod.fit(model, inputs[tr], targets[tr], beta=spec.beta, warmup=spec.warmup)
        n_feat = qubits + (qubits * (qubits - 1) // 2 if spec.zz else 0)
        records.append(Record(name=f"nrmse/MackeyGlass_h{cfg.mg_horizon}/qrc_q{qubits}",
                              value=score(qrc_mod.predict(model, inputs[: te.stop])), unit="1", better="lower",
                              profile=profile, seed=cfg.seed,
                              extra={"n_qubits": qubits, "features": 2 + n_feat, "hyperparameters": vars(spec), **source}))
    return records


# ---------------------------------------------------------------- reservoirpy

def reservoirpy_speedup(cfg: BenchDSRConfig, profile: str) -> list[Record]:
    from sciml.reservoir.compare import compare_with_reservoirpy
    from sciml.reservoir.data import LORENZ_LYAPUNOV, lorenz
    from sciml.reservoir.forecasting import spec_for

    series = lorenz(cfg.lorenz_train + cfg.lorenz_forecast, cfg.lorenz_dt, seed=cfg.seed)[0]
    spec = spec_for("esn", n_units=cfg.esn_units, seed=cfg.seed)
    out = compare_with_reservoirpy(series, n_train=cfg.lorenz_train, n_forecast=cfg.lorenz_forecast, dt=cfg.lorenz_dt,
                                   lyapunov_exponent=LORENZ_LYAPUNOV, spec=spec, repeats=cfg.compare_repeats)
    records = [Record(name="esn_fit_forecast_s/jax", value=out["jax"]["seconds"], unit="s", better="lower",
                      profile=profile, extra=out["jax"])]
    if out["reservoirpy"] is None:
        print(f"bench-dsr: reservoirpy comparison skipped: {out['skipped']}")
        return records
    records.append(Record(name="esn_fit_forecast_s/reservoirpy", value=out["reservoirpy"]["seconds"], unit="s",
                          better="lower", profile=profile, extra=out["reservoirpy"]))
    records.append(Record(
        name="speedup_vs_reservoirpy", value=out["speedup"], unit="1", better="higher", profile=profile,
        reference={"value": 3.0, "source": "issue goal: >= 3x reservoirpy's fit + forecast time at equal VPT"},
        extra={k: out[k] for k in ("units", "n_train", "n_forecast", "device", "max_abs_difference_first_50_steps")}
        | {"vpt_jax": out["jax"]["vpt_lyapunov_times"], "vpt_reservoirpy": out["reservoirpy"].get("vpt_lyapunov_times")}))
    return records


# ---------------------------------------------------------------- the database sweep

def load_database(cfg: BenchDSRConfig, ctx: StageContext):
    path = ctx.repo_root / cfg.data_dir / f"{ctx.profile}.nc"
    if not path.exists():
        raise MissingDataError(f"the chaos database {str(path)!r} does not exist; run `make data-chaos PROFILE={ctx.profile}`")
    return contract.open_datatree(path)


def database_sweep(cfg: BenchDSRConfig, ctx: StageContext) -> tuple[list[Record], list[dict], list[dict]]:
    """Every sweep model on every system (trajectory 0) with dysts' protocol. A forecast that
    diverges scores sMAPE 200 (the scale's maximum), as a failed forecast does in dysts."""
    import numpy as np

    from sciml.reservoir.forecasting import forecast_dysts_protocol, spec_for

    tree = load_database(cfg, ctx)
    names = list(cfg.sweep_systems) or sorted(tree.children)
    missing = sorted(set(names) - set(tree.children))
    if missing:
        raise MissingDataError(f"systems {missing} are not in the {ctx.profile} chaos database; run make data-chaos")
    specs = {m: spec_for(m, **({"n_units": cfg.sweep_esn_units, "seed": cfg.seed} if m == "esn" else {}))
             for m in cfg.sweep_models}
    rows = []
    for name in names:
        ds = tree[name].to_dataset()
        valid = np.flatnonzero(np.asarray(ds.valid))
        if valid.size == 0:
            rows.append({"system": name, "skipped": "no valid trajectory in the database"})
            continue
        x = np.asarray(ds.x[valid[0]], dtype=np.float64)
        pts = int(json.loads(ds.attrs["spec"])["pts_per_period"])
        lam = ds.attrs.get("maximum_lyapunov_estimated")
        row = {"system": name, "dimension": int(x.shape[1])}
        for model, spec in specs.items():
            try:
                out = forecast_dysts_protocol(spec, x, pts_per_period=pts, dt=float(ds.attrs["dt_save"]),
                                              lyapunov_exponent=float(lam) if lam and lam > 0 else None)
            except ValueError as err:
                row[f"{model}_error"] = str(err)
                continue
            row[f"{model}_smape"] = out["smape"] if out["finite"] else 200.0
            if out.get("vpt") is not None:
                row[f"{model}_vpt"] = out["vpt"]
        rows.append(row)
    records, summary = [], []
    for model in specs:
        values = [r[f"{model}_smape"] for r in rows if f"{model}_smape" in r]
        if not values:
            continue
        median = float(np.median(values))
        ref = DYSTS_MEDIAN_SMAPE.get(model)
        records.append(Record(
            name=f"smape_median/{model}", value=median, unit="sMAPE (0-200)", better="lower", profile=ctx.profile,
            seed=cfg.seed, reference={"value": ref, "source": DYSTS_SOURCE} if ref is not None else None,
            extra={"n_systems": len(values), "mean": float(np.mean(values)),
                   "diverged": int(sum(v == 200.0 for v in values)), "hyperparameters": vars(specs[model])}))
        summary.append({"model": model, "median_smape": median, "systems": len(values), "dysts_published": ref})
    best = min((r.value for r in records), default=None)
    if best is not None:
        records.append(Record(
            name="smape_median/best", value=best, unit="sMAPE (0-200)", better="lower", profile=ctx.profile,
            reference={"value": DYSTS_MEDIAN_SMAPE["neural_ode"], "source": DYSTS_SOURCE + " (neural ODE, their best)"}))
    return records, rows, summary


def sweep_figure(rows: list[dict], models, folder: Path) -> Path | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    data = {m: [r[f"{m}_smape"] for r in rows if f"{m}_smape" in r] for m in models}
    data = {m: v for m, v in data.items() if v}
    if not data:
        return None
    fig, ax = plt.subplots(figsize=(6.5, 4))
    bins = np.linspace(0, 200, 41)
    for m, v in data.items():
        ax.hist(v, bins=bins, histtype="step", lw=1.6, label=f"{m} (median {np.median(v):.1f}, {len(v)} systems)")
    for m, ref in DYSTS_MEDIAN_SMAPE.items():
        ax.axvline(ref, ls="--", lw=0.9, color="grey")
        ax.text(ref, ax.get_ylim()[1] * 0.95, f" dysts {m}", rotation=90, va="top", fontsize=7, color="grey")
    ax.set_xlabel("sMAPE over 2 periods (0-200, lower is better)")
    ax.set_ylabel("systems")
    ax.set_title("Chaos database sweep, dysts' forecasting protocol")
    ax.legend(fontsize=8)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "sweep_smape.png"
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# ---------------------------------------------------------------- the stage

def run(cfg: BenchDSRConfig, ctx: StageContext) -> None:
    from pipelines.jaxsetup import configure_jax

    configure_jax()
    profile = ctx.profile
    records: list[Record] = []
    tables: dict[str, list[dict[str, Any]]] = {}
    timings = {}

    def part(name, fn, *args):
        start = time.perf_counter()
        out = fn(*args)
        timings[name] = time.perf_counter() - start
        print(f"bench-dsr: {name} done in {timings[name]:.1f} s")
        return out

    if cfg.sweep:  # first: a missing database is an error before any long computation
        load_database(cfg, ctx)
    recs, _ = part("lorenz reservoirs", lorenz_reservoirs, cfg, profile)
    records += recs
    records.append(part("NG-RC, Gauthier's recipe", ngrc_gauthier, profile))
    records += part("Mackey-Glass", mackey_glass_direct, cfg, profile)
    records += part("reservoirpy", reservoirpy_speedup, cfg, profile)
    figures = []
    if cfg.sweep:
        recs, rows, summary = part("database sweep", database_sweep, cfg, ctx)
        records += recs
        tables["sweep"] = rows
        tables["sweep_summary"] = summary
        fig_root = (Path(ctx.out) if ctx.out else ctx.repo_root / ("reports/full" if profile == "full" else "reports/bench"))
        figures.append(sweep_figure(rows, cfg.sweep_models, fig_root / "dsr"))
    tables["timings"] = [{"part": k, "seconds": v, "machine": machine_label()} for k, v in timings.items()]
    path = write_stage_bench("dsr", records, ctx, out=ctx.out, tables=tables)
    met = [r for r in records if r.goal_met is not None]
    print(f"bench-dsr: {len(records)} records, goals met {sum(bool(r.goal_met) for r in met)}/{len(met)} -> {path}")
    for fig in figures:
        if fig is not None:
            print(f"bench-dsr: figure {fig}")


STAGE = Stage(
    name="bench-dsr",
    help="PLRNN/GTF and reservoirs: D_stsp, D_H, VPT, Mackey-Glass, the database sweep, vs reservoirpy (reports/bench/dsr.json)",
    config_cls=BenchDSRConfig,
    run=run,
)
