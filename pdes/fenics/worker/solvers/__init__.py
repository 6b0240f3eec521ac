"""The registry of FEniCS solvers run by the worker: ``SOLVERS[name](params) -> dict of arrays``.

Each solver is a pure function of a JSON-able parameter dict (plus array inputs) returning
NumPy arrays; scalars come back as 0-d arrays. Adding a solver is one module here with a
``@solver("name")`` function, imported below.
"""

from __future__ import annotations

from typing import Callable

SOLVERS: dict[str, Callable[[dict], dict]] = {}


def solver(name: str, *, mpi: bool = False):
    """Register ``fn`` as solver ``name``; ``mpi=True`` if it runs distributed under ``mpirun``
    (each rank solves its part, rank 0 returns the gathered arrays)."""
    def register(fn):
        if name in SOLVERS:
            raise ValueError(f"solver {name!r} registered twice")
        fn.mpi = mpi
        SOLVERS[name] = fn
        return fn

    return register


from . import mms  # noqa: E402,F401
from . import darcy  # noqa: E402,F401
from . import diagnostics  # noqa: E402,F401
from . import elasticity  # noqa: E402,F401
from . import channel  # noqa: E402,F401
from . import heat_sink  # noqa: E402,F401
