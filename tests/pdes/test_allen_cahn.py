"""Allen-Cahn reference: the features the solution must have."""

import numpy as np
import pytest

from pdes import problems

allen_cahn = problems.get("allen_cahn")


@pytest.fixture(scope="module")
def reference():
    # a coarse version of the default: 128 saved points on 512 modes, 11 times
    return allen_cahn.reference(128, 11)


def test_stays_within_the_wells(reference):
    assert np.abs(reference.u).max() <= 1 + 1e-6


def test_is_even_in_x(reference):
    u = reference.u.values
    # x_j = -1 + 2 j / n mirrors to x_{n - j}; x_0 = -1 is its own mirror (periodicity)
    np.testing.assert_allclose(u[:, 1:], u[:, :0:-1], atol=1e-12)


def test_settles_into_the_wells(reference):
    # the double well drives u to +-1 except in thin interfaces; at t = 1 most points are there
    final = np.abs(reference.u.values[-1])
    assert np.mean(final > 0.95) > 0.7
    assert reference.attrs["method"].startswith("ETDRK4")


def test_default_grid_and_resolution():
    assert allen_cahn.grid == (512, 201)
    assert allen_cahn.options.oversample * allen_cahn.grid[0] == 2048
