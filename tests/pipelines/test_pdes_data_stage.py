"""Stage data-pdes: per-sample files on a Dask LocalCluster, resume, recorded failures, clear errors."""

import json

import numpy as np
import pytest
import xarray as xr

from pdes.fenics import datasets, runner
from pipelines import contract
from pipelines.cli import main

needs_fenics = pytest.mark.skipif(not runner.available(), reason="DOLFINx not installed (make setup installs it)")


@needs_fenics
def test_dask_sweep_writes_each_sample_resumes_and_matches_in_process(tmp_path, capsys):
    dask_dir, local_dir = tmp_path / "dask", tmp_path / "local"
    args = ["data-pdes", "--set", "datasets=darcy", "--set", "samples=2"]
    assert main(args + ["--set", "executor=dask", "--set", "workers=2", "--out", str(dask_dir)]) == 0
    assert main(args + ["--set", "executor=local", "--out", str(local_dir)]) == 0
    for i in range(2):
        a = contract.open_dataset(dask_dir / "darcy" / f"sample_{i:05d}.nc", dims={"u": ("node",)})
        b = contract.open_dataset(local_dir / "darcy" / f"sample_{i:05d}.nc")
        np.testing.assert_array_equal(a.u.values, b.u.values)
        assert a.attrs["generator"] == "pipelines data-pdes" and a.attrs["piece"] == f"sample_{i:05d}"
    manifest = json.loads((dask_dir / "darcy" / "manifest.json").read_text())
    assert manifest["pieces_ok"] == 2 and manifest["solved_now"] == 2
    capsys.readouterr()
    assert main(args + ["--set", "executor=local", "--out", str(dask_dir)]) == 0
    assert "2 of 2 pieces already done" in capsys.readouterr().out
    assert json.loads((dask_dir / "darcy" / "manifest.json").read_text())["solved_now"] == 0


@needs_fenics
def test_a_failed_sample_is_recorded_with_its_reason_and_the_sweep_goes_on(tmp_path, monkeypatch):
    darcy = datasets.get("darcy")

    def draw(rng, options):
        params = darcy.draw(rng, options)
        if rng.random() < 0.5:  # some samples get an impossible (negative) permeability
            params["permeability"] = -params["permeability"]
        return params

    broken = datasets.FenicsDataset("darcy_broken", "darcy", "test", draw, darcy.to_xarray, darcy.options)
    monkeypatch.setitem(datasets._load(), "darcy_broken", broken)
    assert main(["data-pdes", "--set", "datasets=darcy_broken", "--set", "samples=4",
                 "--set", "executor=local", "--out", str(tmp_path)]) == 0
    manifest = json.loads((tmp_path / "darcy_broken" / "manifest.json").read_text())
    assert manifest["pieces_failed"] >= 1 and manifest["pieces_ok"] >= 1
    assert manifest["pieces_ok"] + manifest["pieces_failed"] == 4
    stem, reason = next(iter(manifest["failures"].items()))
    assert "permeability must be a positive" in reason
    record = json.loads((tmp_path / "darcy_broken" / f"{stem}.failed.json").read_text())
    assert record["reason"] == reason and record["seed"] == 0 and "mesh_size" in record["params"]


def test_unknown_dataset_is_one_line(tmp_path, capsys):
    assert main(["data-pdes", "--set", "datasets=dracy", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "dracy" in err and "darcy" in err and "\n" not in err


def test_missing_dolfinx_for_a_named_fenics_set_is_one_line_before_any_work(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("FENICS_PYTHON", str(tmp_path / "no-such-python"))
    assert main(["data-pdes", "--set", "datasets=darcy", "--out", str(tmp_path / "out")]) == 3
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "python3-dolfinx" in err
    assert not (tmp_path / "out").exists()


def test_operator_sets_are_written_in_chunks_equal_to_one_batch(tmp_path, capsys):
    from pdes import operator_data

    args = ["data-pdes", "--set", "datasets=burgers", "--set", "operator_samples=3", "--set", "executor=local",
            "--out", str(tmp_path)]
    assert main(args) == 0
    chunk = contract.open_dataset(tmp_path / "burgers" / "chunk_000000.nc", dims={"u": ("sample", "t", "x")})
    options = {k: v for k, v in operator_data.SETS["burgers"]["quick"].items() if k not in ("samples", "chunk")}
    batch = operator_data.get("burgers")(3, 0, **options)
    np.testing.assert_array_equal(chunk.u.values, batch.u.values)
    assert json.loads((tmp_path / "burgers" / "manifest.json").read_text())["samples_solved_now"] == 3
    capsys.readouterr()
    assert main(args) == 0
    assert "1 of 1 pieces already done" in capsys.readouterr().out


def test_without_dolfinx_the_default_sweep_skips_fenics_sets_with_a_warning(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("FENICS_PYTHON", str(tmp_path / "no-such-python"))
    assert main(["data-pdes", "--set", "operator_samples=1", "--set", "executor=local", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "skipping the FEniCS data sets" in out and "python3-dolfinx" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["burgers", "navier_stokes", "navier_stokes_nu1e-4"]
