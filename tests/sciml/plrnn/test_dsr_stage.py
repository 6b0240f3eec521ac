"""Stage train-dsr (pipelines/stages/dsr_train.py): both profiles load, bad values are one-line errors, a tiny run
writes its files."""

import json

import pytest

from pipelines import contract, registry
from pipelines.config import ConfigError, load_config
from pipelines.registry import StageContext
from pipelines.stages import dsr_train


@pytest.mark.parametrize("profile", ["quick", "full"])
def test_profiles_load_and_map_to_fit_configs(profile):
    for method in dsr_train.METHODS:
        cfg = load_config(dsr_train.TrainDsrConfig, "train-dsr", profile, [f"method={method}", "system=Lorenz"])
        fcfg = dsr_train.fit_config(cfg)
        assert fcfg.latent == 3 and fcfg.seq_len == cfg.seq_len
    full = load_config(dsr_train.TrainDsrConfig, "train-dsr", "full", [])
    fcfg = dsr_train.fit_config(full)
    assert (fcfg.hidden, fcfg.seq_len, fcfg.batch_size, fcfg.epochs, fcfg.batches_per_epoch) == (100, 200, 16, 5000, 50)
    assert (fcfg.lr, fcfg.lr_end, fcfg.forcing.decay, fcfg.forcing.every) == (1e-3, 1e-6, 0.999, 5)


def test_bad_values_are_one_line_errors():
    with pytest.raises(ConfigError, match="method"):
        load_config(dsr_train.TrainDsrConfig, "train-dsr", "quick", ["method=tbptt"])
    with pytest.raises(ConfigError, match="Lorenz63"):
        load_config(dsr_train.TrainDsrConfig, "train-dsr", "quick", ["system=Lorenz63"])
    with pytest.raises(ConfigError, match="n_points=100 is too short for seq_len=200"):
        load_config(dsr_train.TrainDsrConfig, "train-dsr", "full", ["n_points=100"])


def test_tiny_run_writes_files(tmp_path):
    registry.register(dsr_train.STAGE)
    cfg = dsr_train.TrainDsrConfig(method="gtf", seeds=(0,), n_points=800, hidden=8, seq_len=10, batch_size=4, epochs=2,
                                   batches_per_epoch=5, lyapunov_steps=200, checkpoint_every=1)
    ctx = StageContext(profile="quick", scheduler=None, out=tmp_path, repo_root=tmp_path)
    dsr_train.run(cfg, ctx)
    run = tmp_path / "Lorenz" / "shplrnn-gtf" / "seed0"
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["method"] == "gtf" and metrics["fit_config"]["forcing"] == {"kind": "gtf", "alpha": 0.1}
    assert metrics["status"] in ("ok",) or metrics["status"].startswith("generation diverged")
    assert (run / "checkpoint.eqx").is_file()
    history = contract.open_dataset(run / "history.nc")
    assert history.sizes["epoch"] == 2
    generated = contract.open_dataset(run / "generated.nc")
    assert generated["x_test"].shape == (800, 3) and generated["x_generated"].shape == (800, 3)
    bench = json.loads((tmp_path / "dsr-Lorenz-shplrnn-gtf.json").read_text())
    assert bench["tables"]["seeds"][0]["seed"] == 0
