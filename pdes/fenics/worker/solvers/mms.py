"""Method of manufactured solutions: -div(k grad u) = f on the unit square, u = g on the boundary.

The manufactured solution u = exp(x) sin(pi x) sin(2 pi y) + x y^2 with k = 1 + x^2 y is not in
any finite element space, so the error is pure discretisation error; f and g follow from u.
Errors are integrated against the exact UFL expression with raised quadrature degree.
"""

from __future__ import annotations

import numpy as np
import ufl

import dfx

from . import solver


def _exact(x):
    return ufl.exp(x[0]) * ufl.sin(ufl.pi * x[0]) * ufl.sin(2 * ufl.pi * x[1]) + x[0] * x[1] ** 2


@solver("poisson_mms", mpi=True)
def poisson_mms(params: dict) -> dict:
    """Params: ``degree`` (Lagrange degree, 1-3), ``n`` (cells per side).

    Returns ``h`` (max cell diameter), ``l2_error``, ``h1_error`` (H1 seminorm), ``n_dofs``.
    """
    degree, n = int(params["degree"]), int(params["n"])
    msh = dfx.unit_square(n)
    V = dfx.scalar_space(msh, "Lagrange", degree)
    x = ufl.SpatialCoordinate(msh)
    u_ex = _exact(x)
    k = 1 + x[0] ** 2 * x[1]
    f = -ufl.div(k * ufl.grad(u_ex))
    u, v = ufl.TrialFunction(V), ufl.TestFunction(V)
    q = {"quadrature_degree": degree + 4}
    a = ufl.inner(k * ufl.grad(u), ufl.grad(v)) * ufl.dx
    L = f * v * ufl.dx(metadata=q)
    g = dfx.interpolate(dfx.function(V), u_ex)
    facets = dfx.boundary_facets(msh, lambda p: np.full(p.shape[1], True))
    uh = dfx.solve_linear(a, L, [dfx.dirichlet_on_facets(g, V, facets)])
    e = uh - u_ex
    l2 = np.sqrt(dfx.assemble_scalar(e**2 * ufl.dx(metadata=q)))
    h1 = np.sqrt(dfx.assemble_scalar(ufl.inner(ufl.grad(e), ufl.grad(e)) * ufl.dx(metadata=q)))
    return {"h": np.sqrt(2.0) / n, "l2_error": l2, "h1_error": h1,
            "n_dofs": V.dofmap.index_map.size_global}
