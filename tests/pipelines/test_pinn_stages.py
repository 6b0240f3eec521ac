"""Stages train-pinn and bench-pinn: tiny runs of every method write contract-valid prediction and
history files; config errors are one line before anything compiles; the bench writes its records
and reuses unchanged runs."""

import numpy as np
import pytest

from pipelines import contract, registry
from pipelines.bench import read_bench
from pipelines.cli import main
from pipelines.stages import pinn_bench, pinn_train
from sciml.pinn import methods

for _stage in (pinn_train.STAGE, pinn_bench.STAGE):
    if _stage.name not in registry.names():
        registry.register(_stage)

TINY = ["--set", "width=6", "--set", "depth=1", "--set", "n_points=32", "--set", "steps=4", "--set", "chunk=2",
        "--set", "eval_nx=16", "--set", "eval_nt=5"]


@pytest.mark.parametrize("method", methods.names())
def test_every_method_runs_and_writes_prediction_and_history(method, tmp_path, capsys):
    problem = "burgers" if method == "lpinn" else "convection"
    extra = ["--set", "pool=64", "--set", "n_add=2"] if method in ("rar_g", "rad") else []
    assert main(["train-pinn", "--set", f"problem={problem}", "--set", f"method={method}", "--set", "windows=1",
                 *TINY, *extra,
                 "--out", str(tmp_path)]) == 0
    run = tmp_path / problem / method / "seed0"
    pred = contract.open_dataset(run / "prediction.nc", dims={"u": ("t", "x"), "error": ("t", "x")})
    hist = contract.open_dataset(run / "history.nc", dims={"loss": ("step",)})
    assert pred.sizes == {"t": 5, "x": 16} and hist.sizes["step"] == 4
    assert pred.attrs["method"] == method and pred.attrs["rel_l2"] > 0
    assert "rel L2" in capsys.readouterr().out


def test_errors_of_the_travelling_front_are_relative_to_its_wave(tmp_path):
    assert main(["train-pinn", "--set", "problem=burgers", "--set", "variant=travelling", "--set", "method=pinn",
                 *TINY, "--out", str(tmp_path)]) == 0
    pred = contract.open_dataset(tmp_path / "burgers-travelling" / "pinn" / "seed0" / "prediction.nc")
    assert pred.attrs["rel_l2_offset"] == 50.0  # u = sin x + 50 at t = 0: relative to |u_ref - 50|
    expected = float(np.linalg.norm(pred.error) / np.linalg.norm(pred.u_ref - 50.0))
    assert pred.attrs["rel_l2"] == pytest.approx(expected, rel=1e-6) and expected > 0.1


def test_time_marching_windows_and_resume(tmp_path, capsys):
    args = ["train-pinn", "--set", "problem=ks", "--set", "method=causal", "--set", "windows=2", "--set",
            "fourier_features=0", "--set", "rwf=false", "--set", "body=mlp", *TINY, "--out", str(tmp_path)]
    assert main(args) == 0
    hist = contract.open_dataset(tmp_path / "ks" / "causal" / "seed0" / "history.nc")
    assert list(hist.window.values) == [0] * 4 + [1] * 4
    capsys.readouterr()
    assert main(args) == 0
    assert capsys.readouterr().out.count("resumed from") == 2
    # checkpoints from before run keys were kept, of a problem whose definition has changed since
    # (KS's regular case is at revision 2), are not resumed; nor are those of another config
    checkpoints = tmp_path / "ks" / "causal" / "seed0" / "checkpoints"
    (checkpoints / pinn_train.RUN_KEY_FILE).unlink()
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "no run key, problem revision now 2" in out and "resumed from" not in out
    assert main([*args, "--set", "lr=0.002"]) == 0
    out = capsys.readouterr().out
    assert "different train.lr (was 0.001, now 0.002)" in out and "training from scratch" in out and "resumed from" not in out


