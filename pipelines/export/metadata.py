"""The ``metadata.json`` beside an exported closure: what its artifacts take and give, and how they were checked.

An export directory ``runs/export/<closure>/`` holds, per artifact, an ONNX graph and a
``jax.export`` serialized module, and one ``metadata.json``::

    {"format": "pipelines.export/1", "closure": "mno",
     "inputs":  [{"name": "x", "shape": ["K"], "symbolic_axes": {"0": "K"}, "dtype": "float32", "units": ...}],
     "outputs": [{"name": "closure_tendency", ...}],
     "artifacts": [{"K": "K" | 36, "onnx": "closure.onnx", "onnx_sha256": ..., "jaxexport": ..., ...}],
     "symbolic_k": true, "min_k": 15, "supported_k": "any K >= 15" | [36, 72, 144],
     "normalisation": ..., "training": {"config": ..., "data_hash": ...},
     "coarse_model": {...}, "parity": {...}, "export_parity_max_abs": 2.1e-06, ...}

This module imports no JAX: the NumPy simulator reads it to pick the artifact for a ring size.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

__all__ = ["FORMAT", "SYMBOLIC_AXIS", "ExportError", "artifact_for", "artifact_names", "read_metadata",
           "sha256_file", "supported_description"]

FORMAT = "pipelines.export/1"
SYMBOLIC_AXIS = "K"
METADATA_FILE = "metadata.json"
_KEYS = ("format", "closure", "inputs", "outputs", "artifacts", "symbolic_k", "min_k", "export_parity_max_abs")


class ExportError(ValueError):
    """An export failed its check, or an exported file does not match its metadata; the message is one line."""


def artifact_names(k: int | None) -> tuple[str, str]:
    """File names of the (ONNX, jax.export) pair: ``closure.onnx`` for a symbolic K, ``closure_k36.onnx`` for K=36."""
    stem = "closure" if k is None else f"closure_k{k}"
    return f"{stem}.onnx", f"{stem}.jaxexport"


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read_metadata(directory: str | Path) -> dict[str, Any]:
    """Read and check ``<directory>/metadata.json``; raises :class:`ExportError` naming the file."""
    path = Path(directory) / METADATA_FILE
    if not path.is_file():
        raise ExportError(f"no {METADATA_FILE} in {str(directory)!r}; export the closure with `make export`")
    try:
        meta = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ExportError(f"{path} is not valid JSON: {err}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        got = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
        raise ExportError(f"{path} has format {got!r}, expected {FORMAT!r}; re-export with `make export`")
    absent = [key for key in _KEYS if key not in meta]
    if absent:
        raise ExportError(f"{path} lacks {', '.join(absent)}; re-export with `make export`")
    return meta


def supported_description(meta: dict[str, Any]) -> str:
    """``"any K >= 15"`` for a symbolic export, ``"K = 36, 72, 144"`` for fixed ones."""
    if meta["symbolic_k"]:
        return f"any K >= {meta['min_k']}"
    return "K = " + ", ".join(str(a["K"]) for a in meta["artifacts"])


def artifact_for(meta: dict[str, Any], k: int) -> dict[str, Any]:
    """The artifact entry that runs a ring of ``k`` points.

    Raises:
        ExportError: no artifact handles ``k``; the message names ``k`` and the supported sizes.
    """
    if isinstance(k, bool) or not isinstance(k, int):
        raise ExportError(f"K must be an int, got {k!r}")
    for art in meta["artifacts"]:
        if art["K"] == SYMBOLIC_AXIS and k >= meta["min_k"]:
            return art
        if art["K"] == k:
            return art
    raise ExportError(f"exported closure {meta['closure']!r} cannot run at K={k}: its artifacts support "
                      f"{supported_description(meta)}")
