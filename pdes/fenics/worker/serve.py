"""The FEniCS worker process: reads solve requests, one JSON object a line, on stdin; answers
one JSON line each on the protocol pipe; hands arrays back in ``.npz`` files.

Started by :class:`pdes.fenics.runner.FenicsWorker` as ``FENICS_PYTHON -s -E serve.py``; the
directory of this file is its whole import path besides the interpreter's own packages, so it
imports numpy, dolfinx, ufl, mpi4py, petsc4py and gmsh, and never JAX.

Request:  ``{"id": 3, "solver": "poisson_mms", "params": {...}, "inputs": "in.npz"|null,
"out": "result.npz"}``. Array-valued inputs (random fields) come in ``inputs``; they are
merged into ``params`` by name.
Answer:   ``{"id": 3, "ok": true, "seconds": 0.41}`` or ``{"id": 3, "ok": false,
"error": "ValueError: ..."}``. The result file holds the solver's arrays (scalars as 0-d
arrays) and is written atomically (temporary name, then rename).

Anything that the libraries print goes to stderr: the protocol pipe is a duplicate of the
original stdout, and fd 1 is pointed at stderr before dolfinx is imported.

Under ``mpirun -n N`` (a large single solve), rank 0 reads the requests and broadcasts them;
every rank runs the solver on its part of the mesh, rank 0 writes the gathered result and
answers. Only solvers registered with ``mpi=True`` accept more than one rank.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import traceback


def _protocol_pipe():
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return proto


def _save(path: str, arrays: dict) -> None:
    import numpy as np

    tmp = f"{path}.tmp-{os.getpid()}.npz"
    np.savez(tmp, **{k: np.asarray(v) for k, v in arrays.items()})
    os.replace(tmp, path)


def handle(request: dict, ranks: int, rank: int) -> None:
    import numpy as np

    from solvers import SOLVERS

    name = request["solver"]
    if name not in SOLVERS:
        raise KeyError(f"unknown solver {name!r}; known: {', '.join(sorted(SOLVERS))}")
    if ranks > 1 and not getattr(SOLVERS[name], "mpi", False):
        mpi_ok = sorted(n for n, fn in SOLVERS.items() if getattr(fn, "mpi", False))
        raise ValueError(f"solver {name!r} runs on one rank only (got {ranks}); MPI solvers: {', '.join(mpi_ok)}")
    params = dict(request.get("params") or {})
    if request.get("inputs"):
        with np.load(request["inputs"]) as inputs:
            params.update({k: inputs[k] for k in inputs.files})
    arrays = SOLVERS[name](params)
    if rank == 0:
        _save(request["out"], arrays)


def _rank() -> int:
    for var in ("OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"):
        if var in os.environ:
            return int(os.environ[var])
    return 0


def main() -> int:
    rank = _rank()
    if rank == 0:
        proto = _protocol_pipe()
    else:
        proto, sys.stdout = None, sys.stderr
    logging.disable(logging.INFO)  # ffcx/dijitso compile chatter
    try:
        import dolfinx  # noqa: F401  (import errors are reported on the first request)
        from mpi4py import MPI

        comm = MPI.COMM_WORLD
        ready = {"ready": True, "dolfinx": dolfinx.__version__, "ranks": comm.size}
    except Exception as err:  # noqa: BLE001
        ready = {"ready": False, "error": f"{type(err).__name__}: {err}"}
    if proto is not None:
        proto.write(json.dumps(ready) + "\n")
    if not ready["ready"]:
        return 1
    while True:
        request = None
        if rank == 0:
            line = sys.stdin.readline()
            while line and not line.strip():
                line = sys.stdin.readline()
            request = json.loads(line) if line else None
        if comm.size > 1:
            request = comm.bcast(request, root=0)
        if request is None:
            return 0
        start = time.perf_counter()
        error = None
        try:
            handle(request, comm.size, rank)
        except Exception as err:  # noqa: BLE001  (reported to the parent, the worker lives on)
            traceback.print_exc(file=sys.stderr)
            error = f"{type(err).__name__}: {err}"
        if comm.size > 1:
            error = next((e for e in comm.gather(error, root=0) or [] if e), None)
        if proto is not None:
            answer = {"ok": True} if error is None else {"ok": False, "error": error}
            answer.update(id=request.get("id"), seconds=time.perf_counter() - start)
            proto.write(json.dumps(answer) + "\n")


if __name__ == "__main__":
    sys.exit(main())
