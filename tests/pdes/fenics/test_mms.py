"""Method of manufactured solutions: P1 and P2 Lagrange converge at their textbook orders."""

import pytest

from pdes.fenics import runner, verify

pytestmark = pytest.mark.skipif(not runner.available(), reason="DOLFINx not installed (make setup installs it)")


@pytest.mark.parametrize("degree, l2_order, h1_order", [(1, 2, 1), (2, 3, 2)])
def test_lagrange_orders(degree, l2_order, h1_order):
    orders = verify.mms_orders(degree)
    # the finest pair is in the asymptotic range
    assert abs(orders["order_l2"][-1] - l2_order) < 0.1, orders
    assert abs(orders["order_h1"][-1] - h1_order) < 0.1, orders
    assert orders["l2_error"][-1] < orders["l2_error"][0] / 10
