"""Stage bench-dsr end to end at toy sizes (no reservoirpy), and its one-line config errors."""

import json

import pytest

from pipelines._hints import MissingDataError
from pipelines.bench import read_bench
from pipelines.registry import StageContext
from pipelines.stages import dsr_bench as stage

TINY = dict(lorenz_train=400, lorenz_forecast=60, lorenz_ics=1, esn_units=60, mg_train=300, mg_test=120, mg_horizon=10,
            mg_esn_units=(30,), mg_qubits=(2,), compare_reservoirpy=False, sweep_esn_units=40,
            plrnn_methods=("agtf", "bptt"), plrnn_seeds=(0, 1), plrnn_epochs=2, plrnn_points=1500, eval_points=600,
            other_systems=("Lorenz96",), sweep_plrnn_epochs=2, sweep_plrnn_hidden=8)


def test_stage_writes_every_record_kind(tmp_path, tiny_chaos_database):
    tiny_chaos_database(tmp_path)
    ctx = StageContext(profile="quick", scheduler=None, out=None, repo_root=tmp_path)
    stage.run(stage.BenchDSRConfig(**TINY), ctx)
    bench = read_bench(tmp_path / "reports/bench/dsr.json")
    names = {r.name for r in bench.records}
    for name in ("vpt/Lorenz/esn", "vpt/Lorenz/ngrc", "nrmse/Lorenz/ngrc_gauthier_recipe",
                 "nrmse/MackeyGlass_h10/esn_N30", "nrmse/MackeyGlass_h10/qrc_q2", "d_stsp/Lorenz/shplrnn-agtf",
                 "d_h/Lorenz/shplrnn-bptt", "plrnn_steps_per_s/agtf", "seeds_meeting_target/Lorenz/shplrnn-agtf",
                 "d_stsp/Lorenz96/shplrnn-agtf", "smape_median/esn", "smape_median/ngrc",
                 "d_h_median/sweep/shplrnn-agtf"):
        assert name in names, name
    # every model of the reconstruction comparison has a row (a run that diverged says so instead of a score)
    rows = {(r["system"], r["model"]): r for r in bench.tables["reconstruction"]}
    for key in (("Lorenz96", "esn"), ("Lorenz96", "ngrc"), ("Lorenz96", "shplrnn-agtf"), ("Lorenz", "shplrnn-bptt")):
        row = rows[key]
        assert row["status"] == "diverged" or row["d_h"] is not None, row
    sweep = bench.tables["sweep_reconstruction"]
    assert [(r["system"], r["model"]) for r in sweep] == [("Lorenz", "shplrnn-agtf")] and sweep[0]["d_h"] is not None
    seeds = sorted(r.seed for r in bench.records if r.name == "d_stsp/Lorenz/shplrnn-agtf")
    assert seeds == [0, 1]
    # a run shorter than train-dsr's says so where its goal is shown
    agtf = next(r for r in bench.records if r.name == "d_stsp/Lorenz/shplrnn-agtf")
    assert "shortened run: 2 of the 1600 epochs" in agtf.reference["source"]
    # NG-RC on Gauthier's own recipe is a real reproduction: within its tolerance of the paper's 2.1e-3
    gauthier = next(r for r in bench.records if r.name == "nrmse/Lorenz/ngrc_gauthier_recipe")
    assert gauthier.goal_met
    rows = bench.tables["sweep"]
    assert [r["system"] for r in rows] == ["Lorenz"] and 0 <= rows[0]["ngrc_smape"] <= 200
    assert (tmp_path / "reports/bench/dsr/sweep_smape.png").stat().st_size > 0


def test_errors(tmp_path):
    ctx = StageContext(profile="quick", scheduler=None, out=None, repo_root=tmp_path)
    with pytest.raises(MissingDataError, match="make data-chaos"):
        stage.run(stage.BenchDSRConfig(**TINY), ctx)
    with pytest.raises(ValueError, match="plrnn_methods .'gtf2'. unknown"):
        stage.BenchDSRConfig(plrnn_methods=("gtf2",))
    with pytest.raises(ValueError, match="sweep_models"):
        stage.BenchDSRConfig(sweep_models=("lstm",))
    with pytest.raises(ValueError, match="Lorentz"):
        stage.BenchDSRConfig(sweep_systems=("Lorentz",))
    assert json.dumps(stage.DYSTS_MEDIAN_SMAPE)
