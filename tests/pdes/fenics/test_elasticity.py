"""Plane elasticity: Kirsch's plate with a hole (stress concentration, P2 convergence), the
uniform-tension patch test, and the Geo-FNO elasticity data set."""

import numpy as np
import pytest

from pdes.fenics import runner
from pdes.fenics.datasets import elasticity
from pipelines import contract

pytestmark = pytest.mark.skipif(not runner.available(), reason="DOLFINx not installed (make setup installs it)")

SIZES = (0.1, 0.05, 0.025)


@pytest.fixture(scope="module")
def kirsch_runs():
    return [runner.solve("kirsch", {"mesh_size": h}) for h in SIZES]


def test_kirsch_stress_concentration_factor_is_three(kirsch_runs):
    scf = float(kirsch_runs[0]["scf"])
    assert scf == pytest.approx(3.0, rel=0.02)
    assert float(kirsch_runs[-1]["scf"]) == pytest.approx(3.0, rel=2e-3)
    # the maximum of sigma_xx is at the top of the hole
    assert float(kirsch_runs[0]["sigma_xx_max"]) == pytest.approx(scf, rel=1e-12)


def test_kirsch_stress_error_is_second_order(kirsch_runs):
    l2 = np.array([float(r["stress_l2_error"]) for r in kirsch_runs])
    peak = np.array([float(r["stress_max_error"]) for r in kirsch_runs])
    assert np.all(np.diff(l2) < 0) and np.all(np.diff(peak) < 0)
    order = np.polyfit(np.log(SIZES), np.log(l2), 1)[0]
    assert order > 1.7, f"L2 stress error order {order:.2f} (expected ~2 for P2), errors {l2}"
    assert l2[-1] < 1e-3


def test_uniform_tension_patch_test():
    E, nu, t = 1.0e6, 0.3, 250.0
    out = runner.solve("elasticity_void", {"mesh_size": 0.25, "rho_cos": np.zeros(0), "rho_sin": np.zeros(0),
                                           "E": E, "nu": nu, "traction": t, "bottom": "roller"})
    x, y = out["coords"].T
    np.testing.assert_allclose(out["sigma_yy"], t, rtol=1e-9)
    np.testing.assert_allclose(out["von_mises"], t, rtol=1e-9)
    np.testing.assert_allclose(out["sigma_xx"], 0.0, atol=1e-9 * t)
    np.testing.assert_allclose(out["sigma_xy"], 0.0, atol=1e-9 * t)
    exact = np.stack([-nu * t * x / E, t * y / E], axis=1)
    np.testing.assert_allclose(out["displacement"], exact, atol=1e-9 * t / E)


def test_unknown_support_is_a_clear_error():
    with pytest.raises(runner.SolveError, match="unknown bottom support"):
        runner.solve("elasticity_void", {"mesh_size": 0.5, "E": 1.0, "nu": 0.3, "traction": 1.0, "bottom": "glued"})


def test_void_radius_law():
    rng = np.random.default_rng(0)
    a, b = elasticity.rho_coefficients(rng, 16)
    assert a.shape == b.shape == (17,) and a[0] == b[0] == 0.0  # no constant: Geo-FNO's ten coefficients
    # the KL variances: 4^2 / (pi (k^2 + 9)) for k >= 1, 4^2 / (2 pi 9) for the constant
    draws = np.stack([np.concatenate(elasticity.rho_coefficients(rng, 4, constant=True)) for _ in range(4000)])
    var = draws.var(axis=0)
    np.testing.assert_allclose(var[1:5], 16 / (np.pi * (np.arange(1, 5) ** 2 + 9)), rtol=0.1)
    np.testing.assert_allclose(var[0], 16 / (2 * np.pi * 9), rtol=0.1)
    params = elasticity.DATASET.sample_params(0, 0, elasticity.DATASET.options["full"])
    assert len(params["rho_cos"]) == 6 and params["rho_cos"][0] == 0.0  # the full profile: K = 5


def test_dataset_sample_is_a_valid_contract_dataset_and_deterministic(point_reads_suffice):
    ds_def = elasticity.DATASET
    options = ds_def.options["quick"]
    params = ds_def.sample_params(0, 3, options)
    again = ds_def.sample_params(0, 3, options)
    assert all(np.array_equal(np.asarray(params[k]), np.asarray(again[k])) for k in params)
    assert not np.array_equal(params["rho_cos"], ds_def.sample_params(0, 4, options)["rho_cos"])
    first = runner.solve(ds_def.solver, params)
    second = runner.solve(ds_def.solver, again)
    for key in ("coords", "cells", "von_mises", "displacement", "radius"):
        np.testing.assert_array_equal(first[key], second[key])
    ds = ds_def.to_xarray(first, params)
    contract.validate(contract.with_provenance(ds, generator="test", config=dict(options), seed=0),
                      dims={"von_mises": ("node",), "displacement": ("node", "component"),
                            "radius": ("theta",), "cells": ("cell", "vertex")})
    radius = ds["radius"].values
    point_reads_suffice("elasticity", ds)  # the slim copy (scripts/pack_points.py) loses nothing
    assert np.all((radius > 0.2) & (radius < 0.4))
    assert np.all(np.isfinite(ds["von_mises"].values)) and float(ds["von_mises"].min()) >= 0
    # no node inside the void
    centre = np.hypot(ds["x"].values - 0.5, ds["y"].values - 0.5)
    assert centre.min() > 0.2 - 1e-9
    # graded as Geo-FNO's clouds: nodes near the void are closer together than far from it
    xy = np.stack([ds["x"].values, ds["y"].values], 1)
    spacing = np.sort(np.linalg.norm(xy[:, None] - xy[None], axis=-1), axis=1)[:, 1]
    gap = centre - np.interp(np.arctan2(xy[:, 1] - 0.5, xy[:, 0] - 0.5) % (2 * np.pi),
                             ds["theta"].values, radius, period=2 * np.pi)
    near, far = np.median(spacing[gap < 0.02]), np.median(spacing[gap > 0.2])
    assert near < 0.5 * far, (near, far)
