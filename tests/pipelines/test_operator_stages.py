"""Stage train-operator: end to end on tiny data sets, resume, and clear errors before training."""

import json

import numpy as np
import pytest

from pdes import operator_data
from pipelines import contract
from pipelines.cli import main


@pytest.fixture(scope="module")
def burgers_data(tmp_path_factory):
    root = tmp_path_factory.mktemp("repo")
    options = {k: v for k, v in operator_data.SETS["burgers"]["quick"].items() if k not in ("samples", "chunk")}
    options.update(nx=256, subsample=4)
    ds = operator_data.get("burgers")(12, 0, **options)
    path = root / "data" / "pdes" / "burgers" / "chunk_000000.nc"
    contract.write_netcdf(contract.with_provenance(ds, generator="test", config={}, seed=0), path)
    return root


def run(root, *settings, out):
    args = ["train-operator", "--out", str(out), "--set", f"data_dir={root / 'data' / 'pdes'}"]
    for s in settings:
        args += ["--set", s]
    return main(args)


def test_fno_on_burgers_trains_writes_metrics_and_resumes(burgers_data, tmp_path, capsys):
    settings = ("model=fno", "data=burgers", "n_train=8", "n_test=4", "epochs=4", "batch_size=4", "width=8",
                "modes=4", "n_layers=2", "train_subsample=2")
    assert run(burgers_data, *settings, out=tmp_path) == 0
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["epochs"] == 4 and 0 < metrics["rel_l2_test"] < 1.5
    assert metrics["train_resolution"] == [32] and metrics["test_resolution"] == [64]
    history = contract.open_dataset(tmp_path / "history.nc")
    assert history.sizes["epoch"] == 4 and np.all(np.isfinite(history.train_loss.values))
    assert (tmp_path / "checkpoint.eqx").exists()
    # resume to more epochs: only the new ones run
    assert run(burgers_data, *settings[:4], "epochs=6", *settings[5:], out=tmp_path) == 0
    assert json.loads((tmp_path / "metrics.json").read_text())["epochs"] == 6


def test_subsample_thins_train_and_test_grids(burgers_data, tmp_path):
    from sciml.operators.checkpoint import read_header

    assert run(burgers_data, "model=fno", "data=burgers", "n_train=8", "n_test=4", "epochs=1", "batch_size=4",
               "width=8", "modes=4", "n_layers=2", "subsample=2", "weight_decay_mode=coupled", out=tmp_path) == 0
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["setup"]["grid"] == [32] and metrics["config"]["subsample"] == 2  # 64 points, every 2nd
    # the optimiser setting reaches the trainer (its checkpoint records the TrainConfig it ran)
    assert read_header(tmp_path / "checkpoint.eqx")["meta"]["config"]["weight_decay_mode"] == "coupled"


def test_the_plateau_schedule_reaches_the_trainer(burgers_data, tmp_path, capsys):
    from sciml.operators.checkpoint import read_header

    assert run(burgers_data, "model=fno", "data=burgers", "n_train=8", "n_test=4", "epochs=2", "batch_size=4",
               "width=8", "modes=4", "n_layers=2", "lr_schedule=plateau", "gamma=0.1", out=tmp_path) == 0
    # patience 0 in the config: the NUNO code's epochs // 20, at least 1
    stored = read_header(tmp_path / "checkpoint.eqx")["meta"]["config"]["schedule"]
    assert stored == {"kind": "plateau", "patience": 1, "factor": 0.1, "rtol": 1e-4}
    assert json.loads((tmp_path / "metrics.json").read_text())["config"]["patience"] == 1
    # more epochs move that patience: another schedule, so the checkpoint is not continued
    capsys.readouterr()
    assert run(burgers_data, "model=fno", "data=burgers", "n_train=8", "n_test=4", "epochs=40", "batch_size=4",
               "width=8", "modes=4", "n_layers=2", "lr_schedule=plateau", "gamma=0.1", out=tmp_path) == 0
    assert "patience (was 1, now 2); training from scratch" in capsys.readouterr().out


def test_too_few_samples_names_the_make_command(burgers_data, tmp_path, capsys):
    assert run(burgers_data, "model=fno", "data=burgers", "n_train=100", "n_test=10", out=tmp_path) == 1
    err = capsys.readouterr().err.strip()
    assert "12 samples" in err and "make data-pdes" in err and "\n" not in err


@pytest.mark.parametrize("settings, expected", [
    (("model=fno", "data=elasticity"), "'fno' runs on grids"),
    (("model=nuno", "data=burgers"), "runs on point clouds"),
    (("model=fnoo",), "fnoo"),
    (("model=nuno", "data=heat_sink", "subsample=2"), "subsample=2 thins grids"),
    (("model=fno_interp", "data=darcy", "train_subsample=5"), "train_subsample=5 trains a grid model coarse"),
    (("model=fno", "data=burgers", "lr_schedule=plateau", "gamma=1.0"), "gamma=1.0 is the plateau schedule's"),
    (("model=fno", "data=burgers", "lr_schedule=cosine"), "'lr_schedule' must be one of"),
    (("model=fno", "data=burgers", "grid_shape=[16]"), "grid_shape=[16] sets a point model's interpolation grid"),
    (("model=nuno", "data=elasticity", "grid_shape=[1,8]"), "'grid_shape' must be >= 2, got 1"),
    (("model=fno", "data=burgers", "deeponet_width=256"), "deeponet_width=256 sizes the DeepONet"),
])
def test_bad_combinations_are_one_line(burgers_data, tmp_path, capsys, settings, expected):
    assert run(burgers_data, *settings, out=tmp_path) == 2
    err = capsys.readouterr().err.strip()
    assert expected in err and "\n" not in err


