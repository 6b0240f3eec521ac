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


def kirsch(mesh_size: float) -> dict:
    """Quarter plate with a hole under the exact Kirsch traction: stress concentration factor
    (exact 3) and the relative L2 error of the stress field against Kirsch."""
    out = runner.solve("kirsch", {"mesh_size": float(mesh_size)})
    return {"scf": float(out["scf"]), "stress_l2_error": float(out["stress_l2_error"]),
            "nodes": int(out["coords"].shape[0]) if "coords" in out else None}


def heat_balance(seed: int = 0, options: dict | None = None) -> dict:
    """One heat-sink sample: heat in through the base against heat out by convection."""
    from .datasets import heat_sink

    params = heat_sink.DATASET.sample_params(seed, 0, options or heat_sink.DATASET.options["quick"])
    out = runner.solve("heat_sink", params)
    heat_in, heat_out = float(out["heat_in"]), float(out["heat_out"])
    return {"heat_in": heat_in, "heat_out": heat_out, "rel_err": abs(heat_in - heat_out) / abs(heat_in),
            "gradient_flux_rel_err": abs(float(out["flux_bottom"]) - heat_in) / abs(heat_in)}


def poiseuille(tol: float = 1e-6) -> dict:
    """Pressure-driven flow in an empty channel run to steady state (IPCS, P2/P1): relative L2
    errors of u and p against the exact parabola and linear pressure. P2/P1 contains the exact
    solution, so what remains is the steady-state tolerance, about tol / (nu pi^2 / H^2)."""
    out = runner.solve("poiseuille", {"length": 2.0, "height": 1.0, "nu": 1.0, "dp": 16.0, "nx": 16, "ny": 8,
                                      "dt": 0.005, "tol": float(tol), "max_steps": 4000})
    return {"u_rel_error": float(out["u_rel_error"]), "p_rel_error": float(out["p_rel_error"]),
            "steps": int(out["steps"]), "tol": tol}
