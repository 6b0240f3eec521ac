"""Closure checkpoints: the closure's registered name, hyperparameters and free-form metadata, then its arrays.

File layout: one JSON header line ``{"format", "closure", "hyperparameters", "meta"}``, then the closure's array
leaves written by ``eqx.tree_serialise_leaves``. ``load_closure`` rebuilds the skeleton from the registry, so a
file reloads without the script that made it. The trainer stores in ``meta`` its training config and the hash of
the training data; an evaluation that expects another config or data set passes ``expect=`` and gets a
:class:`ClosureMismatchError` naming the key, the stored value and the expected one.

>>> save_closure("runs/closures/mno-quick/closure.eqx", model, {"config": {...}, "data_hash": "..."})
>>> model, meta = load_closure(path, expect={"data_hash": h})
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import equinox as eqx
import jax
import numpy as np

from sciml.operators.checkpoint import read_header_line, write_with_header

__all__ = ["FORMAT", "ClosureCheckpointError", "ClosureMismatchError", "array_hash", "file_hash", "load_closure",
           "read_closure_header", "save_closure"]

FORMAT = "sciml.closures.checkpoint/1"


class ClosureCheckpointError(ValueError):
    """A closure file is missing, unreadable, or does not match the closure it is loaded into; names the file."""


class ClosureMismatchError(ClosureCheckpointError):
    """A closure file was made with another training config or data set than the caller expects."""


def file_hash(paths: Iterable[str | Path]) -> str:
    """SHA-256 (hex, first 16 characters) of the bytes of ``paths`` in sorted order, with their file names."""
    h = hashlib.sha256()
    for path in sorted(Path(p) for p in paths):
        h.update(path.name.encode())
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()[:16]


def array_hash(*arrays: Any) -> str:
    """SHA-256 (hex, first 16 characters) of arrays' dtypes, shapes and bytes."""
    h = hashlib.sha256()
    for arr in arrays:
        a = np.ascontiguousarray(np.asarray(arr))
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()[:16]


def save_closure(path: str | Path, model: eqx.Module, meta: Mapping[str, Any] | None = None) -> Path:
    """Write ``model`` (a registered closure) and ``meta`` (JSON-serialisable) to ``path`` atomically."""
    from . import name_of

    path = Path(path)
    header = {"format": FORMAT, "closure": name_of(model), "hyperparameters": model.hyperparameters(),
              "meta": dict(meta or {})}
    return write_with_header(path, header, (model,), error=ClosureCheckpointError, what="closure")


def read_closure_header(path: str | Path) -> dict[str, Any]:
    """The JSON header of the closure file at ``path`` (no arrays are read)."""
    path = Path(path)
    if not path.is_file():
        raise ClosureCheckpointError(f"no closure file at {path}")
    with open(path, "rb") as f:
        return _header(f, path)


def _header(f, path: Path) -> dict[str, Any]:
    return read_header_line(f, path, fmt=FORMAT, error=ClosureCheckpointError, what="a closure file")


def check_meta(meta: Mapping[str, Any], expect: Mapping[str, Any], path: str | Path = "<closure>") -> None:
    """Raise :class:`ClosureMismatchError` if any key of ``expect`` differs in ``meta`` (JSON-normalised)."""
    for key, want in expect.items():
        want = json.loads(json.dumps(want))
        have = meta.get(key)
        if have != want:
            if isinstance(want, dict) and isinstance(have, dict):
                diff = sorted(k for k in set(want) | set(have) if want.get(k) != have.get(k))
                detail = "; ".join(f"{k}: stored {have.get(k)!r}, expected {want.get(k)!r}" for k in diff[:4])
            else:
                detail = f"stored {have!r}, expected {want!r}"
            raise ClosureMismatchError(f"{path} was made with another {key} ({detail}); retrain it "
                                       "(make train-closure) or point the evaluation at the matching file")


def load_closure(path: str | Path, *, expect: Mapping[str, Any] | None = None) -> tuple[eqx.Module, dict[str, Any]]:
    """Read a closure file: ``(closure, meta)``.

    Args:
        expect: metadata the file must hold, e.g. ``{"data_hash": ..., "config": {...}}``; any difference raises
            :class:`ClosureMismatchError` before the arrays are read.
    """
    from . import build

    path = Path(path)
    if not path.is_file():
        raise ClosureCheckpointError(f"no closure file at {path}; train one with `make train-closure`")
    with open(path, "rb") as f:
        header = _header(f, path)
        meta = header["meta"]
        if expect:
            check_meta(meta, expect, path)
        like = eqx.filter_eval_shape(lambda: build(header["closure"], header["hyperparameters"],
                                                   key=jax.random.PRNGKey(0)))
        try:
            model = eqx.tree_deserialise_leaves(f, like)
        except (RuntimeError, ValueError, EOFError, OSError) as err:
            raise ClosureCheckpointError(f"{path} does not match closure {header['closure']!r} with "
                                         f"{header['hyperparameters']}: {err}") from None
    return model, meta
