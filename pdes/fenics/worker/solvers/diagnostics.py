"""Protocol checks: ``echo`` hands its inputs back (after ``sleep`` seconds), so the parent can
test the round trip of arrays and scalars, errors and time limits without a PDE solve."""

from __future__ import annotations

import time

import numpy as np

from . import solver


@solver("echo", mpi=True)
def echo(params: dict) -> dict:
    """Returns every param as an array; ``sleep`` (s) waits first; ``fail`` raises ValueError."""
    time.sleep(float(params.get("sleep", 0.0)))
    if params.get("fail"):
        raise ValueError(f"asked to fail: {params['fail']}")
    return {k: np.asarray(v) for k, v in params.items()}


@solver("petsc_options", mpi=True)
def petsc_options(params: dict) -> dict:
    """How many entries PETSc's global options database holds now (it can hold 512; solvers
    must leave it as they found it)."""
    from petsc4py import PETSc

    return {"n_options": len(PETSc.Options().getAll())}
