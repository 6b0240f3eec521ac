"""The stage registry: every command ``python -m pipelines <stage>`` is a registered :class:`Stage`.

A stage module defines its config dataclass, a ``run(cfg, ctx)`` function and
a ``STAGE = Stage(...)``; ``pipelines/stages/__init__.py`` registers each one
explicitly with :func:`register`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
_RESERVED = ("list",)
_STAGES: dict[str, Stage] = {}


class UnknownStageError(LookupError):
    """No stage has this name; the message lists the known ones."""


@dataclass(frozen=True)
class StageContext:
    """What a stage gets besides its config.

    Attributes:
        profile: ``"quick"`` or ``"full"``.
        scheduler: address of a dask distributed scheduler (``--scheduler``), or None
            to compute locally.
        out: output path given with ``--out``, or None for the stage's default.
        repo_root: the repository root; resolve relative data/report paths against it.
    """

    profile: str
    scheduler: str | None
    out: Path | None
    repo_root: Path


@dataclass(frozen=True)
class Stage:
    """A pipeline step.

    Attributes:
        name: command name, lower-case with hyphens, e.g. ``"data-chaos"``; its
            config file is ``pipelines/configs/<name>.toml``.
        help: one line shown by ``python -m pipelines --help``.
        config_cls: the frozen config dataclass.
        run: ``run(cfg, ctx)``; does the work, writes files, returns None.
        uses_scheduler: whether the stage can send its work to a dask scheduler
            (``--scheduler``); the others compute in their own process and refuse one.
    """

    name: str
    help: str
    config_cls: type
    run: Callable[[Any, StageContext], None]
    uses_scheduler: bool = False

    def __post_init__(self) -> None:
        if not _NAME.match(self.name) or self.name in _RESERVED:
            raise ValueError(f"stage name {self.name!r} must match {_NAME.pattern} and not be one of {_RESERVED}")
        if not (isinstance(self.config_cls, type) and dataclasses.is_dataclass(self.config_cls)):
            raise ValueError(f"stage {self.name!r} config_cls must be a dataclass type, got {self.config_cls!r}")
        if not callable(self.run):
            raise ValueError(f"stage {self.name!r} run must be callable, got {self.run!r}")


def register(stage: Stage) -> Stage:
    """Add ``stage``; registering the same object again is a no-op, another one with its name an error."""
    if not isinstance(stage, Stage):
        raise TypeError(f"register takes a Stage, got {type(stage).__name__}")
    existing = _STAGES.get(stage.name)
    if existing is not None and existing is not stage:
        raise ValueError(f"stage {stage.name!r} is already registered")
    _STAGES[stage.name] = stage
    return stage


def get(name: str) -> Stage:
    """The stage called ``name``; raises :class:`UnknownStageError` listing the known names."""
    try:
        return _STAGES[name]
    except KeyError:
        raise UnknownStageError(f"unknown stage {name!r}; known stages: {', '.join(names()) or '(none)'}") from None


def names() -> list[str]:
    """Registered stage names, sorted."""
    return sorted(_STAGES)
