"""Darcy: the constant-permeability case against the series solution; flux balance; the data set."""

import numpy as np
import pytest

from pdes.fenics import datasets, runner
from pdes.fenics.datasets import darcy
from pipelines import contract

pytestmark = pytest.mark.skipif(not runner.available(), reason="DOLFINx not installed (make setup installs it)")


def series_solution(x, y, terms=201):
    """-lap u = 1 on the unit square, u = 0 on the boundary (double sine series)."""
    m = np.arange(1, terms + 1, 2)
    M, N = np.meshgrid(m, m, indexing="ij")
    coef = 16.0 / (np.pi**4 * M * N * (M**2 + N**2))
    return float(np.sum(coef * np.sin(M * np.pi * x) * np.sin(N * np.pi * y)))


@pytest.fixture(scope="module")
def constant_case():
    a = 4.0
    out = runner.solve("darcy", {"permeability": np.full((8, 8), a), "mesh_size": 0.03})
    return a, out


def test_constant_permeability_matches_the_series_solution(constant_case):
    a, out = constant_case
    coords, u = out["coords"], out["u"]
    picks = np.argsort(np.abs(coords[:, 0] - 0.5) + np.abs(coords[:, 1] - 0.5))[:5]
    exact = np.array([series_solution(*coords[i]) / a for i in picks])
    np.testing.assert_allclose(u[picks], exact, rtol=2e-3)
    assert np.all(u >= -1e-12)  # maximum principle for f >= 0


def test_consistent_boundary_flux_balances_the_source(constant_case):
    _, out = constant_case
    assert float(out["flux_out"]) == pytest.approx(float(out["flux_in"]), rel=1e-8)
    # the boundary-gradient flux is only O(h) accurate: it must differ, and not by much
    assert 0.5e-3 < abs(float(out["flux_out_direct"]) - 1.0) < 0.2


def test_permeability_field_is_two_valued_with_both_phases():
    rng = np.random.default_rng(1)
    highs = [np.mean(darcy.threshold_field(rng, 32) == darcy.A_HIGH) for _ in range(64)]
    assert set(np.unique(darcy.threshold_field(rng, 16))) <= {darcy.A_HIGH, darcy.A_LOW}
    assert 0.4 < np.mean(highs) < 0.6  # the field has mean zero: phases equally likely


def test_grid_values_evaluate_the_p1_function_exactly():
    out = runner.solve("darcy", {"permeability": np.ones((4, 4)), "mesh_size": 0.2})
    coords, cells = out["coords"], out["cells"]
    linear = 1.0 + 2.0 * coords[:, 0] - 3.0 * coords[:, 1]
    grid = darcy.grid_values(coords, cells, linear, 9)
    xs = np.linspace(0, 1, 9)
    X, Y = np.meshgrid(xs, xs, indexing="xy")
    np.testing.assert_allclose(grid, 1.0 + 2.0 * X - 3.0 * Y, atol=1e-9)


def test_a_dataset_sample_is_deterministic_and_follows_the_contract(point_reads_suffice):
    ds_def = datasets.get("darcy")
    options = ds_def.options["quick"]
    p1, p2 = ds_def.sample_params(0, 3, options), ds_def.sample_params(0, 3, options)
    np.testing.assert_array_equal(p1["permeability"], p2["permeability"])
    assert not np.array_equal(p1["permeability"], ds_def.sample_params(0, 4, options)["permeability"])
    ds = ds_def.to_xarray(runner.solve(ds_def.solver, p1), p1)
    contract.validate(contract.with_provenance(ds, generator="test", config={}, seed=0))
    assert ds.u.dims == ("node",) and ds.cells.dims == ("cell", "vertex")
    point_reads_suffice("darcy", ds)  # the slim copy (scripts/pack_points.py) loses nothing
    assert ds.u_grid.shape == (options["grid"], options["grid"]) and not ds.u_grid.isnull().any()
    assert float(ds.u_grid.max()) == pytest.approx(float(ds.u.max()), rel=0.1)
    assert set(np.unique(ds.a.values)) <= {darcy.A_HIGH, darcy.A_LOW}


def test_unknown_dataset_suggests_the_closest():
    with pytest.raises(KeyError, match="did you mean 'darcy'"):
        datasets.get("darcyy")


def test_an_mpi_solve_on_two_ranks_gives_the_one_rank_solution():
    perm = np.where(np.random.default_rng(0).random((16, 16)) > 0.5, darcy.A_HIGH, darcy.A_LOW)
    params = {"permeability": perm, "mesh_size": 0.05}
    one, two = runner.solve("darcy", params), runner.solve("darcy", params, mpi_ranks=2)
    order_one = np.lexsort(np.round(one["coords"], 9).T)
    order_two = np.lexsort(np.round(two["coords"], 9).T)
    np.testing.assert_allclose(one["coords"][order_one], two["coords"][order_two], atol=1e-12)
    np.testing.assert_allclose(one["u"][order_one], two["u"][order_two], rtol=0, atol=1e-8 * one["u"].max())
    assert two["cells"].shape == one["cells"].shape
    assert float(two["flux_out"]) == pytest.approx(float(two["flux_in"]), rel=1e-8)
    with pytest.raises(runner.SolveError, match="runs on one rank only"):
        runner.solve("heat_sink", {}, mpi_ranks=2)
