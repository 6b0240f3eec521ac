"""Verification of the FEniCS solvers against independent answers, shared by tests and
``bench-pdes``: convergence orders by the method of manufactured solutions, and the other
checks each solver module provides (Kirsch, Poiseuille, flux balances)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import runner


def fitted_orders(h: Sequence[float], errors: Sequence[float]) -> np.ndarray:
    """Observed orders between successive refinements: log(e_i / e_{i+1}) / log(h_i / h_{i+1})."""
    h, e = np.asarray(h, float), np.asarray(errors, float)
    return np.log(e[:-1] / e[1:]) / np.log(h[:-1] / h[1:])


def mms_orders(degree: int, ns: Sequence[int] = (8, 16, 32)) -> dict:
    """Poisson MMS on unit-square meshes with ``ns`` cells per side, Lagrange ``degree``.

    Returns ``{"h", "l2_error", "h1_error", "order_l2", "order_h1"}``; the orders are between
    successive meshes (the last is the finest pair). Textbook: degree + 1 in L2, degree in H1.
    """
    runs = [runner.solve("poisson_mms", {"degree": degree, "n": int(n)}) for n in ns]
    out = {key: [float(r[key]) for r in runs] for key in ("h", "l2_error", "h1_error")}
    out["order_l2"] = fitted_orders(out["h"], out["l2_error"]).tolist()
    out["order_h1"] = fitted_orders(out["h"], out["h1_error"]).tolist()
    return out


# Solver checks that bench-pdes runs: each ``check(profile) -> list[Record-like]``; solver
# modules' parent-side checks are appended here.
CHECKS: list = []
