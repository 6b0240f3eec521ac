"""Darcy flow on the unit square: -div(a grad u) = f, u = 0 on the boundary (the FNO Darcy problem).

The permeability ``a`` is piecewise constant on an s x s pixel grid (drawn by the parent from
a thresholded Gaussian random field); each triangle takes the value of the pixel holding its
midpoint. P1 elements on an unstructured gmsh mesh (or a structured one, ``mesh="structured"``).
"""

from __future__ import annotations

import numpy as np
import ufl

import dfx
import geometry

from . import solver


@solver("darcy", mpi=True)
def darcy(params: dict) -> dict:
    """Params: ``permeability`` (s, s) array, pixel (i, j) covering x in [j/s, (j+1)/s],
    y in [i/s, (i+1)/s]; ``forcing`` f (constant); ``mesh_size`` (target edge length) or
    ``mesh="structured"`` with ``n`` cells per side.

    Returns node ``coords`` (n, 2), ``cells`` (m, 3), ``u`` and ``a`` at the nodes (``a`` at a
    node: its pixel's value), ``flux_in`` = integral of f, ``flux_out`` = outward boundary flux
    of -a grad u computed consistently (equal to ``flux_in`` to solver tolerance),
    ``flux_out_direct`` from the boundary gradient (equal up to O(h)), ``n_dofs``.
    """
    perm = np.asarray(params["permeability"], float)
    if perm.ndim != 2 or perm.shape[0] != perm.shape[1] or np.any(perm <= 0):
        raise ValueError(f"permeability must be a positive square array, got shape {perm.shape}")
    s = perm.shape[0]
    if params.get("mesh", "unstructured") == "structured":
        msh = dfx.unit_square(int(params["n"]))
    else:
        msh, _, _ = geometry.square_with_void(np.zeros((0, 2)), float(params["mesh_size"]))

    def pixel_of(xy):
        j = np.clip((xy[:, 0] * s).astype(int), 0, s - 1)
        i = np.clip((xy[:, 1] * s).astype(int), 0, s - 1)
        return perm[i, j]

    Q = dfx.scalar_space(msh, "DG", 0)
    a = dfx.function(Q, "a")
    a.x.array[:] = pixel_of(dfx.cell_midpoints(msh))[Q.dofmap.list.array]
    V1, coords, cells = dfx.p1_nodes(msh)
    u, v = ufl.TrialFunction(V1), ufl.TestFunction(V1)
    f = dfx.constant(msh, float(params.get("forcing", 1.0)))
    facets = dfx.boundary_facets(msh, lambda p: np.full(p.shape[1], True))
    uh = dfx.solve_linear(ufl.inner(a * ufl.grad(u), ufl.grad(v)) * ufl.dx, f * v * ufl.dx,
                          [dfx.dirichlet_on_facets(0.0, V1, facets)], dfx.CG_AMG)
    # Outward flux of -a grad u: directly from the gradient on the boundary (O(h) accurate),
    # and variationally consistent (the residual tested with w = 1 on the boundary nodes, 0
    # inside), which balances the source to solver tolerance.
    n = ufl.FacetNormal(msh)
    flux_direct = dfx.assemble_scalar(-ufl.inner(a * ufl.grad(uh), n) * ufl.ds)
    w = dfx.function(V1)
    w.x.array[dfx.boundary_dofs(V1, facets)] = 1.0
    flux_out = dfx.assemble_scalar(f * w * ufl.dx - ufl.inner(a * ufl.grad(uh), ufl.grad(w)) * ufl.dx)
    flux_in = dfx.assemble_scalar(f * ufl.dx)
    coords, cells, fields = dfx.gather_nodal(V1, coords, cells, {"u": uh.x.array.copy()})
    if coords is None:  # not rank 0 of an MPI solve
        return {}
    return {"coords": coords, "cells": cells, "u": fields["u"], "a": pixel_of(coords),
            "flux_in": flux_in, "flux_out": flux_out, "flux_out_direct": flux_direct,
            "n_dofs": V1.dofmap.index_map.size_global}
