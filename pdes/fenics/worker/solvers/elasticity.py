"""Plane-stress linear elasticity with P2 displacements on gmsh meshes.

-div sigma(u) = 0,  sigma = 2 mu eps(u) + lambda* tr(eps(u)) I,  lambda* = E nu / (1 - nu^2)

(plane stress: a thin sheet, sigma_zz = 0). Stresses of the P2 displacement are cell-wise
linear; fields are handed back at the P1 nodes as area-weighted averages of the cell values
(:func:`dfx.nodal_average`), and von Mises is sqrt(sxx^2 - sxx syy + syy^2 + 3 sxy^2).

Solvers:

* ``kirsch``: the quarter [0, L]^2 of a plate with a circular hole of radius a under remote
  tension sigma0 in x. Symmetry (u_x = 0 on x = 0, u_y = 0 on y = 0), a traction-free hole, and
  the exact Kirsch traction sigma_K n on x = L and y = L, so that the Kirsch field is the exact
  solution on this finite domain and the error is discretisation error only.
* ``elasticity_void``: the Geo-FNO / NUNO unit cell [0, 1]^2 with a void at (0.5, 0.5) whose
  radius is r(theta) = 0.2 + 0.2 / (1 + exp(rho(theta))), rho a truncated Fourier series; the
  bottom edge clamped and a traction (0, t) on the top edge.
"""

from __future__ import annotations

import numpy as np
import ufl

import dfx
import geometry

from . import solver


def _sigma(u, msh, E: float, nu: float):
    """Plane-stress stress of ``u``; the moduli are Constants, so one compiled form serves all."""
    mu = dfx.constant(msh, E / (2 * (1 + nu)))
    lam = dfx.constant(msh, E * nu / (1 - nu**2))
    eps = ufl.sym(ufl.grad(u))
    return 2 * mu * eps + lam * ufl.tr(eps) * ufl.Identity(2)


def _von_mises(s):
    return ufl.sqrt(s[0, 0] ** 2 - s[0, 0] * s[1, 1] + s[1, 1] ** 2 + 3 * s[0, 1] ** 2)


def _solve(msh, facet_tags, E, nu, traction, bcs_for):
    """P2 displacement with ``traction`` = {facet tag: UFL vector} and Dirichlet conditions
    ``bcs_for(V)``; returns (u, sigma(u))."""
    V = dfx.vector_space(msh, "Lagrange", 2)
    u, v = ufl.TrialFunction(V), ufl.TestFunction(V)
    ds = ufl.Measure("ds", domain=msh, subdomain_data=facet_tags, metadata={"quadrature_degree": 8})
    a = ufl.inner(_sigma(u, msh, E, nu), ufl.sym(ufl.grad(v))) * ufl.dx
    L = sum(ufl.dot(t, v) * ds(tag) for tag, t in traction.items())
    uh = dfx.solve_linear(a, L, bcs_for(V))
    if not np.all(np.isfinite(uh.x.array)):
        raise RuntimeError("the displacement has non-finite values (singular stiffness matrix?)")
    return uh, _sigma(uh, msh, E, nu)


def _nodal(msh, uh, s):
    """coords, cells, displacement (n, 2) and stress components / von Mises at P1 nodes."""
    V1, coords, cells = dfx.p1_nodes(msh)
    out = {"coords": coords, "cells": cells, "displacement": dfx.nodal_values(uh, V1)}
    for name, expr in (("sigma_xx", s[0, 0]), ("sigma_yy", s[1, 1]), ("sigma_xy", s[0, 1]),
                       ("von_mises", _von_mises(s))):
        out[name] = dfx.nodal_average(expr, V1)
    return out


