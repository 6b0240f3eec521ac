"""Checkpoints: a model, optionally its optimiser state, and what rebuilds it, in one file.

File layout: one JSON header line, then the model's array leaves, then (optionally) the
optimiser state's leaves, both written by ``eqx.tree_serialise_leaves``. The header holds
the registered model name and its ``hyperparameters()`` (constructor keyword arguments),
so :func:`load` rebuilds the skeleton from the registry: a file reloads without the script
that made it. Writes are atomic (a temporary file in the same directory, then a rename).

>>> save("run/checkpoint.eqx", model, opt_state=opt_state, epoch=40, meta={"history": ...})
>>> ck = load("run/checkpoint.eqx")                 # ck.model, ck.epoch, ck.meta
>>> ck = load(path, like=model, opt_state_like=optimizer.init(params))   # with the optimiser state
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import equinox as eqx
import jax

__all__ = ["FORMAT", "Checkpoint", "CheckpointError", "load", "read_header", "save"]

FORMAT = "sciml.operators.checkpoint/1"


class CheckpointError(ValueError):
    """A checkpoint file is unreadable or does not match what it is loaded into; the message names the file."""


@dataclasses.dataclass(frozen=True)
class Checkpoint:
    """What :func:`load` returns.

    Attributes:
        model: the model with its stored weights.
        opt_state: the optimiser state, or None if not stored or not asked for.
        epoch: epochs completed when saved (None if not given).
        meta: free-form JSON metadata (the trainer stores its config and history).
        name: the registered model name, or None for an unregistered model class.
        hyperparameters: the model's constructor keyword arguments, or None.
    """

    model: Any
    opt_state: Any
    epoch: int | None
    meta: dict[str, Any]
    name: str | None
    hyperparameters: dict[str, Any] | None


def _describe(model) -> tuple[str | None, dict[str, Any] | None]:
    from . import UnknownModelError, name_of

    try:
        name = name_of(model)
    except UnknownModelError:
        return None, None
    return name, model.hyperparameters()


def save(
    path: str | Path,
    model: eqx.Module,
    *,
    opt_state: Any = None,
    epoch: int | None = None,
    meta: dict[str, Any] | None = None,
) -> Path:
    """Write ``model`` (and ``opt_state``) to ``path`` atomically; returns the path.

    A model of an unregistered class is saved too, but then only loads with ``like=``.
    """
    path = Path(path)
    name, hp = _describe(model)
    header = {"format": FORMAT, "model": name, "hyperparameters": hp, "epoch": epoch,
              "has_opt_state": opt_state is not None, "meta": meta or {}}
    return write_with_header(path, header, (model,) if opt_state is None else (model, opt_state))


def write_with_header(path: str | Path, header: dict[str, Any], trees: tuple[Any, ...], *,
                      error: type[Exception] = CheckpointError, what: str = "checkpoint") -> Path:
    """Write ``header`` as one JSON line, then the leaves of each pytree of ``trees``, to ``path``
    atomically (a temporary file in the same folder, fsync, rename); returns the path. A header
    that is not JSON raises ``error`` before anything is written."""
    path = Path(path)
    try:
        line = json.dumps(header, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise error(f"{what} header for {path} is not JSON-serialisable: {err}") from None

    def write(f):
        f.write((line + "\n").encode())
        for tree in trees:
            eqx.tree_serialise_leaves(f, tree)

    return atomic_write(path, write)


def atomic_write(path: str | Path, write: Callable[[BinaryIO], None]) -> Path:
    """Call ``write(f)`` on a temporary binary file beside ``path``, fsync it and rename it to
    ``path``, so that an interrupted write leaves the old file or none; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_header(path: str | Path) -> dict[str, Any]:
    """The JSON header of the checkpoint at ``path`` (no arrays are read)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint file at {path}")
    with open(path, "rb") as f:
        return _header(f, path)


def _header(f, path: Path) -> dict[str, Any]:
    return read_header_line(f, path, fmt=FORMAT)


def read_header_line(f, path: Path, *, fmt: str, error: type[Exception] = CheckpointError,
                     what: str = "a checkpoint") -> dict[str, Any]:
    """The JSON header on the first line of the open binary file ``f`` (read from ``path``), checked
    to have ``"format": fmt``; anything else raises ``error`` naming the file."""
    try:
        header = json.loads(f.readline())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise error(f"{path} is not {what} (its first line is not a JSON header)") from None
    if not isinstance(header, dict) or header.get("format") != fmt:
        raise error(f"{path} has format {header.get('format') if isinstance(header, dict) else None!r}, "
                    f"expected {fmt!r}")
    return header


def skeleton(name: str, hyperparameters: dict[str, Any]) -> eqx.Module:
    """A model of registered class ``name`` with leaves as shapes only (``jax.ShapeDtypeStruct``), built without
    computing any initial weights."""
    from . import build

    return eqx.filter_eval_shape(lambda: build(name, hyperparameters, key=jax.random.PRNGKey(0)))


def load(path: str | Path, *, like: eqx.Module | None = None, opt_state_like: Any = None) -> Checkpoint:
    """Read a checkpoint.

    Args:
        like: a model of the same structure to load into; by default the skeleton is rebuilt
            from the registry by the stored name and hyperparameters.
        opt_state_like: an optimiser state of the same structure (e.g. ``optimizer.init(params)``);
            without it the stored optimiser state is not read.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint file at {path}")
    with open(path, "rb") as f:
        header = _header(f, path)
        if like is None:
            if header["model"] is None:
                raise CheckpointError(f"{path} holds an unregistered model class; pass like= a model to load into")
            like = skeleton(header["model"], header["hyperparameters"])
        try:
            model = eqx.tree_deserialise_leaves(f, like)
            opt_state = None
            if opt_state_like is not None:
                if not header["has_opt_state"]:
                    raise CheckpointError(f"{path} has no optimiser state")
                opt_state = eqx.tree_deserialise_leaves(f, opt_state_like)
        except (RuntimeError, ValueError, EOFError, OSError) as err:
            if isinstance(err, CheckpointError):
                raise
            raise CheckpointError(f"{path} does not match the model it is loaded into: {err}") from None
    return Checkpoint(model, opt_state, header["epoch"], header["meta"], header["model"], header["hyperparameters"])
