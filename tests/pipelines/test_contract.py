"""Tests for pipelines.contract: provenance, validation, atomic netCDF/zarr writes and reads."""

import datetime
import json
import subprocess

import numpy as np
import pytest
import xarray as xr

from pipelines import contract
from pipelines.contract import (
    PROVENANCE_KEYS,
    ContractError,
    MissingDataError,
    atomic_write_json,
    atomic_write_text,
    git_commit,
    open_dataset,
    open_datatree,
    validate,
    with_provenance,
    write_netcdf,
    write_zarr,
)

pytestmark = pytest.mark.filterwarnings("error")
CONFIG = {"n_ics": 2, "systems": ["Lorenz"], "rtol": 1e-9}


def make_dataset(scale=1.0):
    t = np.linspace(0.0, 1.0, 5)
    x = scale * np.arange(10.0).reshape(2, 5)
    return xr.Dataset(
        {"x": (("ic", "time"), x, {"units": "1", "long_name": "first coordinate"})},
        coords={
            "time": ("time", t, {"units": "model time", "long_name": "time"}),
            "ic": ("ic", np.arange(2), {"units": "1", "long_name": "initial condition index"}),
        },
    )


def make_tree():
    return xr.DataTree.from_dict(
        {"/": xr.Dataset(attrs={"title": "db"}), "/lorenz": make_dataset(), "/rossler": make_dataset(2.0)}
    )


def stamped(obj):
    return with_provenance(obj, generator="test", config=CONFIG, seed=3)


def leftovers(directory, name):
    return sorted(p.name for p in directory.iterdir() if p.name != name)


def test_provenance_attrs():
    ds = stamped(make_dataset())
    assert set(PROVENANCE_KEYS) <= set(ds.attrs)
    assert json.loads(ds.attrs["config"]) == CONFIG
    versions = json.loads(ds.attrs["versions"])
    assert {"python", "jax", "numpy", "xarray"} <= set(versions)
    assert ds.attrs["seed"] == 3 and ds.attrs["generator"] == "test"
    created = datetime.datetime.strptime(ds.attrs["created"], "%Y-%m-%dT%H:%M:%SZ")
    assert abs(datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - created).total_seconds() < 60
    assert with_provenance(make_dataset(), generator="g", config={}, seed=None).attrs["seed"] == "none"


def test_with_provenance_copies():
    ds = make_dataset()
    stamped(ds)
    assert ds.attrs == {}
    tree = make_tree()
    out = stamped(tree)
    assert "generator" not in tree.attrs and "generator" not in tree["lorenz"].attrs
    assert out.attrs["title"] == "db" and out["rossler"].attrs["seed"] == 3


def test_netcdf_round_trip_dataset(tmp_path):
    ds = stamped(make_dataset())
    path = write_netcdf(ds, tmp_path / "sub" / "db.nc")
    back = open_dataset(path, dims={"x": ("ic", "time")})
    xr.testing.assert_identical(back, ds)
    assert leftovers(path.parent, "db.nc") == []


def test_netcdf_and_zarr_round_trip_tree(tmp_path):
    tree = stamped(make_tree())
    for path in (tmp_path / "db.nc", tmp_path / "db.zarr"):
        (write_netcdf if path.suffix == ".nc" else write_zarr)(tree, path)
        back = open_datatree(path, dims={"x": ("ic", "time")})
        xr.testing.assert_identical(back, tree)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["db.nc", "db.zarr"]


