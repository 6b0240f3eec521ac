"""The train-closure, eval-closure and bench-l96 stages on a tiny Lorenz 96 data set (K = 16)."""

import dataclasses
import json

import jax
import pytest

from chaos.lorenz96 import make_dataset, parameter_set
from pipelines import contract
from pipelines.config import load_config
from pipelines.registry import StageContext
from pipelines.stages import closure_eval, closure_train, l96_bench
from sciml.closures import ClosureMismatchError


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    root = tmp_path_factory.mktemp("repo")
    folder = root / "data" / "l96" / "quick"
    for name, k, members in (("train", 16, 2), ("test", 16, 1), ("eval-K32", 32, 1)):
        ds = make_dataset(parameter_set("lorenz1996", K=k), key=jax.random.PRNGKey(len(name)), n_members=members,
                          duration=1.0, spinup=1.0, name="lorenz1996")
        ds = contract.with_provenance(ds, generator="test", config={}, seed=0)
        contract.write_netcdf(ds, folder / f"{name}.nc")
    return StageContext(profile="quick", scheduler=None, out=None, repo_root=root)


@pytest.fixture(scope="module")
def eval_cfg():
    return closure_eval.EvalClosureConfig(closures=("null", "poly", "mno"), leads=(0.1, 0.2), n_starts=2,
                                          long_duration=1.0, long_save_every=5, max_lag=0.2, sizes=(32,))


def test_train_eval_and_records(ctx, eval_cfg):
    cfg = load_config(closure_train.TrainClosureConfig, "train-closure", "quick", ["model=mno"])
    metrics = closure_train.run(cfg, ctx)
    run = ctx.repo_root / "runs" / "closures" / "mno-quick"
    assert (run / "closure.eqx").is_file() and json.loads((run / "metrics.json").read_text())["K"] == 16
    assert metrics["final_train_loss"] < metrics["config"]["epochs"]  # finite, recorded
    results = closure_eval.run(eval_cfg, ctx)  # null and poly are trained on the fly (train_missing)
    scores = json.loads((ctx.repo_root / "runs" / "closures" / "eval-quick" / "scores.json").read_text())
    assert set(scores["closures"]) == {"null", "poly", "mno"}
    assert results["ideal"]["rmse"][0.1] < 1e-5  # stored in float64 here, so only the scheme's rounding
    records = {r.name: r for r in l96_bench._records_from_scores(results, "quick")}
    for name in ("null", "poly", "mno"):
        for key in ("offline_rmse", "offline_r2", "online_hellinger"):
            assert f"{key}/{name}" in records
        assert f"forecast_rmse/{name}/lead=0.1" in records and f"online_hellinger/{name}/K=32" in records
    assert records["offline_r2/poly"].value > records["offline_r2/null"].value


def test_eval_refuses_a_closure_from_another_config(ctx, eval_cfg):
    cfg = load_config(closure_train.TrainClosureConfig, "train-closure", "quick", ["model=poly", "degree=2"])
    closure_train.train(cfg, ctx)
    with pytest.raises(ClosureMismatchError, match="degree: stored 2, expected 3"):
        closure_eval.evaluate(dataclasses.replace(eval_cfg, closures=("poly",)), ctx)


def test_cost_benchmark_and_figures(ctx, eval_cfg, tmp_path):
    model, meta = closure_eval.load_trained("mno", dataclasses.replace(eval_cfg, closures=("mno",)), ctx)
    cfg = l96_bench.BenchL96Config(Ks=(16, 32), full_max_values=2e4, coarse_max_steps=5, repeats=1)
    records, rows = l96_bench.cost_benchmark(cfg, model, meta, "quick")
    names = {r.name for r in records}
    assert {"speedup/K=16", "speedup/K=32", "speedup_J10/K=32"} <= names
    scaled = [r for r in records if r.name == "speedup/K=32"][0]
    assert scaled.extra["scaled"] and scaled.extra["full_steps_timed"] < scaled.extra["full_steps_per_mtu"]
    paths = l96_bench.figures(tmp_path, None, rows)
    assert [p.name for p in paths] == ["cost.png"] and paths[0].stat().st_size > 1000
    with pytest.raises(ValueError, match="K=8"):
        l96_bench.cost_benchmark(dataclasses.replace(cfg, Ks=(8,)), model, meta, "quick")


def test_cost_benchmark_skips_a_full_model_that_does_not_fit(ctx, eval_cfg, tmp_path, monkeypatch):
    from sciml.closures import cost

    model, meta = closure_eval.load_trained("mno", dataclasses.replace(eval_cfg, closures=("mno",)), ctx)
    # memory for K = J = 16 and for J = 10 at K = 32, not for K = J = 32
    monkeypatch.setattr(cost, "available_memory_bytes", lambda: cost.two_level_bytes(32, 31))
    cfg = l96_bench.BenchL96Config(Ks=(16, 32), full_max_values=2e4, coarse_max_steps=5, repeats=1)
    records, rows = l96_bench.cost_benchmark(cfg, model, meta, "quick")
    names = {r.name for r in records}
    assert {"speedup/K=16", "speedup_J10/K=32", "cost_s_per_mtu/mno/K=32"} <= names
    assert "speedup/K=32" not in names
    assert rows[1]["speedup_J=K"].startswith("not measured: the two-level model at K=32, J=32 needs about")
    assert isinstance(rows[1]["speedup_J=10"], float)
    assert [p.name for p in l96_bench.figures(tmp_path, None, rows)] == ["cost.png"]
    with pytest.raises(cost.TooLargeForMemory, match="K=64, J=64"):
        cost.time_two_level(dataclasses.replace(parameter_set("lorenz1996"), K=64, J=64), max_steps=1)
