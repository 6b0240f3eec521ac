"""Stage data-l96: contract-valid train/test/eval files, deterministic per data set, bad input."""

import numpy as np
import pytest

from pipelines import contract, registry
from pipelines.cli import main
from pipelines.stages import l96_data

registry.register(l96_data.STAGE)  # idempotent; the lead adds it to pipelines/stages/__init__.py

TINY = ["--set", "train_members=2", "--set", "train_duration=0.2", "--set", "test_members=1",
        "--set", "test_duration=0.1", "--set", "eval_K=[12]", "--set", "eval_members=1",
        "--set", "eval_duration=0.1", "--set", "spinup=0.2", "--set", "K=8"]


def test_writes_contract_valid_sets(tmp_path):
    assert main(["data-l96", *TINY, "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.glob("*.nc")) == ["eval-K12.nc", "test.nc", "train.nc"]
    dims = {v: ("member", "time", "k") for v in ("X", "U", "closure_target")}
    train = contract.open_dataset(tmp_path / "train.nc", dims=dims)
    assert train.sizes == {"member": 2, "time": 20, "k": 8}
    assert train.attrs["generator"] == "pipelines data-l96" and train.attrs["param_J"] == 10
    assert train.X.dtype == np.float32 and np.isfinite(train.closure_target).all()
    assert contract.open_dataset(tmp_path / "eval-K12.nc").sizes["k"] == 12
    # the same seed gives the same data set, whichever other sets are made
    again = tmp_path / "again"
    assert main(["data-l96", *TINY, "--set", "eval_K=[]", "--out", str(again)]) == 0
    np.testing.assert_array_equal(contract.open_dataset(again / "train.nc").X, train.X)


@pytest.mark.parametrize("override, words", [
    ("parameter_set=lorenz63", ["lorenz63", "lorenz1996"]),
    ("eval_K=[2]", ["eval_K", "2"]),
])
def test_bad_config_is_one_line(override, words, capsys, tmp_path):
    assert main(["data-l96", "--set", override, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert all(w in err for w in words) and "\n" not in err
