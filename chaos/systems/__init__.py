"""The registry of chaotic systems: every flow in dysts' catalogue, with a JAX right-hand side.

>>> from chaos import systems
>>> len(systems.names())           # 135 in dysts 0.96
>>> lorenz = systems.get("Lorenz")
>>> lorenz.rhs(lorenz.ic, 0.0)     # dysts' signature, JAX arrays

The list of names, the parameters, the initial conditions and the stored invariants all come
from dysts itself; see :mod:`chaos.systems._translate` for how its NumPy right-hand sides run
under JAX, and :mod:`chaos.systems._manual` for the flows ported by hand.
"""

from __future__ import annotations

import difflib
from functools import cache

from . import _catalogue
from ._manual import REASONS as MANUAL_PORTS
from ._system import Params, System

__all__ = ["System", "Params", "UnknownSystemError", "names", "get", "MANUAL_PORTS"]


class UnknownSystemError(KeyError):
    """A system name that dysts does not define."""

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return self.args[0]


def names() -> tuple[str, ...]:
    """Names of every flow dysts defines (delay systems included), sorted."""
    return _catalogue.catalogue_names()


def delay_names() -> tuple[str, ...]:
    """Names of the delay differential equations among :func:`names`."""
    meta = _catalogue.metadata()
    return tuple(n for n in names() if meta[n].get("delay"))


def check_name(name: str) -> str:
    """``name`` if dysts defines it, else :class:`UnknownSystemError` naming the closest."""
    known = names()
    if name in known:
        return name
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    by_case = [n for n in known if n.lower() == name.lower()]
    hint = by_case or close
    suggestion = f"; did you mean {', '.join(hint)}?" if hint else ""
    raise UnknownSystemError(
        f"unknown system {name!r}{suggestion} ({len(known)} known: chaos.systems.names())"
    )


def check_names(names) -> None:
    """:func:`check_name` for each name, as a ``ValueError`` (for config validation)."""
    for name in names:
        try:
            check_name(name)
        except UnknownSystemError as err:
            raise ValueError(str(err)) from None


@cache
def get(name: str) -> System:
    """The :class:`System` called ``name`` (dysts' class name, e.g. ``"Lorenz"``)."""
    return _catalogue.build(check_name(name))