# ---- kirsch -------------------------------------------------------------------------------
def kirsch_stress(x, a: float, sigma0: float):
    """The Kirsch stress (sxx, syy, sxy) at x = (x, y), r >= a, for tension sigma0 in x.

    Rational in x and y (no angles), so ``x`` may be UFL coordinates or NumPy arrays."""
    r2 = x[0] ** 2 + x[1] ** 2
    c2, s2 = (x[0] ** 2 - x[1] ** 2) / r2, 2 * x[0] * x[1] / r2
    c4, s4 = c2**2 - s2**2, 2 * s2 * c2
    p, q = a**2 / r2, 1.5 * a**4 / r2**2
    sxx = sigma0 * (1 - p * (1.5 * c2 + c4) + q * c4)
    syy = sigma0 * (-p * (0.5 * c2 - c4) - q * c4)
    sxy = sigma0 * (-p * (0.5 * s2 + s4) + q * s4)
    return sxx, syy, sxy


@solver("kirsch")
def kirsch(params: dict) -> dict:
    """Params: ``mesh_size`` (m), ``hole_size`` (m, default mesh_size/4: element size on the
    hole), ``length`` L (1 m), ``radius`` a (0.2 m), ``sigma0`` (1e6 Pa), ``E`` (200e9 Pa),
    ``nu`` (0.3), ``geometry_order`` (1: straight cells; 2: curved cells on the hole).

    Returns ``scf`` = sigma_xx(0, a) / sigma0 (exact 3), ``sigma_xx_max`` / sigma0 (max over the
    nodes), ``stress_l2_error`` = ||sigma_h - sigma_K||_L2 / ||sigma_K||_L2 (quadrature degree 8
    on the mesh), ``stress_max_error`` = max over nodes of |sigma_h - sigma_K| / sigma0
    (Frobenius, nodal averages), ``n_dofs``, and the nodal
    fields ``coords``, ``cells``, ``displacement`` (m), ``sigma_xx``, ``sigma_yy``, ``sigma_xy``,
    ``von_mises`` (Pa).
    """
    size = float(params["mesh_size"])
    hole_size = float(params.get("hole_size", size / 4))
    L, a = float(params.get("length", 1.0)), float(params.get("radius", 0.2))
    sigma0 = float(params.get("sigma0", 1e6))
    E, nu = float(params.get("E", 200e9)), float(params.get("nu", 0.3))
    msh, _, ft = geometry.quarter_plate_with_hole(L, a, size, hole_size=hole_size,
                                                  order=int(params.get("geometry_order", 1)))
    x = ufl.SpatialCoordinate(msh)
    sxx, syy, sxy = kirsch_stress(x, dfx.constant(msh, a), dfx.constant(msh, sigma0))
    s_ex = ufl.as_matrix([[sxx, sxy], [sxy, syy]])
    n = ufl.FacetNormal(msh)
    traction = {geometry.RIGHT: ufl.dot(s_ex, n), geometry.TOP: ufl.dot(s_ex, n)}

    def bcs(V):
        left, bottom = (ft.indices[ft.values == tag] for tag in (geometry.LEFT, geometry.BOTTOM))
        return [dfx.dirichlet_on_facets(0.0, V, left, sub=0), dfx.dirichlet_on_facets(0.0, V, bottom, sub=1)]

    uh, s = _solve(msh, ft, E, nu, traction, bcs)
    q = {"quadrature_degree": 8}
    err = s - s_ex
    l2 = np.sqrt(dfx.assemble_scalar(ufl.inner(err, err) * ufl.dx(metadata=q))
                 / dfx.assemble_scalar(ufl.inner(s_ex, s_ex) * ufl.dx(metadata=q)))
    out = _nodal(msh, uh, s)
    xy = out["coords"].T
    exact = kirsch_stress(xy, a, sigma0)
    diff = np.sqrt(sum((out[k] - e) ** 2 * w for k, e, w in
                       zip(("sigma_xx", "sigma_yy", "sigma_xy"), exact, (1, 1, 2))))
    top_of_hole = int(np.argmin(np.hypot(xy[0], xy[1] - a)))
    out.update(scf=out["sigma_xx"][top_of_hole] / sigma0, sigma_xx_max=out["sigma_xx"].max() / sigma0,
               stress_l2_error=l2, stress_max_error=diff.max() / sigma0,
               n_dofs=uh.function_space.dofmap.index_map.size_global * 2)
    return out


