"""Steady heat conduction in a 2D finned heat sink (per unit depth), P1 (or P2) Lagrange.

    -div(k grad T) = 0                  in the base plate and the fins,
    -k dT/dn = -q                       on the bottom edge (heat flux q in),
    -k dT/dn = h (T - T_amb)            on every other exterior edge (convection),

with k = k_base in the base and k_fin in the fins (continuous T and normal flux across the
interface). Weak form: find T with

    (k grad T, grad v) + <h T, v>_conv = <q, v>_bottom + <h T_amb, v>_conv   for all v.

Flux balance: there is no Dirichlet condition, so v = 1 is a test function and the discrete
solution satisfies <h (T - T_amb), 1>_conv = <q, 1>_bottom exactly (up to the linear solve's
round-off) when both sides are assembled with the same boundary quadrature: ``heat_out`` and
``heat_in`` below. The flux of the solution itself, ``flux_bottom`` = <-k dT_h/dn, 1>_bottom,
matches ``heat_in`` only to discretisation error.
"""

from __future__ import annotations

import numpy as np
import ufl

import dfx
import geometry

from . import solver


@solver("heat_sink")
def heat_sink(params: dict) -> dict:
    """Params: ``mesh_size`` (m); ``width`` and ``base_height`` of the base plate (m); ``fins``
    ((n_fins, 3) rows (x_left, width, height), m; empty for a bare plate); ``k_base``,
    ``k_fin`` (W/m/K); ``q`` (W/m^2, into the bottom edge); ``h`` (W/m^2/K); ``T_amb`` (K);
    ``insulated_sides`` (False: the plate's two vertical ends convect too; True: they are
    adiabatic); ``degree`` (1).

    Returns ``coords``, ``cells``, ``T`` (K, at the P1 nodes), ``heat_in`` = q * width and
    ``heat_out`` = convected heat (W/m), ``flux_bottom`` (W/m), ``T_max``, ``T_min`` (K over
    the nodes), ``n_dofs``.
    """
    size = float(params["mesh_size"])
    width, base_height = float(params["width"]), float(params["base_height"])
    fins = np.asarray(params.get("fins", np.zeros((0, 3))), float).reshape(-1, 3)
    k_base, k_fin = float(params["k_base"]), float(params.get("k_fin", params["k_base"]))
    q, h, T_amb = float(params["q"]), float(params["h"]), float(params["T_amb"])
    degree = int(params.get("degree", 1))
    if min(k_base, k_fin, h) <= 0:
        raise ValueError(f"need positive k_base, k_fin and h, got {k_base}, {k_fin}, {h}")
    msh, ct, ft = geometry.finned_plate(width, base_height, fins, size)
    convective = (geometry.OUTER,) if params.get("insulated_sides", False) else (geometry.OUTER, geometry.ENDS)
    V = dfx.scalar_space(msh, "Lagrange", degree)
    T, v = ufl.TrialFunction(V), ufl.TestFunction(V)
    dx = ufl.Measure("dx", domain=msh, subdomain_data=ct)
    ds = ufl.Measure("ds", domain=msh, subdomain_data=ft)
    ds_conv = ds(convective)
    kc = {geometry.BASE: dfx.constant(msh, k_base), geometry.FIN: dfx.constant(msh, k_fin)}
    qc, hc, Tc = dfx.constant(msh, q), dfx.constant(msh, h), dfx.constant(msh, T_amb)
    a = sum(kc[tag] * ufl.inner(ufl.grad(T), ufl.grad(v)) * dx(tag) for tag in kc) + hc * T * v * ds_conv
    L = qc * v * ds(geometry.BOTTOM) + hc * Tc * v * ds_conv
    Th = dfx.solve_linear(a, L, [])
    if not np.all(np.isfinite(Th.x.array)):
        raise RuntimeError("the temperature has non-finite values (singular conduction matrix?)")
    n = ufl.FacetNormal(msh)
    heat_in = dfx.assemble_scalar(qc * ds(geometry.BOTTOM))
    heat_out = dfx.assemble_scalar(hc * (Th - Tc) * ds_conv)
    flux_bottom = dfx.assemble_scalar(kc[geometry.BASE] * ufl.dot(ufl.grad(Th), n) * ds(geometry.BOTTOM))
    V1, coords, cells = dfx.p1_nodes(msh)
    T_nodes = dfx.nodal_values(Th, V1)
    return {"coords": coords, "cells": cells, "T": T_nodes, "heat_in": heat_in, "heat_out": heat_out,
            "flux_bottom": flux_bottom, "T_max": T_nodes.max(), "T_min": T_nodes.min(),
            "n_dofs": V.dofmap.index_map.size_global}
