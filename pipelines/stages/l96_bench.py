"""Stage ``bench-l96``: the Lorenz 96 closures' scores and the cost of the MNO-closed coarse model.

1. Scores (``eval-closure`` with the same profile; closures trained first if missing): records
   ``offline_rmse/<closure>``, ``offline_r2/<closure>``, ``forecast_rmse/<closure>/lead=<t>``,
   ``online_hellinger/<closure>`` (and the autocorrelation and spectrum errors), the same on the larger rings
   (``.../K=<K>``), ``online_blowup_time/<closure>`` for a long run that blew up, and
   ``forecast_rmse/ideal/lead=<t>`` (the evaluation's own check).
2. Cost (:mod:`sciml.closures.cost`): seconds per model time unit (MTU) of the coarse model closed by the MNO at
   its coarse step against the two-level model at its RK4 step, for each K, in the MNO paper's setup where the
   fine ring grows with the coarse one (J = K, coupling h = 10 / J so that h J = 10 as in the Lorenz 1996 set) and
   at J = 10. Records ``speedup/K=<K>`` (J = K) and ``speedup_J10/K=<K>``, with the paper's factors (about 25 at
   K = 1024, 1800 at K = 32768) as references; a speedup below 1 means the closure is slower, and is printed as
   such. Large full models are timed for a few steps and scaled to one MTU (``extra.scaled``); one that would
   not fit in the machine's memory is not run, and its row says so (no record).
3. ``export_parity_max_abs``: the exported MNO (``pipelines.export``, if present) against the JAX coarse model.

Writes ``reports/bench/l96.json`` (quick) or ``reports/full/l96-<machine>.json`` (full) and PNG figures in
``reports/bench/l96/`` (``reports/full/l96/``) where the report picks them up.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.bench import Record, write_stage_bench
from pipelines.config import load_config
from pipelines.registry import Stage, StageContext

from .closure_eval import EvalClosureConfig, evaluate, jsonable, load_trained

PAPER_SPEEDUP = {1024: 25.0, 32768: 1800.0}
PAPER_SOURCE = "Lütjens et al. 2022 (multiscale neural operator), Lorenz 96 with J = K"


@dataclass(frozen=True)
class BenchL96Config:
    Ks: tuple[int, ...] = field(default=(64, 256, 1024, 4096), metadata={"min": 8, "help": "coarse ring sizes"})
    full_dt: float = field(default=0.005, metadata={"min": 1e-5, "help": "RK4 step of the two-level model (MTU)"})
    full_max_values: float = field(default=2e8, metadata={"min": 1.0, "help": "time at most this many (steps x K x J)"
                                                                         " of the full model, then scale to 1 MTU"})
    coarse_max_steps: int = field(default=0, metadata={"min": 0, "help": "0: time a whole MTU of the coarse model"})
    repeats: int = field(default=2, metadata={"min": 1})
    scores: bool = field(default=True, metadata={"help": "run eval-closure and record its scores"})
    export_parity: bool = True
    seed: int = 0


def _records_from_scores(results: dict[str, Any], profile: str) -> list[Record]:
    recs: list[Record] = []
    base_k = results["K"]

    def add(name, value, unit, better, **extra):
        recs.append(Record(name=name, value=float(value), unit=unit, better=better, profile=profile,
                           extra=extra or None))

    for name, entry in results["closures"].items():
        for k, s in entry["per_K"].items():
            suffix = "" if k == base_k else f"/K={k}"
            if "error" in s:
                print(f"note: {name} does not run at K={k}: {s['error']}")
                continue
            off, fc, long = s["offline"], s["forecast"], s["long"]
            add(f"offline_rmse/{name}{suffix}", off["rmse"], "1/MTU", "lower", K=k, trained_K=entry["trained_K"])
            add(f"offline_r2/{name}{suffix}", off["r2"], "1", "higher", K=k, trained_K=entry["trained_K"])
            for lead, value in fc["rmse"].items():
                if k != base_k and lead != max(fc["rmse"]):
                    continue
                n_div = fc["n_diverged"][lead]
                if value == float("inf"):
                    print(f"note: every {name} forecast at K={k} blew up before lead {lead}")
                    continue
                add(f"forecast_rmse/{name}{suffix}/lead={lead:g}", value, "1", "lower", K=k,
                    n_starts=fc["n_starts"], n_diverged=n_div)
            summary = long.summary()
            add(f"online_hellinger/{name}{suffix}", long.hellinger, "1", "lower", **summary)
            if k == base_k:
                add(f"online_acf_rmse/{name}", long.acf_rmse, "1", "lower", **summary)
                add(f"online_spectrum_log_error/{name}", long.spectrum_log_error, "1", "lower", **summary)
            if long.diverged_at is not None:
                print(f"WARNING: the {name} closure's long run at K={k} blew up at t = {long.diverged_at:.3g} MTU")
                add(f"online_blowup_time/{name}{suffix}", long.diverged_at, "MTU", "higher", **summary)
    if "ideal" in results:
        for lead, value in results["ideal"]["rmse"].items():
            add(f"forecast_rmse/ideal/lead={lead:g}", value, "1", "lower",
                note="stored closure target applied once per coarse step (float64 run; data stored in float32)")
    return recs


def cost_benchmark(cfg: BenchL96Config, closure, meta: dict[str, Any], profile: str
                   ) -> tuple[list[Record], list[dict[str, Any]]]:
    """Seconds per MTU of the MNO-closed coarse model and of the two-level model at each K (module docstring)."""
    from chaos.lorenz96 import parameter_set
    from sciml.closures.cost import TooLargeForMemory, time_coarse, time_two_level

    dt_c, forcing = float(meta["dt_coarse"]), float(meta["F"])
    base = parameter_set(meta.get("parameter_set") or "lorenz1996")
    rows, recs = [], []
    for k in cfg.Ks:
        closure.check_size(k)
        coarse = time_coarse(closure, K=k, dt=dt_c, forcing=forcing, repeats=cfg.repeats, seed=cfg.seed,
                             max_steps=cfg.coarse_max_steps or None)
        null = time_coarse(None, K=k, dt=dt_c, forcing=forcing, repeats=cfg.repeats, seed=cfg.seed,
                           max_steps=cfg.coarse_max_steps or None)
        row = {"K": k, "dt_coarse": dt_c, "dt_full": cfg.full_dt, "mno_s_per_mtu": coarse["s_per_mtu"],
               "null_s_per_mtu": null["s_per_mtu"], "mno_finite": coarse["finite"]}
        for label, j in (("J=K", k), ("J=10", 10)):
            p = dataclasses.replace(base, K=k, J=j, h=base.h * base.J / j)
            steps = max(2, int(cfg.full_max_values // (k * j)))
            try:
                full = time_two_level(p, dt=cfg.full_dt, max_steps=steps, repeats=cfg.repeats, seed=cfg.seed)
            except TooLargeForMemory as err:
                row[f"full_{label}_s_per_mtu"] = None
                row[f"speedup_{label}"] = f"not measured: {err}"
                print(f"K={k:6d} {label:5s}: full model not measured: {err}")
                continue
            speedup = full["s_per_mtu"] / coarse["s_per_mtu"]
            row[f"full_{label}_s_per_mtu"] = full["s_per_mtu"]
            row[f"full_{label}_steps_timed"] = full["steps_timed"]
            row[f"speedup_{label}"] = speedup
            extra = {"K": k, "J": j, "h": p.h, "full_s_per_mtu": full["s_per_mtu"],
                     "coarse_mno_s_per_mtu": coarse["s_per_mtu"], "coarse_null_s_per_mtu": null["s_per_mtu"],
                     "dt_coarse": dt_c, "dt_full": cfg.full_dt, "full_steps_timed": full["steps_timed"],
                     "full_steps_per_mtu": full["steps_per_mtu"], "scaled": full["scaled"],
                     "full_finite": full["finite"], "coarse_finite": coarse["finite"], "float": "float32",
                     "note": (f"full model timed over {full['steps_timed']} of {full['steps_per_mtu']} steps and "
                              "scaled to 1 MTU" if full["scaled"] else "whole MTU timed on both sides")}
            name = f"speedup/K={k}" if label == "J=K" else f"speedup_J10/K={k}"
            ref = PAPER_SPEEDUP.get(k) if label == "J=K" else None
            recs.append(Record(name=name, value=speedup, unit="1", better="higher", profile=profile, seed=cfg.seed,
                               reference={"value": ref, "source": PAPER_SOURCE} if ref else None, extra=extra))
            verdict = "faster" if speedup >= 1 else "SLOWER than the full model"
            print(f"K={k:6d} {label:5s}: full {full['s_per_mtu']:.3g} s/MTU"
                  + (f" (scaled from {full['steps_timed']} steps)" if full["scaled"] else "")
                  + f", MNO-closed coarse {coarse['s_per_mtu']:.3g} s/MTU: {speedup:.3g}x ({verdict})")
        recs.append(Record(name=f"cost_s_per_mtu/mno/K={k}", value=coarse["s_per_mtu"], unit="s", better="lower",
                           profile=profile, extra={"dt": dt_c, "compile_s": coarse["compile_s"]}))
        rows.append(row)
    return recs, rows


def export_parity_records(closure, meta: dict[str, Any], x0, profile: str) -> list[Record]:
    """``export_parity_max_abs``: the ONNX-closed NumPy coarse model against the JAX one (if the export code and
    onnxruntime are installed)."""
    try:
        from pipelines.export import export_parity
    except ImportError as err:
        print(f"note: no export parity record ({err})")
        return []
    n_steps, dt = 100, float(meta["dt_coarse"])
    value = export_parity(closure, x0, n_steps=n_steps, dt=dt, forcing=float(meta["F"]))
    return [Record(name="export_parity_max_abs", value=value, unit="1", better="lower", profile=profile,
                   reference={"value": 1e-4, "source": "float32 rounding over 100 coarse steps"},
                   extra={"closure": "mno", "K": int(len(x0)), "n_steps": n_steps, "dt": dt})]


def figures(folder: Path, results: dict[str, Any] | None, rows: list[dict[str, Any]]) -> list[Path]:
    """PNG figures: cost against K (log-log), forecast RMSE against lead, PDF, autocorrelation, spectrum."""
    import numpy as np

    from pipelines.figures import figure_writer

    plt, writer = figure_writer(folder)
    save = writer.save

    def col(key):  # NaN (a gap in the line) where the full model was not measured
        return [v if isinstance(v, (int, float)) else np.nan for v in (r[key] for r in rows)]

    if rows:
        ks = [r["K"] for r in rows]
        fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
        ax.loglog(ks, col("mno_s_per_mtu"), "o-", label="coarse + MNO closure")
        ax.loglog(ks, col("null_s_per_mtu"), "s--", label="coarse, no closure")
        ax.loglog(ks, col("full_J=K_s_per_mtu"), "^-", label="two-level, J = K")
        ax.loglog(ks, col("full_J=10_s_per_mtu"), "v-", label="two-level, J = 10")
        ax.set(xlabel="K (coarse points)", ylabel="wall seconds per model time unit", title="Cost of 1 MTU")
        ax.legend()
        ax2.loglog(ks, col("speedup_J=K"), "o-", label="J = K")
        ax2.loglog(ks, col("speedup_J=10"), "v-", label="J = 10")
        ax2.axhline(1.0, color="k", lw=0.8)
        ax2.plot(list(PAPER_SPEEDUP), list(PAPER_SPEEDUP.values()), "r*", ms=10, label="MNO paper (J = K)")
        ax2.set(xlabel="K (coarse points)", ylabel="speedup (full / coarse + MNO)", title="Speedup")
        ax2.legend()
        save(fig, "cost")
    if results:
        base = results["K"]
        closures = list(results["closures"])
        fig, ax = plt.subplots(figsize=(6, 4.2))
        for name in closures:
            rm = results["closures"][name]["per_K"][base]["forecast"]["rmse"]
            ax.plot(list(rm), list(rm.values()), "o-", label=name)
        ax.set(xlabel="lead time (MTU)", ylabel="forecast RMSE of X", title=f"Forecasts from true states, K={base}")
        ax.legend()
        save(fig, "forecast_rmse")
        fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
        for i, name in enumerate(closures):
            long = results["closures"][name]["per_K"][base]["long"]
            centres = 0.5 * (long.edges[1:] + long.edges[:-1])
            if i == 0:
                axes[0].plot(centres, long.pdf_truth, "k-", lw=2, label="two-level truth")
                lags = np.arange(len(long.acf_truth))
                axes[1].plot(lags, long.acf_truth, "k-", lw=2, label="two-level truth")
                axes[2].semilogy(np.arange(1, len(long.spectrum_truth)), long.spectrum_truth[1:], "k-", lw=2,
                                 label="two-level truth")
            tag = name + (f" (blew up at {long.diverged_at:.2g})" if long.diverged_at is not None else "")
            axes[0].plot(centres, long.pdf_run, label=f"{tag}: H = {long.hellinger:.3f}")
            axes[1].plot(np.arange(len(long.acf_run)), long.acf_run, label=tag)
            axes[2].semilogy(np.arange(1, len(long.spectrum_run)), long.spectrum_run[1:], label=tag)
        axes[0].set(xlabel="X", ylabel="probability density", title="PDF of X (long coarse runs)")
        axes[1].set(xlabel="lag (saved steps)", ylabel="autocorrelation of X_k", title="Autocorrelation")
        axes[2].set(xlabel="wavenumber", ylabel="power", title="Spatial spectrum")
        for a in axes:
            a.legend(fontsize=8)
        save(fig, "long_runs")
    return writer.written


def run(cfg: BenchL96Config, ctx: StageContext) -> list[Record]:
    import numpy as np

    from .closure_train import data_folder, open_l96

    eval_cfg = load_config(EvalClosureConfig, "eval-closure", ctx.profile)
    records: list[Record] = []
    results = None
    if cfg.scores:
        results = evaluate(eval_cfg, ctx)
        records += _records_from_scores(results, ctx.profile)
    mno, meta = load_trained("mno", dataclasses.replace(eval_cfg, closures=("mno",)), ctx)
    cost_records, rows = cost_benchmark(cfg, mno, meta, ctx.profile)
    records += cost_records
    if cfg.export_parity:
        test = open_l96(data_folder(eval_cfg, ctx), "test")
        records += export_parity_records(mno, meta, np.asarray(test.X.values[0, 0], np.float32), ctx.profile)
    out = Path(ctx.out) if ctx.out else None
    tables = {"cost": rows}
    if results is not None:
        scores = jsonable(results)
        tables["closures"] = [{"closure": n, "K": k, **({"error": s["error"]} if "error" in s else {
            "offline_rmse": s["offline"]["rmse"], "offline_r2": s["offline"]["r2"],
            **{f"forecast_rmse_lead={t}": v for t, v in s["forecast"]["rmse"].items()},
            "hellinger": s["long"]["hellinger"], "diverged_at": s["long"]["diverged_at"]})}
            for n, e in scores["closures"].items() for k, s in e["per_K"].items()]
    path = write_stage_bench("l96", records, ctx, out=out, tables=tables)
    fig_root = out if out is not None else Path(ctx.repo_root) / ("reports/full" if ctx.profile == "full"
                                                                  else "reports/bench")
    for p in figures(fig_root / "l96", results, rows):
        print(f"wrote {p}")
    print(f"wrote {path}")
    return records


STAGE = Stage(
    name="bench-l96",
    help="Lorenz 96 closures: offline/online scores, grid independence, MNO cost vs the two-level model "
         "(reports/bench/l96.json)",
    config_cls=BenchL96Config,
    run=run,
)
