"""Say which ``make`` target creates a missing file, judged from its path and the Makefile."""

from __future__ import annotations

import re
from pathlib import Path

from pipelines._paths import REPO_ROOT

_TARGET = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.-]*)\s*:(?!=)", re.MULTILINE)


class MissingDataError(FileNotFoundError):
    """An input file does not exist; the message names it and, if known, the make target."""


def make_targets(makefile: Path = REPO_ROOT / "Makefile") -> set[str]:
    """Names of the rules in ``makefile`` (empty if there is none)."""
    try:
        return set(_TARGET.findall(makefile.read_text()))
    except OSError:
        return set()


def make_target_for(path: str | Path, targets: set[str] | None = None) -> str | None:
    """The make target that likely creates ``path``, e.g. ``data/chaos/x.nc`` -> ``data-chaos``.

    ``data/<part>/...`` suggests ``data-<part>``; ``.../bench/<suite>.json`` suggests
    ``bench-<suite>``. Only targets that exist in the Makefile are returned.
    """
    targets = make_targets() if targets is None else targets
    parts = Path(path).parts
    stem = Path(path).name.split(".")[0]
    candidates = []
    if "data" in parts:
        after = parts[parts.index("data") + 1 : -1]
        candidates += [f"data-{p}" for p in after] + [f"data-{stem}"]
    if "bench" in parts or "full" in parts:
        candidates += [f"bench-{stem}", f"bench-{stem.split('-')[0]}"]
    return next((c for c in candidates if c in targets), None)


def missing(path: str | Path, what: str = "file") -> MissingDataError:
    """A :class:`MissingDataError` for ``path``, suggesting the make target that creates it."""
    target = make_target_for(path)
    hint = f"; create it with `make {target}`" if target else ""
    return MissingDataError(f"{what} {str(path)!r} does not exist{hint}")


class PrerequisiteError(RuntimeError):
    """Something a stage needs is not installed; the message is one line and says what to install."""
