"""The chaos stages end to end through the CLI, on two systems and tiny sizes."""

import json

import numpy as np
import pytest
import xarray as xr

from pipelines import contract
from pipelines.bench import read_bench
from pipelines.cli import main

TINY = ["--set", "systems=Lorenz,MackeyGlass", "--set", "n_ics=2", "--set", "n_periods=1",
        "--set", "pts_per_period=20", "--set", "burn_in_periods=1"]


def _data(tmp_path, name, *extra):
    out = tmp_path / f"{name}.nc"
    assert main(["data-chaos", *TINY, *extra, "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def local_db(tmp_path_factory):
    return _data(tmp_path_factory.mktemp("local"), "db", "--set", "executor=local")


def test_database_follows_the_contract(local_db):
    tree = contract.open_datatree(local_db, dims={"x": ("ic", "time", "dim")})
    assert set(tree.children) == {"Lorenz", "MackeyGlass"}
    assert tree["Lorenz"].ds.x.shape == (2, 20, 3)
    assert tree["MackeyGlass"].ds.x.shape == (2, 20, 10)
    config = json.loads(tree.attrs["config"])
    assert config["n_ics"] == 2 and tree.attrs["seed"] == 0
    assert tree["Lorenz"].attrs["period"] == pytest.approx(1.5008)


def test_dask_cluster_gives_the_same_data_bit_for_bit(local_db, tmp_path):
    on_dask = _data(tmp_path, "dask", "--set", "executor=dask", "--set", "workers=2")
    a, b = xr.open_datatree(local_db, engine="h5netcdf"), xr.open_datatree(on_dask, engine="h5netcdf")
    for name in ("Lorenz", "MackeyGlass"):
        for var in ("x", "x0", "valid"):
            np.testing.assert_array_equal(a[name].ds[var].values, b[name].ds[var].values)


def test_resume_skips_finished_systems(local_db, capsys):
    part = local_db.with_suffix(".parts") / "Lorenz.nc"
    before = part.stat().st_mtime_ns
    assert main(["data-chaos", *TINY, "--set", "executor=local", "--out", str(local_db)]) == 0
    assert "resuming: 2 of 2 systems already done" in capsys.readouterr().out
    assert part.stat().st_mtime_ns == before
    # a changed spec is not "done": the part is made again
    assert main(["data-chaos", *TINY, "--set", "executor=local", "--set", "seed=5", "--out", str(local_db)]) == 0
    assert part.stat().st_mtime_ns != before


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("systems=Lorenz,Rosler", "unknown system 'Rosler'; did you mean Rossler"),
        ("n_ics=0", "'n_ics' must be >= 1, got 0"),
        ("timescale=Fourrier", "'timescale'"),
    ],
)
def test_bad_input_is_one_line_before_any_work(override, message, tmp_path, capsys):
    assert main(["data-chaos", "--set", override, "--out", str(tmp_path / "x.nc")]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err
    assert not (tmp_path / "x.nc").exists() and not (tmp_path / "x.parts").exists()


def test_bench_writes_the_contracted_records(tmp_path):
    args = ["bench-chaos", "--set", "systems=Lorenz", "--set", "batch=4", "--set", "n_points=50",
            "--set", "repeats=1", "--set", "verify_all=false", "--out", str(tmp_path)]
    assert main(args) == 0
    bench = read_bench(tmp_path / "chaos.json")
    names = {r.name for r in bench.records}
    assert {"speedup_matched", "speedup_default", "ours_matched_pts_per_s", "compile_s"} <= names
    row = bench.tables["per_system"][0]
    assert row["system"] == "Lorenz" and row["ours_default_err_lyap"] < 1e-6
    assert row["dysts_default_method"] == "Radau"