# ---- elasticity_void ----------------------------------------------------------------------
def void_radius(theta: np.ndarray, rho_cos: np.ndarray, rho_sin: np.ndarray) -> np.ndarray:
    """r(theta) = 0.2 + 0.2 / (1 + exp(rho(theta))), rho = sum_k a_k cos(k theta) + b_k sin(k theta)."""
    k = np.arange(len(rho_cos))
    rho = np.cos(np.outer(theta, k)) @ rho_cos + np.sin(np.outer(theta, k)) @ rho_sin
    return 0.2 + 0.2 / (1 + np.exp(rho))


@solver("elasticity_void")
def elasticity_void(params: dict) -> dict:
    """Params: ``mesh_size`` (m, element size away from the void); ``void_size`` (m, default
    ``mesh_size``: element size on the void, growing to ``mesh_size`` over ``void_grading``
    (m, default 0.2)); ``rho_cos``, ``rho_sin`` ((K+1,) Fourier coefficients of rho,
    k = 0..K; both empty for a solid cell without void); ``n_boundary`` (64: spline points on
    the void, also the returned radius samples); ``E`` (Pa), ``nu``; ``traction`` t (Pa, on
    the top edge, in y); ``bottom``: "clamped" (u = 0, Geo-FNO) or "roller" (u_y = 0, and u_x = 0
    at the corner (0, 0): the patch-test support).

    Returns the nodal fields ``coords``, ``cells``, ``displacement`` (n, 2) (m), ``von_mises``,
    ``sigma_xx``, ``sigma_yy``, ``sigma_xy`` (Pa), and ``theta``, ``radius`` (n_boundary,).
    """
    size = float(params["mesh_size"])
    rho_cos = np.asarray(params.get("rho_cos", []), float).ravel()
    rho_sin = np.asarray(params.get("rho_sin", []), float).ravel()
    if rho_cos.shape != rho_sin.shape:
        raise ValueError(f"rho_cos {rho_cos.shape} and rho_sin {rho_sin.shape} differ in shape")
    E, nu, t = float(params["E"]), float(params["nu"]), float(params["traction"])
    n_boundary = int(params.get("n_boundary", 64))
    theta = 2 * np.pi * np.arange(n_boundary) / n_boundary
    if rho_cos.size:
        radius = void_radius(theta, rho_cos, rho_sin)
        boundary = 0.5 + radius[:, None] * np.c_[np.cos(theta), np.sin(theta)]
    else:
        theta, radius, boundary = np.zeros(0), np.zeros(0), np.zeros((0, 2))
    void_size = float(params.get("void_size", size))
    if not 0 < void_size <= size:
        raise ValueError(f"void_size={void_size} must be in (0, mesh_size={size}]")
    msh, _, ft = geometry.square_with_void(boundary, size, void_size=void_size,
                                           void_grading=float(params.get("void_grading", 0.2)))
    bottom = ft.indices[ft.values == geometry.BOTTOM]
    support = params.get("bottom", "clamped")

    def bcs(V):
        if support == "clamped":
            return [dfx.dirichlet_on_facets(np.zeros(2), V, bottom)]
        if support == "roller":
            corner = lambda p: np.isclose(p[0], 0.0) & np.isclose(p[1], 0.0)  # noqa: E731
            return [dfx.dirichlet_on_facets(0.0, V, bottom, sub=1), dfx.dirichlet_on_vertices(0.0, V, corner, sub=0)]
        raise ValueError(f"unknown bottom support {support!r}; known: clamped, roller")

    uh, s = _solve(msh, ft, E, nu, {geometry.TOP: dfx.constant(msh, (0.0, t))}, bcs)
    out = _nodal(msh, uh, s)
    out.update(theta=theta, radius=radius)
    return out
