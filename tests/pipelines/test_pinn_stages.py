"""Stages train-pinn and bench-pinn: tiny runs of every method write contract-valid prediction and
history files; config errors are one line before anything compiles; the bench writes its records
and reuses unchanged runs."""

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
    assert main(["train-pinn", "--set", f"problem={problem}", "--set", f"method={method}", *TINY, *extra,
                 "--out", str(tmp_path)]) == 0
    run = tmp_path / problem / method / "seed0"
    pred = contract.open_dataset(run / "prediction.nc", dims={"u": ("t", "x"), "error": ("t", "x")})
    hist = contract.open_dataset(run / "history.nc", dims={"loss": ("step",)})
    assert pred.sizes == {"t": 5, "x": 16} and hist.sizes["step"] == 4
    assert pred.attrs["method"] == method and pred.attrs["rel_l2"] > 0
    assert "rel L2" in capsys.readouterr().out


def test_time_marching_windows_and_resume(tmp_path, capsys):
    args = ["train-pinn", "--set", "problem=ks", "--set", "method=causal", "--set", "windows=2", "--set",
            "fourier_features=0", "--set", "rwf=false", "--set", "body=mlp", *TINY, "--out", str(tmp_path)]
    assert main(args) == 0
    hist = contract.open_dataset(tmp_path / "ks" / "causal" / "seed0" / "history.nc")
    assert list(hist.window.values) == [0] * 4 + [1] * 4
    capsys.readouterr()
    assert main(args) == 0
    assert capsys.readouterr().out.count("resumed from") == 2


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
                        dict(params={"beta": 50.0}, steps=4, n_points=32, width=6, depth=1, chunk=2))
    args = ["bench-pinn", "--set", "methods=pinn,r3", "--set", "seeds=[0, 1]", "--set", "speed_methods=pinn,r3",
            "--set", "speed_steps=4", "--set", "n_points=32", "--set", f"runs_dir={tmp_path / 'runs'}",
            "--set", f"deepxde_python={tmp_path / 'missing'}", "--out", str(tmp_path)]
    assert main(args) == 0
    bench = read_bench(tmp_path / "pinn.json")
    names = [r.name for r in bench.records]
    assert names.count("rel_l2/convection_beta50/r3") == 2 and "r3_overhead" in names
    assert {"steps_per_s/pinn", "steps_per_s/r3"} <= set(names) and "speedup_vs_deepxde" not in names
    assert "DeepXDE not measured" in bench.tables["notes"][0]["deepxde"]
    capsys.readouterr()
    assert main(args) == 0
    again = read_bench(tmp_path / "pinn.json")
    assert all(r.extra.get("reused") for r in again.records if r.name.startswith("rel_l2"))
