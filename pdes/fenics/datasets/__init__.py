"""The registry of FEniCS parametric data sets: one :class:`FenicsDataset` per module.

>>> from pdes.fenics import datasets
>>> datasets.names()
>>> ds = datasets.get("darcy")
>>> params = ds.sample_params(seed=0, index=3, options=ds.options["quick"])

Adding a data set is one module defining ``DATASET`` and one entry in ``_MODULES``.
"""

from __future__ import annotations

import difflib
import importlib

from ._dataset import FenicsDataset, node_dataset

__all__ = ["FenicsDataset", "get", "names", "node_dataset"]

_MODULES = ("channel_flow", "darcy", "elasticity", "heat_sink")
_DATASETS: dict[str, FenicsDataset] = {}


def _load() -> dict[str, FenicsDataset]:
    if not _DATASETS:
        for module in _MODULES:
            ds = importlib.import_module(f"{__name__}.{module}").DATASET
            _DATASETS[ds.name] = ds
    return _DATASETS


def names() -> tuple[str, ...]:
    return tuple(sorted(_load()))


def get(name: str) -> FenicsDataset:
    known = _load()
    if name not in known:
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise KeyError(f"unknown FEniCS data set {name!r}{hint}; known: {', '.join(sorted(known))}")
    return known[name]
