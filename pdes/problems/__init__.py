"""The registry of PDE problems: each is one :class:`Problem` in one file, registered here
by name.

>>> from pdes import problems
>>> problems.names()
('allen_cahn', 'burgers', 'convection', 'ks', 'reaction', 'reaction_diffusion')
>>> ks = problems.get("ks", variant="chaotic")
>>> ds = ks.reference()                          # u(t, x) on 512 x 201 points
>>> r = ks.residual(net, 0.3, 0.1)               # PDE residual of a scalar net(x, t)

Adding a problem is one file defining a ``PROBLEM`` and one :func:`register` line below.
"""

from __future__ import annotations

import difflib

from . import allen_cahn, burgers, convection, kdv, ks, reaction, reaction_diffusion
from ._autodiff import Field, t_derivative, x_derivative
from ._periodic import Etdrk4Options
from ._problem import ClosedForm, Problem
from .burgers import ColeHopfOptions
from .reaction_diffusion import StrangOptions

__all__ = [
    "ClosedForm",
    "ColeHopfOptions",
    "Etdrk4Options",
    "Field",
    "Problem",
    "StrangOptions",
    "UnknownProblemError",
    "get",
    "names",
    "register",
    "t_derivative",
    "x_derivative",
]

_PROBLEMS: dict[str, Problem] = {}


class UnknownProblemError(KeyError):
    """No problem has this name; the message lists the known ones."""

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return self.args[0]


def register(problem: Problem) -> Problem:
    """Add ``problem`` under ``problem.name``; a second problem with the same name is an error."""
    if problem.name in _PROBLEMS:
        raise ValueError(f"a problem named {problem.name!r} is already registered")
    _PROBLEMS[problem.name] = problem
    return problem


def names() -> tuple[str, ...]:
    """Names of the registered problems, sorted."""
    return tuple(sorted(_PROBLEMS))


def get(name: str, variant: str = "default") -> Problem:
    """The problem called ``name``, in its named ``variant`` (see ``Problem.variants``)."""
    if name not in _PROBLEMS:
        close = difflib.get_close_matches(name, names(), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UnknownProblemError(f"unknown PDE problem {name!r}{hint} (known: {', '.join(names())})")
    return _PROBLEMS[name].variant(variant)


register(convection.PROBLEM)
register(reaction.PROBLEM)
register(reaction_diffusion.PROBLEM)
register(allen_cahn.PROBLEM)
register(ks.PROBLEM)
register(burgers.PROBLEM)
register(kdv.PROBLEM)