def test_zarr_replaces_existing_store(tmp_path):
    path = tmp_path / "db.zarr"
    write_zarr(stamped(make_dataset()), path)
    write_zarr(stamped(make_dataset(3.0)), path)
    assert float(open_dataset(path)["x"].max()) == 27.0
    assert leftovers(tmp_path, "db.zarr") == []


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda ds: ds["x"].attrs.pop("units"), "data variable 'x' lacks attr 'units'"),
        (lambda ds: ds["time"].attrs.pop("long_name"), "coordinate 'time' lacks attr 'long_name'"),
        (lambda ds: ds["x"].attrs.update(units=1), "data variable 'x' attr 'units' must be a string, got 1"),
        (lambda ds: ds.attrs.pop("seed"), "root lacks provenance attr 'seed'"),
        (lambda ds: ds.attrs.update(config="{oops"), "root provenance attr 'config' is not a JSON string"),
    ],
)
def test_validate_names_the_problem(mutate, message):
    ds = stamped(make_dataset())
    mutate(ds)
    with pytest.raises(ContractError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        validate(ds)


def test_validate_names_the_tree_node():
    tree = stamped(make_tree())
    tree["rossler"]["x"].attrs.pop("long_name")
    with pytest.raises(ContractError, match=r"^node '/rossler': data variable 'x' lacks attr 'long_name'$"):
        validate(tree)


def test_validate_dims():
    ds = stamped(make_dataset())
    assert validate(ds, dims={"x": ("ic", "time"), "time": ("time",)}) is ds
    with pytest.raises(ContractError, match=r"^variable 'x' has dims \('ic', 'time'\), expected \('time', 'ic'\)$"):
        validate(ds, dims={"x": ("time", "ic")})
    with pytest.raises(ContractError, match=r"^variable 'y' not found"):
        validate(ds, dims={"y": ("time",)})
    with pytest.raises(ContractError, match=r"^node '/lorenz': variable 'x' has dims"):
        validate(stamped(make_tree()), dims={"x": ("ic",)})
    with pytest.raises(ContractError, match="got ndarray"):
        validate(np.zeros(3))


def test_write_validates_first(tmp_path):
    with pytest.raises(ContractError, match="lacks provenance"):
        write_netcdf(make_dataset(), tmp_path / "db.nc")
    assert list(tmp_path.iterdir()) == []


def snapshot(path):
    """The bytes of a file, or of every file in a directory tree."""
    if path.is_file():
        return path.read_bytes()
    return sorted((str(p.relative_to(path)), p.read_bytes()) for p in path.rglob("*") if p.is_file())


def _fail_midway(kind):
    def write(self, path, *args, **kwargs):
        path.mkdir(exist_ok=True) if kind == "zarr" else None
        (path / "zarr.json" if kind == "zarr" else path).write_bytes(b"partial")
        raise OSError("disk full")

    return write


@pytest.mark.parametrize(("kind", "writer"), [("nc", write_netcdf), ("zarr", write_zarr)])
def test_failed_write_leaves_no_file(tmp_path, monkeypatch, kind, writer):
    monkeypatch.setattr(xr.Dataset, "to_netcdf" if kind == "nc" else "to_zarr", _fail_midway(kind))
    with pytest.raises(OSError, match="disk full"):
        writer(stamped(make_dataset()), tmp_path / f"db.{kind}")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("kind", "writer"), [("nc", write_netcdf), ("zarr", write_zarr)])
def test_failed_write_keeps_existing_file(tmp_path, monkeypatch, kind, writer):
    path = tmp_path / f"db.{kind}"
    good = stamped(make_dataset())
    writer(good, path)
    before = snapshot(path)
    monkeypatch.setattr(xr.Dataset, "to_netcdf" if kind == "nc" else "to_zarr", _fail_midway(kind))
    with pytest.raises(OSError, match="disk full"):
        writer(stamped(make_dataset(5.0)), path)
    monkeypatch.undo()
    assert snapshot(path) == before
    xr.testing.assert_identical(open_dataset(path), good)
    assert leftovers(tmp_path, path.name) == []


def test_atomic_text_and_json(tmp_path):
    atomic_write_text(tmp_path / "a" / "b.txt", "hello")
    assert (tmp_path / "a" / "b.txt").read_text() == "hello"
    atomic_write_json(tmp_path / "c.json", {"x": [1, 2]})
    assert json.loads((tmp_path / "c.json").read_text()) == {"x": [1, 2]}
    with pytest.raises(ValueError):
        atomic_write_json(tmp_path / "c.json", {"x": float("nan")})
    assert json.loads((tmp_path / "c.json").read_text()) == {"x": [1, 2]}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "c.json"]


def test_missing_file_names_path_and_make_target(tmp_path):
    path = tmp_path / "data" / "chaos" / "lorenz.nc"
    with pytest.raises(MissingDataError, match=r"lorenz\.nc' does not exist; create it with `make data-chaos`$"):
        open_dataset(path)
    with pytest.raises(FileNotFoundError, match=r"elsewhere\.nc' does not exist$"):
        open_datatree(tmp_path / "elsewhere.nc")


def test_git_commit(tmp_path):
    assert git_commit(tmp_path) == "unknown"
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    (tmp_path / "f.txt").write_text("1")
    subprocess.run([*git, "add", "f.txt"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "c"], check=True)
    head = git_commit(tmp_path)
    assert len(head) == 40 and all(c in "0123456789abcdef" for c in head)
    (tmp_path / "untracked.txt").write_text("x")
    assert git_commit(tmp_path) == head
    (tmp_path / "f.txt").write_text("2")
    assert git_commit(tmp_path) == head + "-dirty"


def test_a_pinned_commit_outlives_changes_to_the_tree(tmp_path):
    from pipelines._provenance import pin_git_commit, unpin_git_commit

    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    (tmp_path / "f.txt").write_text("1")
    subprocess.run([*git, "add", "f.txt"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "c"], check=True)
    try:
        start = pin_git_commit(tmp_path)
        (tmp_path / "f.txt").write_text("2")
        subprocess.run([*git, "commit", "-q", "-am", "d"], check=True)
        assert git_commit(tmp_path) == start and len(start) == 40
    finally:
        unpin_git_commit(tmp_path)
    assert git_commit(tmp_path) not in (start, "unknown")


def test_contract_reexports_are_public():
    assert set(contract.__all__) <= set(dir(contract))


def test_atomic_files_get_the_usual_mode(tmp_path):
    import os

    from pipelines.contract import atomic_write_text

    path = atomic_write_text(tmp_path / "a.txt", "x")
    mask = os.umask(0)
    os.umask(mask)
    assert (path.stat().st_mode & 0o777) == (0o666 & ~mask)