def test_run_configs_carry_the_problems_revision_above_1():
    config = pinn_train.TrainPinnConfig
    ks = pinn_train.run_config_dict(pinn_train.run_config(config(problem="ks"), "quick", 0))
    chaotic = pinn_train.run_config_dict(pinn_train.run_config(config(problem="ks", variant="chaotic"), "quick", 0))
    convection = pinn_train.run_config_dict(pinn_train.run_config(config(problem="convection"), "quick", 0))
    assert ks["problem_revision"] == 2 and "problem_revision" not in chaotic and "problem_revision" not in convection


def test_history_holds_the_lbfgs_phase(tmp_path):
    assert main(["train-pinn", "--set", "problem=convection", "--set", "method=r3", "--set", "windows=1", *TINY,
                 "--set", "lbfgs_steps=3", "--out", str(tmp_path)]) == 0
    run = tmp_path / "convection" / "r3" / "seed0"
    history = contract.open_dataset(run / "history.nc")
    pred = contract.open_dataset(run / "prediction.nc")
    assert history.sizes["lbfgs_iteration"] == 3 and (history.lbfgs_linesearch_steps >= 1).all()
    assert pred.attrs["message"].endswith(f"then 3 L-BFGS iterations (final loss {history.lbfgs_loss.values[-1]:.3e}, "
                                          f"{int(history.lbfgs_linesearch_steps.sum())} line-search steps)")


def test_run_keys_leave_out_lbfgs_options_that_change_nothing_and_mark_causal_lbfgs():
    def key(**kw):
        return pinn_train.run_config_dict(pinn_train.run_config(pinn_train.TrainPinnConfig(problem="burgers", **kw),
                                                                "full", 0))

    r3 = key(method="r3")  # as the keys made before the L-BFGS options existed
    assert r3["train"]["lbfgs_steps"] == 2000 and not {"lbfgs_chunk", "lbfgs_tol"} & r3["train"].keys()
    assert "lbfgs_causal_weights" not in r3
    assert key(method="r3", lbfgs_tol=1e-7)["train"]["lbfgs_tol"] == 1e-7
    assert key(method="causal")["lbfgs_causal_weights"] == "ones"
    assert "lbfgs_causal_weights" not in key(method="causal", lbfgs_steps=0)


def test_time_limit_is_shared_by_the_windows_and_the_run_is_still_evaluated(tmp_path):
    args = ["train-pinn", "--set", "problem=convection", "--set", "method=pinn", "--set", "windows=2", *TINY,
            "--set", "steps=8", "--set", "time_limit_s=1e-6", "--out", str(tmp_path)]
    assert main(args) == 0
    pred = contract.open_dataset(tmp_path / "convection" / "pinn" / "seed0" / "prediction.nc")
    assert pred.attrs["message"] == "stopped at step 2 of 8: time limit; stopped at step 2 of 8: time limit"
    assert pred.attrs["steps_trained"] == 4 and pred.attrs["status"] == "incomplete" and pred.attrs["rel_l2"] > 0


@pytest.mark.parametrize("sets, words", [
    (["problem=burgers", "periodic_harmonics=1"], ["periodic embedding", "burgers", "Dirichlet"]),
    (["problem=convektion"], ["convektion", "convection"]),
    (["method=r4"], ["unknown PINN method", "r3"]),
    (["problem=allen_cahn", "method=lpinn"], ["no Lagrangian form", "allen_cahn"]),
])
def test_config_errors_are_one_line(sets, words, tmp_path, capsys):
    args = ["train-pinn", "--out", str(tmp_path)] + [a for s in sets for a in ("--set", s)]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and all(w in err for w in words)
    assert not any(tmp_path.iterdir())


