"""The data contract: how data crosses packages and lands on disk.

Data is an ``xr.Dataset`` or, for a collection (one group per system), an
``xr.DataTree``. The contract:

* every coordinate and data variable has ``units`` and ``long_name`` attrs
  (``"1"`` for dimensionless quantities);
* the root carries the provenance attrs :data:`PROVENANCE_KEYS`
  (:func:`with_provenance` adds them; ``config`` and ``versions`` are JSON strings);
* optionally, named variables have the expected dims.

Files are netCDF-4 written with h5netcdf, or zarr (suffix ``.zarr``) for
several writing processes; writes are atomic and validate first, reads load
into memory, close the file and validate.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import xarray as xr

from pipelines._atomic import atomic_dir, atomic_path, atomic_write_json, atomic_write_text
from pipelines._hints import MissingDataError, missing
from pipelines._provenance import PROVENANCE_KEYS, git_commit, provenance, utc_now, versions
from pipelines.config import config_to_dict

__all__ = [
    "PROVENANCE_KEYS",
    "ContractError",
    "MissingDataError",
    "atomic_write_json",
    "atomic_write_text",
    "git_commit",
    "open_dataset",
    "open_datatree",
    "provenance",
    "utc_now",
    "validate",
    "versions",
    "with_provenance",
    "write_netcdf",
    "write_zarr",
]

Data = TypeVar("Data", xr.Dataset, xr.DataTree)
_REQUIRED_ATTRS = ("units", "long_name")
_JSON_ATTRS = ("config", "versions")


class ContractError(ValueError):
    """Data breaks the contract; the message names the node, variable and attr at fault."""


def with_provenance(obj: Data, *, generator: str, config: Mapping[str, Any] | Any, seed: int | None) -> Data:
    """Return a copy of ``obj`` with provenance attrs on the root (and on every tree node with data).

    Args:
        obj: a Dataset or DataTree; it is not modified.
        generator: what made the data, e.g. ``"pipelines data-chaos"``.
        config: the config as a dict, or a config dataclass instance.
        seed: the PRNG seed, or None if nothing random was drawn.
    """
    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        config = config_to_dict(config)
    attrs = provenance(generator, dict(config), seed)
    out = obj.copy()
    if isinstance(out, xr.Dataset):
        out.attrs.update(attrs)
        return out
    for node in out.subtree:
        if node is out or node.has_data:
            node.attrs = {**node.attrs, **attrs}
    return out


def validate(obj: Data, *, dims: Mapping[str, tuple[str, ...]] | None = None) -> Data:
    """Check ``obj`` against the contract and return it unchanged.

    Args:
        obj: a Dataset, or a DataTree whose every node with data is checked.
        dims: optional ``{variable name: expected dims}``; the variable must
            exist (in at least one node) and have exactly these dims wherever it is.

    Raises:
        ContractError: naming the node path (for a tree), the variable and what is wrong.
    """
    if not isinstance(obj, (xr.Dataset, xr.DataTree)):
        raise ContractError(f"expected an xarray Dataset or DataTree, got {type(obj).__name__}")
    _check_provenance(obj.attrs)
    for where, ds in _nodes(obj):
        _check_variables(where, ds)
    for name, expected in (dims or {}).items():
        found = False
        for where, ds in _nodes(obj):
            if name in ds.variables:
                found = True
                actual = tuple(ds[name].dims)
                if actual != tuple(expected):
                    raise ContractError(f"{where}variable {name!r} has dims {actual}, expected {tuple(expected)}")
        if not found:
            raise ContractError(f"variable {name!r} not found (expected with dims {tuple(expected)})")
    return obj


def write_netcdf(obj: xr.Dataset | xr.DataTree, path: str | Path) -> Path:
    """Validate ``obj`` and write it atomically to netCDF-4 (h5netcdf); create parent dirs."""
    validate(obj)
    with atomic_path(path) as tmp:
        obj.to_netcdf(tmp, engine="h5netcdf")
    return Path(path)


def write_zarr(obj: xr.Dataset | xr.DataTree, path: str | Path) -> Path:
    """Validate ``obj`` and write it to a zarr store via ``<path>.tmp-<pid>`` and a rename.

    Dask-backed variables are computed by the active dask scheduler, so the
    chunks may be written by several processes. An existing store at ``path``
    is replaced.
    """
    validate(obj)
    with atomic_dir(path) as tmp:
        obj.to_zarr(tmp, mode="w", consolidated=False)
    return Path(path)


def open_dataset(path: str | Path, *, dims: Mapping[str, tuple[str, ...]] | None = None) -> xr.Dataset:
    """Read a Dataset (netCDF, or zarr if the suffix is ``.zarr``) into memory and validate it.

    Raises:
        MissingDataError: the file does not exist (the message names the make target that makes it).
        ContractError: the data breaks the contract.
    """
    with xr.open_dataset(_existing(path), **_engine(path)) as ds:
        ds = ds.load()
    return validate(ds, dims=dims)


def open_datatree(path: str | Path, *, dims: Mapping[str, tuple[str, ...]] | None = None) -> xr.DataTree:
    """Read a DataTree (netCDF groups, or zarr if the suffix is ``.zarr``) into memory and validate it."""
    with xr.open_datatree(_existing(path), **_engine(path)) as tree:
        tree = tree.load()
    return validate(tree, dims=dims)


def _existing(path: str | Path) -> Path:
    path = Path(path)
    if not path.exists():
        raise missing(path, "data file")
    return path


def _engine(path: str | Path) -> dict[str, Any]:
    if Path(path).suffix == ".zarr":
        return {"engine": "zarr", "consolidated": False}
    return {"engine": "h5netcdf"}


def _nodes(obj: xr.Dataset | xr.DataTree) -> list[tuple[str, xr.Dataset]]:
    """``(prefix for messages, dataset)`` for a Dataset or for each tree node with data."""
    if isinstance(obj, xr.Dataset):
        return [("", obj)]
    return [(f"node {node.path!r}: ", node.to_dataset(inherit=False)) for node in obj.subtree if node.has_data]


def _check_variables(where: str, ds: xr.Dataset) -> None:
    for name, var in ds.variables.items():
        kind = "coordinate" if name in ds.coords else "data variable"
        for attr in _REQUIRED_ATTRS:
            if attr not in var.attrs:
                raise ContractError(f"{where}{kind} {name!r} lacks attr {attr!r}")
            if not isinstance(var.attrs[attr], str):
                raise ContractError(f"{where}{kind} {name!r} attr {attr!r} must be a string, got {var.attrs[attr]!r}")


def _check_provenance(attrs: Mapping[str, Any]) -> None:
    for key in PROVENANCE_KEYS:
        if key not in attrs:
            raise ContractError(f"root lacks provenance attr {key!r} (add with pipelines.contract.with_provenance)")
    for key in _JSON_ATTRS:
        try:
            json.loads(attrs[key])
        except (TypeError, ValueError):
            raise ContractError(f"root provenance attr {key!r} is not a JSON string: {attrs[key]!r:.80}") from None
