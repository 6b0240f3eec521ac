"""The IPCS Navier-Stokes solvers (``poiseuille``, ``channel_flow``) and the channel_flow data set.

Verification: the steady Poiseuille flow is in the P2/P1 spaces, so the only error left is how far
from steady the run stops; DFG 2D-1 (Schaefer & Turek 1996) drag and lift on a coarse mesh; mass
balance; determinism; clear failures.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from pdes.fenics import runner

pytestmark = pytest.mark.skipif(not runner.available(), reason="DOLFINx (python3-dolfinx) is not installed")


def test_poiseuille_reaches_the_exact_steady_state():
    nu, height, tol = 1.0, 1.0, 1e-6
    out = runner.solve("poiseuille", {"length": 2.0, "height": height, "nu": nu, "dp": 16.0,
                                      "nx": 16, "ny": 8, "dt": 0.005, "tol": tol, "max_steps": 2000})
    assert float(out["u_max"]) == pytest.approx(1.0)
    # stopped at max|du/dt| < tol U_max: the distance to the (exact) discrete steady state is
    # about tol / (slowest decay rate nu pi^2 / H^2) ~ 1e-7
    bound = 2 * tol / (nu * math.pi**2 / height**2)
    assert float(out["u_rel_error"]) < bound
    assert float(out["p_rel_error"]) < bound
    assert 10 < int(out["steps"]) < 2000


@pytest.fixture(scope="module")
def dfg():
    from pdes.fenics.datasets.channel_flow import dfg_2d1

    return dfg_2d1(h_min=0.015, h_max=0.06, cfl=0.4, t_end=4.0)


def test_dfg_2d1_drag_and_lift(dfg):
    # ~620 nodes, P2 geometry and the volume-integral force: drag within 0.1 % on this mesh;
    # lift (2e-3 of drag) is still oscillating by ~20 % at t = 4 s, so only its size is checked
    assert abs(dfg["drag_rel_error"]) < 0.01, dfg
    assert 0.005 < dfg["lift"] < 0.02, dfg


def test_dfg_2d1_mass_conservation(dfg):
    assert abs(dfg["mass_balance"]) < 1e-3, dfg  # outflow = inflow (walls and cylinder are no-slip)
    u_mean, diameter = 0.2, 0.1
    assert dfg["div_rms"] < 0.05 * u_mean / diameter, dfg  # IPCS velocity is divergence-free only weakly


def test_blow_up_is_reported_with_its_step():
    params = {"length": 2.2, "height": 0.41, "obstacles": [[0.3, 0.2, 0.05]], "u_max": 3.0, "nu": 1e-3,
              "h_min": 0.03, "h_max": 0.1, "dt": 0.1, "n_steps": 40, "n_out": 1}
    with pytest.raises(runner.SolveError, match=r"at step \d+ .*CFL number"):
        runner.solve("channel_flow", params)


def test_obstacle_cutting_the_channel_fails_clearly():
    params = {"length": 2.2, "height": 0.41, "obstacles": [[0.3, 0.2, 0.25]], "u_max": 1.0, "nu": 1e-3,
              "h_min": 0.03, "h_max": 0.1, "dt": 0.01, "n_steps": 1, "n_out": 1}
    with pytest.raises(runner.SolveError, match="gmsh failed"):
        runner.solve("channel_flow", params)


def test_draws_are_reproducible_and_valid():
    from pdes.fenics.datasets.channel_flow import CLEARANCE, DATASET, HEIGHT

    opts = DATASET.options["quick"]
    assert DATASET.sample_params(0, 5, opts) == DATASET.sample_params(0, 5, opts)
    assert DATASET.sample_params(0, 5, opts) != DATASET.sample_params(0, 6, opts)
    for index in range(50):
        params = DATASET.sample_params(1, index, opts)
        obs = np.asarray(params["obstacles"])
        assert 1 <= len(obs) <= 3
        assert np.all(obs[:, 1] - obs[:, 2] >= CLEARANCE) and np.all(obs[:, 1] + obs[:, 2] <= HEIGHT - CLEARANCE)
        for i in range(len(obs)):
            for j in range(i):
                assert math.dist(obs[i, :2], obs[j, :2]) >= obs[i, 2] + obs[j, 2] + CLEARANCE
        assert 20 <= params["reynolds"] <= 200
        assert params["n_steps"] % params["n_out"] == 0
        assert params["u_max"] * params["dt"] / params["h_min"] <= opts["cfl"] + 1e-12


def test_dataset_contract_and_determinism(point_reads_suffice):
    from pipelines.contract import validate, with_provenance

    from pdes.fenics.datasets.channel_flow import DATASET

    opts = {**DATASET.options["quick"], "flow_throughs": 0.2, "n_out": 4}
    params = DATASET.sample_params(0, 0, opts)
    first = runner.solve(DATASET.solver, params)
    second = runner.solve(DATASET.solver, DATASET.sample_params(0, 0, opts))
    for key in first.keys() - {"seconds"}:
        np.testing.assert_array_equal(first[key], second[key], err_msg=key)
    ds = DATASET.to_xarray(first, params)
    validate(with_provenance(ds, generator="test", config=opts, seed=0),
             dims={"u": ("time", "node", "component"), "p": ("time", "node"),
                   "drag_coefficient": ("time", "obstacle")})
    assert ds.sizes["time"] == 4 and ds.sizes["component"] == 2
    point_reads_suffice("channel_flow", ds)  # the slim copy (scripts/pack_points.py) loses nothing
    assert ds.sizes["obstacle"] == len(params["obstacles"])
    assert np.all(np.isfinite(ds.u.values)) and np.all(np.isfinite(ds.p.values))
    np.testing.assert_allclose(ds.time.values[-1], params["dt"] * params["n_steps"])