def test_a_checkpoint_made_with_other_settings_is_not_resumed(burgers_data, tmp_path, capsys):
    settings = ("model=fno", "data=burgers", "n_train=8", "n_test=4", "epochs=2", "batch_size=4", "width=8",
                "modes=4", "n_layers=2")
    assert run(burgers_data, *settings, out=tmp_path) == 0
    assert json.loads((tmp_path / "run_key.json").read_text())["config"]["width"] == 8
    capsys.readouterr()
    # other settings (here the modes): trained from scratch, not resumed from weights of another model
    assert run(burgers_data, *settings[:-2], "modes=5", "n_layers=2", "epochs=3", out=tmp_path) == 0
    out = capsys.readouterr().out
    assert "made with different modes (was 4, now 5); training from scratch" in out
    history = contract.open_dataset(tmp_path / "history.nc")
    assert history.sizes["epoch"] == 3  # all three epochs trained in this call


def test_settings_differ_counts_a_setting_missing_from_an_old_run_at_its_default():
    from pipelines.config import config_to_dict
    from pipelines.stages.operator_train import TrainOperatorConfig, settings_differ

    cfg = TrainOperatorConfig(modes=5)
    stored = {k: v for k, v in json.loads(json.dumps(config_to_dict(cfg))).items() if k != "subsample"}  # a run made before subsample existed
    assert settings_differ(stored, cfg) == {}
    assert settings_differ(stored, TrainOperatorConfig(modes=5, subsample=2)) == {"subsample": (1, 2)}
    assert settings_differ({**stored, "modes": 4}, cfg) == {"modes": (4, 5)}
    assert settings_differ({**stored, "epochs": 3}, cfg) == {}  # epochs may change on resume
    assert settings_differ({**stored, "gone": 1}, cfg) == {"gone": (1, None)}


def test_a_checkpoint_from_before_a_setting_existed_is_resumed(burgers_data, tmp_path, capsys):
    settings = ("model=fno", "data=burgers", "n_train=8", "n_test=4", "epochs=2", "batch_size=4", "width=8",
                "modes=4", "n_layers=2")
    assert run(burgers_data, *settings, out=tmp_path) == 0
    key = json.loads((tmp_path / "run_key.json").read_text())
    del key["config"]["subsample"]  # as a run made before subsample was a setting wrote it
    (tmp_path / "run_key.json").write_text(json.dumps(key))
    capsys.readouterr()
    assert run(burgers_data, *settings[:4], "epochs=3", *settings[5:], out=tmp_path) == 0
    assert "training from scratch" not in capsys.readouterr().out
    assert json.loads((tmp_path / "metrics.json").read_text())["epochs"] == 3


def test_a_run_of_an_older_network_revision_is_neither_resumed_nor_reused(burgers_data, tmp_path, capsys,
                                                                           monkeypatch):
    from pipelines.stages import operator_bench, operator_train

    settings = ("model=fno", "data=burgers", "n_train=8", "n_test=4", "epochs=2", "batch_size=4", "width=8",
                "modes=4", "n_layers=2")
    assert run(burgers_data, *settings, out=tmp_path) == 0
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["model_revision"] == 1
    cfg = operator_train.TrainOperatorConfig(**{k: v for k, v in metrics["config"].items()
                                                if k in operator_train.TrainOperatorConfig.__dataclass_fields__})
    assert operator_bench._finished_run(tmp_path, cfg, metrics["data_key"]) is not None
    monkeypatch.setitem(operator_train.MODEL_REVISIONS, "fno", 2)  # as if the FNO's network had changed
    assert operator_bench._finished_run(tmp_path, cfg, metrics["data_key"]) is None
    capsys.readouterr()
    assert run(burgers_data, *settings[:4], "epochs=3", *settings[5:], out=tmp_path) == 0
    assert "made with different network (revision 1, now 2); training from scratch" in capsys.readouterr().out
    assert contract.open_dataset(tmp_path / "history.nc").sizes["epoch"] == 3
    assert json.loads((tmp_path / "metrics.json").read_text())["model_revision"] == 2


def test_a_density_on_grid_data_is_one_line(burgers_data, tmp_path, capsys):
    assert run(burgers_data, "model=fno", "data=burgers", "density_bandwidth=0.05", out=tmp_path) == 2
    err = capsys.readouterr().err.strip()
    assert "density_bandwidth=0.05" in err and "reads grids" in err and "\n" not in err


def test_dropout_on_a_model_without_it_is_one_line(burgers_data, tmp_path, capsys):
    assert run(burgers_data, "model=fno", "data=burgers", "dropout=0.1", out=tmp_path) == 2
    err = capsys.readouterr().err.strip()
    assert "dropout=0.1" in err and "nuno_fourier only" in err and "\n" not in err


def test_deeponet_sizes_reach_the_network(burgers_data, tmp_path):
    assert run(burgers_data, "model=deeponet", "data=burgers", "n_train=8", "n_test=4", "epochs=1", "batch_size=4",
               "deeponet_width=16", "deeponet_depth=2", "deeponet_basis=8", out=tmp_path) == 0
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    n = 64  # sensors: Burgers' 256 points thinned to 64 by the fixture
    # branch n -> 16 -> 16 -> 8, trunk 1 -> 16 -> 16 -> 8, one output bias (weights and biases)
    branch = n * 16 + 16 + 16 * 16 + 16 + 16 * 8 + 8
    trunk = 1 * 16 + 16 + 16 * 16 + 16 + 16 * 8 + 8
    kept = n + 4  # with the model: its n trunk coordinates and the input / output mean and std
    assert metrics["n_parameters"] == branch + trunk + 1 + kept
