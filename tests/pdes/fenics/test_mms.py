"""Method of manufactured solutions: P1 and P2 Lagrange converge at their textbook orders."""

import numpy as np
import pytest

from pdes.fenics import runner

pytestmark = pytest.mark.skipif(not runner.available(), reason="DOLFINx not installed (make setup installs it)")


def observed_orders(degree, ns=(8, 16, 32)):
    runs = [runner.solve("poisson_mms", {"degree": degree, "n": n}) for n in ns]
    h = np.array([float(r["h"]) for r in runs])
    fit = {}
    for norm in ("l2_error", "h1_error"):
        e = np.array([float(r[norm]) for r in runs])
        fit[norm] = np.log(e[:-1] / e[1:]) / np.log(h[:-1] / h[1:])
    return fit


@pytest.mark.parametrize("degree, l2_order, h1_order", [(1, 2, 1), (2, 3, 2)])
def test_lagrange_orders(degree, l2_order, h1_order):
    orders = observed_orders(degree)
    # the finest pair is in the asymptotic range
    assert abs(orders["l2_error"][-1] - l2_order) < 0.1, orders
    assert abs(orders["h1_error"][-1] - h1_order) < 0.1, orders
