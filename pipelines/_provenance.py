"""Where a result came from: package versions, git commit, creation time."""

from __future__ import annotations

import datetime as _dt
import importlib.metadata
import json
import platform
import subprocess
from pathlib import Path
from typing import Any

from pipelines._paths import REPO_ROOT

PROVENANCE_KEYS = ("generator", "config", "seed", "versions", "git_commit", "created")

# Distributions recorded in provenance when installed (python is always recorded).
_DISTRIBUTIONS = (
    "jax",
    "jaxlib",
    "jax-cuda12-plugin",
    "jax-cuda12-pjrt",
    "jax-cuda13-plugin",
    "jax-cuda13-pjrt",
    "equinox",
    "optax",
    "diffrax",
    "lineax",
    "optimistix",
    "dysts",
    "numpy",
    "scipy",
    "xarray",
    "h5netcdf",
    "h5py",
    "zarr",
    "dask",
    "distributed",
    "numba",
    "sciml-pipeline",
)


def versions() -> dict[str, str]:
    """Versions of Python and of the installed packages in ``_DISTRIBUTIONS`` (no imports)."""
    out = {"python": platform.python_version()}
    for name in _DISTRIBUTIONS:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


_PINNED: dict[Path, str] = {}


def pin_git_commit(repo: str | Path = REPO_ROOT) -> str:
    """Record ``repo``'s commit now, when a stage starts and its code is imported, so that
    :func:`git_commit` names that commit even if the tree changes while a long stage runs
    (a benchmark of an hour that writes its JSON after a commit made meanwhile)."""
    _PINNED[Path(repo).resolve()] = commit = _current_commit(repo)
    return commit


def unpin_git_commit(repo: str | Path = REPO_ROOT) -> None:
    _PINNED.pop(Path(repo).resolve(), None)


def git_commit(repo: str | Path = REPO_ROOT) -> str:
    """``git rev-parse HEAD`` of ``repo``, with ``-dirty`` if tracked files changed; else ``unknown``;
    the one recorded by :func:`pin_git_commit` where there is one.

    Untracked files do not count as changes (as with ``git describe --dirty``).
    """
    pinned = _PINNED.get(Path(repo).resolve())
    return pinned if pinned is not None else _current_commit(repo)


def _current_commit(repo: str | Path) -> str:
    try:
        head = _git(repo, "rev-parse", "HEAD")
        dirty = _git(repo, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("-dirty" if dirty else "")


def utc_now() -> str:
    """The current time as ISO-8601 UTC, e.g. ``2026-01-31T12:00:00Z``."""
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def provenance(generator: str, config: dict[str, Any], seed: int | None) -> dict[str, str | int]:
    """Attributes recording how a dataset was made; keys are :data:`PROVENANCE_KEYS`.

    Args:
        generator: what made the data, e.g. ``"pipelines data-chaos"``.
        config: the stage config as a JSON-serialisable dict (see ``config_to_dict``).
        seed: the PRNG seed, or None when nothing random was drawn (stored as ``"none"``,
            since netCDF attributes cannot be null).

    ``config`` and ``versions`` are stored as JSON strings so that they fit in
    netCDF attributes.
    """
    if not isinstance(generator, str) or not generator:
        raise ValueError(f"provenance generator must be a non-empty string, got {generator!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ValueError(f"provenance seed must be an int or None, got {seed!r}")
    return {
        "generator": generator,
        "config": json.dumps(config, sort_keys=True, allow_nan=False),
        "seed": "none" if seed is None else int(seed),
        "versions": json.dumps(versions(), sort_keys=True),
        "git_commit": git_commit(),
        "created": utc_now(),
    }


def _git(repo: str | Path, *args: str) -> str:
    result = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=10, check=True)
    return result.stdout.strip()
