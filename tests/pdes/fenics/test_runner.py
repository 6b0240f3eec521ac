"""The FEniCS worker protocol: arrays round trip, errors, time limits, a missing interpreter."""

import numpy as np
import pytest

from pdes.fenics import runner

pytestmark = pytest.mark.skipif(not runner.available(), reason="DOLFINx not installed (make setup installs it)")


def test_check_names_a_dolfinx_version():
    assert runner.check().startswith("0.")


def test_arrays_and_scalars_round_trip_exactly():
    rng = np.random.default_rng(0)
    field = rng.standard_normal((7, 5))
    out = runner.solve("echo", {"field": field, "n": 3, "name": "x"})
    np.testing.assert_array_equal(out["field"], field)
    assert out["n"] == 3 and str(out["name"]) == "x"
    assert float(out["seconds"]) >= 0


def test_a_failing_solve_raises_its_reason_and_the_next_solve_works():
    with pytest.raises(runner.SolveError, match="asked to fail: on purpose"):
        runner.solve("echo", {"fail": "on purpose"})
    with pytest.raises(runner.SolveError, match="unknown solver 'nope'"):
        runner.solve("nope", {})
    assert runner.solve("echo", {"n": 1})["n"] == 1


def test_a_timeout_kills_the_worker_and_the_next_solve_starts_a_new_one():
    with runner.FenicsWorker() as worker:
        with pytest.raises(runner.SolveError, match="timeout"):
            worker.solve("echo", {"sleep": 30}, timeout=1.0)
        assert worker.solve("echo", {"n": 2})["n"] == 2


def test_a_missing_interpreter_is_one_line_naming_it_and_the_fix(tmp_path):
    missing = str(tmp_path / "no-python")
    with pytest.raises(runner.FenicsUnavailable) as err:
        runner.FenicsWorker(missing).solve("echo", {})
    message = str(err.value)
    assert "\n" not in message and missing in message and "python3-dolfinx" in message


def test_an_interpreter_without_dolfinx_is_reported(tmp_path, monkeypatch):
    import sys

    monkeypatch.setenv("FENICS_PYTHON", sys.executable)  # the venv's python has no dolfinx
    with pytest.raises(runner.FenicsUnavailable, match="DOLFINx is not available"):
        runner.check()


def test_solves_leave_petsc_options_as_they_found_them():
    # PETSc's options database holds 512 entries: a worker that leaks a few per solve fails
    # after a few hundred samples (DOLFINx 0.5's LinearProblem does)
    before = int(runner.solve("petsc_options", {})["n_options"])
    for _ in range(3):
        runner.solve("darcy", {"permeability": np.ones((4, 4)), "mesh_size": 0.25})
        runner.solve("poisson_mms", {"degree": 1, "n": 4})
    assert int(runner.solve("petsc_options", {})["n_options"]) == before
