"""Heat sink: flux balance, the 1D-reducible plate against the exact linear profile, the
maximum principle, and the data set."""

import numpy as np
import pytest

from pdes.fenics import runner
from pdes.fenics.datasets import heat_sink
from pipelines import contract

pytestmark = pytest.mark.skipif(not runner.available(), reason="DOLFINx not installed (make setup installs it)")

DATASET = heat_sink.DATASET
OPTIONS = DATASET.options["quick"]


@pytest.fixture(scope="module")
def sample():
    params = DATASET.sample_params(0, 1, OPTIONS)
    return params, runner.solve(DATASET.solver, params)


def test_heat_in_equals_heat_out(sample):
    # v = 1 is a test function (no Dirichlet condition), so the discrete equations themselves
    # say <h (T_h - T_amb), 1>_conv = <q, 1>_bottom: equality to round-off, not to h^p
    params, out = sample
    heat_in, heat_out = float(out["heat_in"]), float(out["heat_out"])
    assert heat_in == pytest.approx(params["q"] * params["width"], rel=1e-12)
    assert heat_out == pytest.approx(heat_in, rel=1e-8)
    # the flux of the P1 solution's gradient is right only to discretisation error, O(h)
    flux = float(out["flux_bottom"])
    assert flux == pytest.approx(heat_in, rel=0.05)
    assert abs(flux - heat_in) > 1e-8 * heat_in


def test_maximum_principle(sample):
    params, out = sample
    assert float(out["T_min"]) >= params["T_amb"]
    assert float(out["T_max"]) > float(out["T_min"])
    # no heat in: the sink sits at the ambient temperature
    cold = runner.solve(DATASET.solver, {**params, "q": 0.0})
    np.testing.assert_allclose(cold["T"], params["T_amb"], rtol=1e-12)


def test_bare_plate_with_insulated_ends_is_one_dimensional():
    k, q, h, T_amb, H = 150.0, 5e3, 40.0, 300.0, 0.01
    out = runner.solve("heat_sink", {"mesh_size": 2e-3, "width": 0.05, "base_height": H, "fins": np.zeros((0, 3)),
                                     "k_base": k, "q": q, "h": h, "T_amb": T_amb, "insulated_sides": True})
    y = out["coords"][:, 1]
    exact = T_amb + q / h + q * (H - y) / k  # -k T' = q, -k T'(H) = h (T(H) - T_amb)
    np.testing.assert_allclose(out["T"] - T_amb, exact - T_amb, rtol=1e-9)
    assert float(out["flux_bottom"]) == pytest.approx(q * 0.05, rel=1e-9)  # P1 is exact here


def test_overlapping_fins_are_a_clear_error():
    with pytest.raises(runner.SolveError, match="fins must be"):
        runner.solve("heat_sink", {"mesh_size": 2e-3, "width": 0.1, "base_height": 0.005,
                                   "fins": np.array([[0.01, 0.02, 0.02], [0.02, 0.02, 0.02]]),
                                   "k_base": 100.0, "q": 1e3, "h": 10.0, "T_amb": 300.0})


def test_dataset_sample_is_a_valid_contract_dataset_and_deterministic(sample, point_reads_suffice):
    params, out = sample
    again = DATASET.sample_params(0, 1, OPTIONS)
    assert all(np.array_equal(np.asarray(params[k]), np.asarray(again[k])) for k in params)
    assert 3 <= len(params["fins"]) <= 8
    second = runner.solve(DATASET.solver, again)
    for key in ("coords", "cells", "T"):
        np.testing.assert_array_equal(out[key], second[key])
    ds = DATASET.to_xarray(out, params)
    contract.validate(contract.with_provenance(ds, generator="test", config=dict(OPTIONS), seed=0),
                      dims={"T": ("node",), "fin_height": ("fin",), "cells": ("cell", "vertex")})
    assert ds["T"].attrs["units"] == "K" and ds["heat_in"].attrs["units"] == "W m-1"
    point_reads_suffice("heat_sink", ds)  # the slim copy (scripts/pack_points.py) loses nothing
