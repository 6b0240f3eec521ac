"""Run FEniCS (DOLFINx) solves in worker processes under the FEniCS interpreter.

DOLFINx from Debian (``python3-dolfinx``) is built for the system Python and its NumPy 1.x,
which cannot share a process with JAX's NumPy 2. So solves run in a separate, long-lived
process (``FENICS_PYTHON``, default ``/usr/bin/python3``) that imports only NumPy and the
FEniCS stack, and hands arrays back through ``.npz`` files; this side needs only NumPy.

>>> from pdes.fenics import runner
>>> runner.check()                                   # '0.5.2', or FenicsUnavailable with the fix
>>> out = runner.solve("poisson_mms", {"degree": 1, "n": 16})
>>> float(out["l2_error"])

One worker per process is started on first use and kept (import and JIT-compiled forms are
paid once); :class:`FenicsWorker` gives explicit control. A solve that raises in the worker
raises :class:`SolveError` here with the worker's one-line reason; a failed solve, or one that
exceeds its time limit, ends the worker, and the next solve starts a fresh one (so a failure
never leaves PETSc state behind for the next sample).
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import select
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

WORKER_DIR = Path(__file__).resolve().parent / "worker"
DEFAULT_PYTHON = "/usr/bin/python3"
INSTALL_HINT = ("install it with `sudo apt-get install python3-dolfinx python3-gmsh` (Debian/Ubuntu; "
                "`make setup` does this when it can), or set FENICS_PYTHON to an interpreter that "
                "imports dolfinx 0.5")

__all__ = ["FenicsUnavailable", "FenicsWorker", "SolveError", "check", "fenics_python", "solve"]


class FenicsUnavailable(RuntimeError):
    """No interpreter that can import DOLFINx; the message says what to install."""


class SolveError(RuntimeError):
    """A solve failed in the worker (no convergence, bad mesh, timeout); message = reason."""


def fenics_python() -> str:
    """The FEniCS interpreter: ``$FENICS_PYTHON`` or ``/usr/bin/python3``."""
    return os.environ.get("FENICS_PYTHON") or DEFAULT_PYTHON


@functools.lru_cache(maxsize=None)
def _probe(python: str) -> str:
    if not Path(python).exists():
        raise FenicsUnavailable(f"DOLFINx is not available: FENICS_PYTHON={python} does not exist; {INSTALL_HINT}")
    code = "import dolfinx, ufl, gmsh; print(dolfinx.__version__)"
    try:
        done = subprocess.run([python, "-s", "-E", "-c", code], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise FenicsUnavailable(f"DOLFINx is not available: {python} failed to start ({err}); {INSTALL_HINT}") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise FenicsUnavailable(f"DOLFINx is not available to {python} ({last}); {INSTALL_HINT}")
    return done.stdout.strip()


def check() -> str:
    """The DOLFINx version the worker will use; raises :class:`FenicsUnavailable` (one line) if none."""
    return _probe(fenics_python())


def available() -> bool:
    try:
        check()
    except FenicsUnavailable:
        return False
    return True


class FenicsWorker:
    """One long-lived FEniCS worker process.

    Args:
        python: the FEniCS interpreter (default :func:`fenics_python`).
        timeout: default seconds a solve may take before the worker is killed.
        mpi_ranks: >1 starts the worker under ``mpirun -n mpi_ranks`` for large single solves:
            each solve is distributed over the ranks (solvers registered with ``mpi=True``;
            the others refuse with a clear error).
    """

    def __init__(self, python: str | None = None, timeout: float = 600.0, mpi_ranks: int = 1):
        if int(mpi_ranks) < 1:
            raise ValueError(f"mpi_ranks must be >= 1, got {mpi_ranks}")
        self.python = python or fenics_python()
        self.timeout = timeout
        self.mpi_ranks = int(mpi_ranks)
        self._proc: subprocess.Popen | None = None
        self._tmp = tempfile.TemporaryDirectory(prefix="fenics-worker-")
        self._log = open(Path(self._tmp.name) / "worker.log", "w+b")  # noqa: SIM115
        self._count = 0
        self._lock = threading.Lock()
        self.version: str | None = None

    # -- process management --
    def _start(self) -> None:
        _probe(self.python)
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
        env.setdefault("OMP_NUM_THREADS", "1")
        command = [self.python, "-s", "-E", str(WORKER_DIR / "serve.py")]
        if self.mpi_ranks > 1:
            command = _mpirun(self.mpi_ranks) + command
        self._proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, cwd=self._tmp.name,
            env=env, text=True, bufsize=1,
        )
        ready = self._read_line(120.0)
        if not ready.get("ready"):
            self.close()
            raise FenicsUnavailable(f"the FEniCS worker could not start: {ready.get('error')}; {INSTALL_HINT}")
        self.version = ready["dolfinx"]

    def _read_line(self, timeout: float) -> dict:
        assert self._proc is not None and self._proc.stdout is not None
        ready, _, _ = select.select([self._proc.stdout], [], [], timeout)
        if not ready:
            self.close()
            raise SolveError(f"timeout: no answer from the FEniCS worker within {timeout:.0f} s")
        line = self._proc.stdout.readline()
        if not line:
            code = self._proc.wait()
            tail = self.log_tail()
            self.close()
            raise SolveError(f"the FEniCS worker died (exit {code}): {tail}")
        return json.loads(line)

    def log_tail(self, n: int = 1) -> str:
        """The last ``n`` non-empty lines the worker wrote to stderr."""
        self._log.flush()
        self._log.seek(0)
        lines = [ln for ln in self._log.read().decode(errors="replace").splitlines() if ln.strip()]
        self._log.seek(0, os.SEEK_END)
        return " | ".join(lines[-n:]) if lines else "(no output)"

    def close(self) -> None:
        if self._proc is not None:
            if self._proc.poll() is None:
                try:
                    self._proc.stdin.close()
                    self._proc.wait(timeout=5)
                except (OSError, subprocess.TimeoutExpired):
                    self._proc.kill()
                    self._proc.wait()
            self._proc = None

    def __enter__(self) -> FenicsWorker:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001
            pass

    # -- solving --
    def solve(self, solver: str, params: dict[str, Any] | None = None, *, timeout: float | None = None) -> dict[str, np.ndarray]:
        """Run ``solver`` with ``params``; arrays in ``params`` travel in an input ``.npz``.

        Returns the solver's arrays plus ``seconds`` (wall time in the worker).
        Raises :class:`SolveError` with the worker's reason on failure.
        """
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._start()
            self._count += 1
            tmp = Path(self._tmp.name)
            out = tmp / f"out-{self._count}.npz"
            scalars, arrays = {}, {}
            for key, value in (params or {}).items():
                if isinstance(value, np.ndarray) and value.ndim > 0:
                    arrays[key] = value
                else:
                    scalars[key] = value.item() if isinstance(value, np.generic | np.ndarray) else value
            inputs = None
            if arrays:
                inputs = tmp / f"in-{self._count}.npz"
                np.savez(inputs, **arrays)
            request = {"id": self._count, "solver": solver, "params": scalars,
                       "inputs": str(inputs) if inputs else None, "out": str(out)}
            start = time.perf_counter()
            self._proc.stdin.write(json.dumps(request) + "\n")
            self._proc.stdin.flush()
            answer = self._read_line(timeout or self.timeout)
            if inputs:
                inputs.unlink(missing_ok=True)
            if not answer.get("ok"):
                # A failed solve may leave PETSc or gmsh state behind (options, prefixes, open
                # models): the next solve gets a fresh worker, so one failure never spreads.
                self.close()
                raise SolveError(answer.get("error", "unknown error"))
            with np.load(out) as data:
                result = {k: data[k] for k in data.files}
            out.unlink()
            result["seconds"] = np.asarray(answer.get("seconds", time.perf_counter() - start))
            return result


def _mpirun(ranks: int) -> list[str]:
    mpirun = shutil.which("mpirun") or shutil.which("mpiexec")
    if mpirun is None:
        raise FenicsUnavailable(f"mpi_ranks={ranks} needs mpirun, which is not on PATH; install openmpi-bin")
    command = [mpirun, "-n", str(ranks)]
    if "Open MPI" in subprocess.run([mpirun, "--version"], capture_output=True, text=True).stdout:
        command += ["--oversubscribe"] + (["--allow-run-as-root"] if os.geteuid() == 0 else [])
    return command


_WORKERS: dict[tuple[str, int], FenicsWorker] = {}


def _shared_worker(mpi_ranks: int = 1) -> FenicsWorker:
    key = (fenics_python(), int(mpi_ranks))
    if key not in _WORKERS:
        _WORKERS[key] = FenicsWorker(key[0], mpi_ranks=key[1])
    return _WORKERS[key]


def solve(solver: str, params: dict[str, Any] | None = None, *, timeout: float | None = None,
          mpi_ranks: int = 1) -> dict[str, np.ndarray]:
    """Solve with this process's shared worker for ``mpi_ranks`` (started on first use); see
    :meth:`FenicsWorker.solve`."""
    return _shared_worker(mpi_ranks).solve(solver, params, timeout=timeout)


@atexit.register
def close_all() -> None:
    """Stop this process's shared workers (Dask runs this on its workers before closing)."""
    for worker in _WORKERS.values():
        worker.close()
