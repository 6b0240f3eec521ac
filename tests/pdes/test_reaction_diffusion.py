"""Reaction-diffusion: Strang splitting is second order, and exact when one part is off."""

import json

import numpy as np

from pdes import problems
from pdes.problems.reaction_diffusion import StrangOptions

rd = problems.get("reaction_diffusion")


def _final(dt, nx=64, params=None):
    return rd.with_options(dt=dt).reference(nx, 2, params=params).u.values[-1]


def test_strang_splitting_is_second_order():
    reference = _final(1 / 2048)
    dts = np.array([1 / 16, 1 / 32, 1 / 64, 1 / 128])
    errors = np.array([np.abs(_final(dt) - reference).max() for dt in dts])
    slope = np.polyfit(np.log(dts), np.log(errors), 1)[0]
    assert 1.8 < slope < 2.2, (errors, slope)


def test_without_diffusion_it_is_the_logistic_flow():
    ds = rd.with_options(dt=0.05).reference(64, 5, params={"nu": 0.0})
    exact = problems.get("reaction").exact(ds.x.values[None], ds.t.values[:, None], {"rho": 5.0})
    np.testing.assert_allclose(ds.u, exact, atol=1e-13)


def test_without_reaction_the_mean_is_conserved_and_extremes_shrink():
    ds = rd.with_options(dt=0.05).reference(64, 5, params={"rho": 0.0})
    np.testing.assert_allclose(ds.u.mean("x"), float(ds.u[0].mean()), rtol=1e-13)
    assert (ds.u.max("x").diff("t") < 0).all()


def test_options_record_the_step_used():
    ds = rd.with_options(dt=0.03).reference(16, 3)
    assert ds.attrs["method"].startswith("Strang")
    assert json.loads(ds.attrs["method_options"])["dt"] == 0.5 / 17  # divides the interval 0.5
    assert StrangOptions().dt == 1e-4
