"""scripts/pack_points.py: a point-cloud set packed for another machine loads to the same samples
and the same data key."""

import importlib.util
import tarfile
from pathlib import Path

import numpy as np
import pytest

from pdes.fenics.datasets import node_dataset
from pipelines import contract
from pipelines.stages.operator_train import data_key
from sciml.operators import data

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "pack_points.py"


def load_script():
    spec = importlib.util.spec_from_file_location("pack_points", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def darcy_sample(i):
    rng = np.random.default_rng(i)
    xy = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]) + 0.01 * rng.random((4, 2))
    ds = node_dataset(xy, np.array([[0, 1, 2], [1, 3, 2]]),
                      {"a": (rng.random(4), "1", "a"), "u": (rng.random(4), "1", "u"),
                       "extra": (rng.random(4), "1", "not read by the point models")}, {})
    return contract.with_provenance(ds.assign_attrs(piece_key=f"key {i}"), generator="test", config={}, seed=i)


def test_packed_set_loads_to_the_same_samples_and_data_key(tmp_path):
    src = tmp_path / "src"
    for i in range(3):
        contract.write_netcdf(darcy_sample(i), src / "darcy" / f"sample_{i:05d}.nc")
    tarball = tmp_path / "carry" / "darcy.tgz"
    assert load_script().pack("darcy", src, tarball, samples=2) == 2
    with tarfile.open(tarball) as tar:
        assert sorted(tar.getnames()) == ["darcy/sample_00000.nc", "darcy/sample_00001.nc"]
        tar.extractall(tmp_path / "dst", filter="data")
    whole = [contract.open_dataset(src / "darcy" / f"sample_{i:05d}.nc") for i in range(2)]
    slim = [contract.open_dataset(tmp_path / "dst" / "darcy" / f"sample_{i:05d}.nc") for i in range(2)]
    assert set(slim[0].data_vars) == {"cells", "a", "u"} and slim[0].cells.dtype == whole[0].cells.dtype
    assert data_key(slim) == data_key(whole)
    a, b = data.point_samples("darcy", whole), data.point_samples("darcy", slim)
    for field in ("points", "mask", "x", "y"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))


def test_too_few_samples_is_a_clear_error(tmp_path):
    contract.write_netcdf(darcy_sample(0), tmp_path / "darcy" / "sample_00000.nc")
    with pytest.raises(SystemExit, match="1 samples .* 5 asked for"):
        load_script().pack("darcy", tmp_path, tmp_path / "x.tgz", samples=5)
    assert not (tmp_path / "x.tgz").exists()