def test_bench_writes_records_and_reuses_runs(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(pinn_train.PRESETS["quick"], "convection",
                        dict(params={"beta": 50.0}, steps=4, n_points=32, width=6, depth=1, windows=2))
    args = ["bench-pinn", "--set", "methods=r3", "--set", "seeds=[0, 1]", "--set", "speed_methods=pinn,r3",
            "--set", "speed_steps=4", "--set", "speed_rounds=2", "--set", "n_points=32",
            "--set", "sweep_problems=convection_beta50", "--set", "sweep_methods=r3,lpinn",
            "--set", "sweep_steps=2", "--set", "target_cap=8", "--set", "target_every=2", "--set", "target=1e-9",
            "--set", "curve_betas=[10.0]", "--set", "curve_methods=lpinn", "--set", "curve_steps=2",
            "--set", "curve_windows=1",
            "--set", f"runs_dir={tmp_path / 'runs'}", "--set", f"deepxde_python={tmp_path / 'missing'}",
            "--out", str(tmp_path)]
    assert main(args) == 0
    bench = read_bench(tmp_path / "pinn.json")
    names = [r.name for r in bench.records]
    assert names.count("rel_l2/convection_beta50/r3") == 2 and "r3_overhead" in names
    assert {"steps_per_s/pinn", "steps_per_s/r3"} <= set(names) and "speedup_vs_deepxde" not in names
    pinn_speed = next(r for r in bench.records if r.name == "steps_per_s/pinn")
    assert pinn_speed.extra["derivatives"] == "shared_reverse"
    assert pinn_speed.extra["forward_derivatives_steps_per_s"] > 0
    assert "DeepXDE not measured" in bench.tables["notes"][0]["deepxde"]
    sweep = {r.name: r for r in bench.records if r.extra and r.extra.get("run") == "sweep"}
    assert set(sweep) == {"rel_l2/convection_beta50/lpinn"}  # r3 ran in main
    assert all(r.extra["steps"] == 2 and r.extra["windows"] == 1 for r in sweep.values())
    main_r3 = [r for r in bench.records if r.name == "rel_l2/convection_beta50/r3"]
    assert all(r.extra["windows"] == 2 and r.extra["steps"] == 4 for r in main_r3)  # the preset's time marching
    (target,) = [r for r in bench.records if r.name.startswith("time_to_5pct")]
    assert target.name == "time_to_5pct_not_reached/convection_beta30/ours_r3"
    assert target.extra["steps"] == 8 and target.extra["cap"] == 8 and target.extra["windows"] == 2
    curve = bench.tables["failure_modes"]
    assert [row["beta"] for row in curve] == [10.0] and all("lpinn" in row for row in curve)
    assert {p.name for p in (tmp_path / "pinn").iterdir()} == {
        "failure_modes.png", "accuracy.png", "convection_beta50_prediction.png"}
    capsys.readouterr()
    assert main(args) == 0
    again = read_bench(tmp_path / "pinn.json")
    assert all(r.extra.get("reused") for r in again.records if r.name.startswith("rel_l2"))
    # a run interrupted after its last checkpoint (no prediction.nc yet) resumes there rather than training again
    seed0 = tmp_path / "runs" / "quick" / "convection_beta50" / "r3" / "seed0"
    (seed0 / "prediction.nc").unlink()
    checkpoint = seed0 / "checkpoints" / "window1.eqx"
    written = checkpoint.stat().st_mtime_ns
    assert main(args) == 0
    (resumed,) = [r for r in read_bench(tmp_path / "pinn.json").records
                  if r.name == "rel_l2/convection_beta50/r3" and r.seed == 0]
    assert "reused" not in resumed.extra and resumed.value == pytest.approx(main_r3[0].value, rel=1e-6)
    assert resumed.extra["steps_trained"] == 8 and resumed.extra["message"]  # as a reused run's record says
    assert checkpoint.stat().st_mtime_ns == written  # nothing left to train


def test_failure_curve_names_runs_that_did_not_end_ok(tmp_path, monkeypatch):
    outcome = {"r3": (0.01, {"status": "ok"}), "lpinn": (0.5, {"status": "diverged"})}
    monkeypatch.setattr(pinn_bench, "_train_or_reuse", lambda rc, *a, **k: outcome[rc.method])
    cfg = pinn_bench.BenchPinnConfig(curve_betas=(10.0, 20.0), curve_methods=("r3", "lpinn"), curve_steps=2)
    rows = pinn_bench.failure_curve(cfg, "quick", tmp_path)
    assert rows[0] == {"beta": 10.0, "r3": 0.01, "lpinn": 0.5, "steps_per_window": 2, "status": {"lpinn": "diverged"}}
    assert pinn_bench.figures(tmp_path / "fig", {"failure_modes": rows}, tmp_path)  # the status is not a curve


def test_bench_collects_train_pinn_runs_and_lists_the_missing_ones(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(pinn_train.PRESETS["quick"], "convection",
                        dict(params={"beta": 50.0}, steps=4, n_points=32, width=6, depth=1, windows=1))
    runs = tmp_path / "elsewhere"
    assert main(["train-pinn", "--set", "method=r3", "--set", "seeds=[1]", "--out", str(runs)]) == 0
    pred = contract.open_dataset(runs / "convection" / "r3" / "seed1" / "prediction.nc")
    assert pred.attrs["machine"] and '"network"' in pred.attrs["run_config"]
    args = ["bench-pinn", "--set", "methods=r3", "--set", "seeds=[0, 1]", "--set", "measure_speed=false",
            "--set", "n_points=32", "--set", "target_cap=0",
            "--set", "sweep_problems=[]", "--set", "curve_betas=[10.0]", "--set", "curve_methods=r3", "--set", "curve_steps=2",
            "--set", f"reuse_dirs=[{str(runs)!r}]", "--set", "train_missing=false",
            "--set", f"runs_dir={tmp_path / 'runs'}", "--set", f"deepxde_python={tmp_path / 'missing'}",
            "--out", str(tmp_path)]
    assert main(args) == 0
    bench = read_bench(tmp_path / "pinn.json")
    (found,) = [r for r in bench.records if r.name == "rel_l2/convection_beta50/r3"]
    assert found.seed == 1 and found.value == pytest.approx(pred.attrs["rel_l2"])
    assert found.extra["reused"].startswith(str(runs)) and found.extra["trained_on"]["jax_backend"] == "cpu"
    assert not [r for r in bench.records if r.name.startswith(("steps_per_s", "r3_overhead", "speedup"))]
    assert "measure_speed = false" in bench.tables["notes"][0]["deepxde"]
    assert bench.tables["missing"] == [
        {"name": "rel_l2/convection_beta50/r3", "seed": 0, "steps": 4},
        {"name": "failure_modes/beta10/r3", "seed": 0, "steps": 2}]
    assert bench.tables["failure_modes"] == [{"beta": 10.0}]
    assert not (tmp_path / "runs").exists()  # nothing was trained
    assert not (tmp_path / "pinn" / "failure_modes.png").exists()
    assert "no finished run found" in capsys.readouterr().out
    # a run cut by train-pinn's time limit is not collected; finished by a rerun (which resumes it), it is
    # (two chunks of 2 steps, as the bench chunks 4 steps; seed 1's run above, in one chunk, no longer matches)
    cut = ["train-pinn", "--set", "method=r3", "--set", "seeds=[0]", "--set", "chunk=2", "--out", str(runs)]
    assert main([*cut, "--set", "time_limit_s=1e-6"]) == 0
    seed0 = runs / "convection" / "r3" / "seed0" / "prediction.nc"
    assert contract.open_dataset(seed0).attrs["status"] == "incomplete"
    assert main([*args, "--set", "steps=4"]) == 0
    assert {"name": "rel_l2/convection_beta50/r3", "seed": 0, "steps": 4} in read_bench(tmp_path / "pinn.json").tables["missing"]
    assert main(cut) == 0 and contract.open_dataset(seed0).attrs["status"] == "ok"
    assert main([*args, "--set", "steps=4"]) == 0
    collected = [r for r in read_bench(tmp_path / "pinn.json").records if r.name == "rel_l2/convection_beta50/r3"]
    assert [r.seed for r in collected] == [0] and collected[0].extra["steps_trained"] == 4
    assert not (tmp_path / "runs").exists()


def test_problem_steps_override_the_steps_of_one_problem_and_bad_entries_are_one_line():
    cfg = pinn_bench.BenchPinnConfig(steps=7, problem_steps=("burgers=15000",))
    assert (cfg.steps_of("burgers"), cfg.steps_of("allen_cahn")) == (15000, 7)
    for bad in ("burger=10", "burgers", "burgers=0", "burgers=x"):
        with pytest.raises(ValueError, match=r"problem_steps entry .* must be <problem>=<steps >= 1>"):
            pinn_bench.BenchPinnConfig(problem_steps=(bad,))


def test_presets_time_marching_skips_the_lpinn_and_full_convection_follows_the_r3_code():
    quick = {m: pinn_train.run_config(pinn_train.TrainPinnConfig(method=m), "quick", 0) for m in ("r3", "lpinn")}
    assert quick["r3"].windows == 5 and quick["lpinn"].windows == 1
    assert pinn_train.run_config(pinn_train.TrainPinnConfig(method="lpinn", windows=3), "quick", 0).windows == 3
    full = pinn_train.run_config(pinn_train.TrainPinnConfig(method="r3"), "full", 0)
    assert (full.train.steps, full.train.lr, full.train.decay_rate, full.train.decay_steps, full.train.staircase) == (
        300_000, 1e-3, 0.9, 5000, True)
    assert (full.sampler.n_points, full.loss.n_ic, full.loss.n_bc, full.windows) == (1000, 512, 251, 1)
    assert (full.network.width, full.network.depth, full.network.activation) == (50, 4, "tanh")
    # a variant's own preset (the travelling Burgers front: periodic inputs) before the problem's
    front, raissi = (pinn_train.run_config(pinn_train.TrainPinnConfig(problem="burgers", variant=v), "full", 0)
                     for v in ("travelling", "default"))
    assert (front.network.periodic_harmonics, raissi.network.periodic_harmonics) == (1, 0)
    assert front.train.steps == raissi.train.steps == 40_000


def test_deepxde_script_runs_both_modes_with_our_point_counts():
    """The DeepXDE side of the benchmark (skipped without ``.venv-bench``): both modes print
    their JSON; the target mode stops at the cap when the target cannot be met."""
    import json
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    python = root / ".venv-bench" / "bin" / "python"
    if not python.exists():
        pytest.skip("no .venv-bench (scripts/bench_env.sh)")
    script = str(root / pinn_bench.DEEPXDE_SCRIPT)
    common = ["--points", "64", "--n-ic", "8", "--n-bc", "8", "--threads", "1"]
    out = subprocess.run([str(python), script, "target", "--cap", "4", "--every", "2", "--target", "0", *common],
                         capture_output=True, text=True, timeout=300, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["reached"] is False and result["steps"] == 4 and result["threads"] == 1
    assert 0 < result["final_rel_l2"] < 10
    out = subprocess.run([str(python), script, "speed", "--steps", "4", "--blocks", "2", *common],
                         capture_output=True, text=True, timeout=300, check=True)
    assert len(json.loads(out.stdout.strip().splitlines()[-1])["block_rates"]) == 2
    bad = subprocess.run([str(python), script, "speed", "--points", "10"], capture_output=True, text=True, timeout=300)
    assert bad.returncode != 0 and "--points=10" in bad.stderr


def test_one_core_speed_run_times_our_trainer_in_a_process_on_one_cpu():
    from pathlib import Path

    cfg = pinn_bench.BenchPinnConfig(speed_steps=4, speed_rounds=2, n_points=16, n_ic=4, n_bc=4)
    rates, note = pinn_bench.one_core_rates(cfg, Path(pinn_bench.__file__).resolve().parents[2])
    if "not available" in note:
        pytest.skip(note)
    assert note.startswith("one-core run on CPU") and len(rates) == 2 and min(rates) > 0
