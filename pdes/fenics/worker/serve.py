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


def handle(request: dict) -> dict:
    import numpy as np

    from solvers import SOLVERS

    name = request["solver"]
    if name not in SOLVERS:
        raise KeyError(f"unknown solver {name!r}; known: {', '.join(sorted(SOLVERS))}")
    params = dict(request.get("params") or {})
    if request.get("inputs"):
        with np.load(request["inputs"]) as inputs:
            params.update({k: inputs[k] for k in inputs.files})
    arrays = SOLVERS[name](params)
    _save(request["out"], arrays)
    return {}


def main() -> int:
    proto = _protocol_pipe()
    logging.disable(logging.INFO)  # ffcx/dijitso compile chatter
    try:
        import dolfinx  # noqa: F401  (import errors are reported on the first request)

        ready = {"ready": True, "dolfinx": dolfinx.__version__}
    except Exception as err:  # noqa: BLE001
        ready = {"ready": False, "error": f"{type(err).__name__}: {err}"}
    proto.write(json.dumps(ready) + "\n")
    if not ready["ready"]:
        return 1
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        start = time.perf_counter()
        try:
            answer = {"ok": True, **handle(request)}
        except Exception as err:  # noqa: BLE001  (reported to the parent, the worker lives on)
            traceback.print_exc(file=sys.stderr)
            answer = {"ok": False, "error": f"{type(err).__name__}: {err}"}
        answer.update(id=request.get("id"), seconds=time.perf_counter() - start)
        proto.write(json.dumps(answer) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
