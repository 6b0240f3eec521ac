"""Every DOLFINx-version-specific call the solvers make, in one place (written for DOLFINx 0.5).

Solvers import ``dfx`` instead of reaching into ``dolfinx`` for anything whose name or
signature changed between releases (function spaces, mesh constructors, gmsh import, linear
solves, expression interpolation, scalar assembly). Porting to a newer DOLFINx means editing
this file only.

Runs in the FEniCS interpreter: imports numpy, mpi4py, petsc4py, ufl, dolfinx (and gmsh in
:func:`mesh_from_gmsh`), never the project's JAX packages.
"""

from __future__ import annotations

import numpy as np
import ufl
from mpi4py import MPI
from petsc4py import PETSc

import dolfinx
from dolfinx import fem, mesh as dmesh
from dolfinx.fem import petsc as fem_petsc

COMM = MPI.COMM_WORLD  # one rank, unless the worker runs under mpirun
VERSION = dolfinx.__version__
LU = {"ksp_type": "preonly", "pc_type": "lu"}
CG_AMG = {"ksp_type": "cg", "pc_type": "hypre", "ksp_rtol": 1e-10}


# ---- meshes -------------------------------------------------------------------------------
def unit_square(n: int, *, diagonal: str = "right"):
    """Triangulated unit square with ``n`` x ``n`` cells per side (2 n^2 triangles)."""
    return dmesh.create_unit_square(COMM, n, n, dmesh.CellType.triangle,
                                    diagonal=getattr(dmesh.DiagonalType, diagonal))


def rectangle(p0, p1, nx: int, ny: int):
    """Triangulated rectangle [p0, p1] with ``nx`` x ``ny`` cells (crossed diagonals off)."""
    return dmesh.create_rectangle(COMM, [np.asarray(p0, float), np.asarray(p1, float)], [nx, ny],
                                  dmesh.CellType.triangle)


def mesh_from_gmsh(model, gdim: int = 2):
    """(mesh, cell_tags, facet_tags) from the current gmsh model (physical groups become tags)."""
    from dolfinx.io import gmshio

    return gmshio.model_to_mesh(model, COMM, 0, gdim=gdim)


def boundary_facets(msh, marker):
    """Indices of exterior facets whose midpoints satisfy ``marker(x) -> bool[n]`` (x: (3, n))."""
    return dmesh.locate_entities_boundary(msh, msh.topology.dim - 1, marker)


def facet_tags(msh, markers: dict[int, object]):
    """MeshTags on exterior facets: tag ``k`` where ``markers[k](x)`` holds (first match wins)."""
    fdim = msh.topology.dim - 1
    indices, values = [], []
    seen = set()
    for tag, marker in markers.items():
        facets = [f for f in boundary_facets(msh, marker) if f not in seen]
        seen.update(facets)
        indices += facets
        values += [tag] * len(facets)
    order = np.argsort(indices)
    return dmesh.meshtags(msh, fdim, np.asarray(indices, np.int32)[order],
                          np.asarray(values, np.int32)[order])


def cell_midpoints(msh) -> np.ndarray:
    """(n_cells, 3) midpoints of this rank's cells, ghosts included (the cell-wise dof order)."""
    tdim = msh.topology.dim
    n = msh.topology.index_map(tdim).size_local + msh.topology.index_map(tdim).num_ghosts
    return dmesh.compute_midpoints(msh, tdim, np.arange(n, dtype=np.int32))


# ---- spaces and functions -----------------------------------------------------------------
def scalar_space(msh, family: str = "Lagrange", degree: int = 1):
    return fem.FunctionSpace(msh, (family, degree))


def vector_space(msh, family: str = "Lagrange", degree: int = 1):
    return fem.VectorFunctionSpace(msh, (family, degree))


def mixed_sub_collapse(space, i: int):
    """The collapsed i-th subspace and the map from its dofs into the parent's."""
    return space.sub(i).collapse()


def constant(msh, value):
    return fem.Constant(msh, PETSc.ScalarType(value))


def function(space, name: str | None = None):
    f = fem.Function(space)
    if name:
        f.name = name
    return f


def interpolate(target, source):
    """Interpolate a callable ``f(x: (3, n)) -> (value_size, n)``, a Function or a UFL expression."""
    if isinstance(source, ufl.core.expr.Expr) and not isinstance(source, fem.Function):
        source = fem.Expression(source, target.function_space.element.interpolation_points())
    target.interpolate(source)
    target.x.scatter_forward()
    return target


def dirichlet_on_facets(value, space, facets, sub: int | None = None):
    """Dirichlet condition ``value`` (a Function, Constant or number) on the given facets."""
    msh = space.mesh
    fdim = msh.topology.dim - 1
    V = space if sub is None else space.sub(sub)
    dofs = fem.locate_dofs_topological(V, fdim, facets)
    if isinstance(value, fem.Function):
        return fem.dirichletbc(value, dofs)
    if isinstance(value, (int, float)):
        value = PETSc.ScalarType(value)
    elif not isinstance(value, fem.Constant):
        value = np.asarray(value, dtype=PETSc.ScalarType)
    return fem.dirichletbc(value, dofs, V)


def boundary_dofs(space, facets) -> np.ndarray:
    """Dofs of ``space`` on the given facets."""
    return fem.locate_dofs_topological(space, space.mesh.topology.dim - 1, facets)


def dirichlet_at_points(value, space, marker, sub: int | None = None):
    """Dirichlet condition on the dofs whose coordinates satisfy ``marker`` (geometrical)."""
    V = space if sub is None else space.sub(sub)
    dofs = fem.locate_dofs_geometrical(V, marker)
    return fem.dirichletbc(PETSc.ScalarType(value), dofs, V)


# ---- assembly and solves ------------------------------------------------------------------
_KSP_COUNT = iter(range(1 << 62))


def configure_ksp(ksp, options: dict | None = None):
    """Apply PETSc ``options`` (e.g. ``{"ksp_type": "cg", "pc_type": "hypre"}``) to ``ksp``.

    The options go through PETSc's global options database under a fresh prefix and are
    deleted right after ``setFromOptions``: that database holds at most 512 entries, and a
    long-lived worker solving thousands of samples must not fill it (DOLFINx 0.5's
    ``LinearProblem`` leaves its options there, and after an error its prefix pushed too).
    """
    opts = PETSc.Options()
    prefix = f"dfx{next(_KSP_COUNT)}_"
    ksp.setOptionsPrefix(prefix)
    options = dict(options or LU)
    for k, v in options.items():
        opts[prefix + k] = v
    try:
        ksp.setFromOptions()
    finally:
        for k in options:
            opts.delValue(prefix + k)
    return ksp


def solve_linear(a, L, bcs, options: dict | None = None, u=None):
    """Solve the variational problem a(u, v) = L(v); returns the solution Function.

    Raises RuntimeError if the Krylov solver did not converge.
    """
    if u is None:
        u = fem.Function(L.arguments()[0].ufl_function_space())
    A = Assembled(a, bcs, options)
    try:
        return A.solve(L, u)
    finally:
        A.destroy()


def assemble_scalar(integrand) -> float:
    return float(COMM.allreduce(fem.assemble_scalar(fem.form(integrand)), op=MPI.SUM))


class Assembled:
    """A bilinear form assembled once into a PETSc matrix with a reusable KSP (time stepping).

    >>> A = Assembled(a, bcs, options)
    >>> A.solve(L, u)          # assemble L, lift bcs, solve into Function u
    """

    def __init__(self, a, bcs, options: dict | None = None):
        self.a = fem.form(a)
        self.bcs = bcs
        self.A = fem_petsc.assemble_matrix(self.a, bcs=bcs)
        self.A.assemble()
        self.ksp = PETSc.KSP().create(COMM)
        self.ksp.setOperators(self.A)
        configure_ksp(self.ksp, options)
        self._L = None
        self._b = None

    def destroy(self):
        """Free the PETSc objects now (a long sweep should not wait for the garbage collector)."""
        for obj in (self.ksp, self.A, self._b):
            if obj is not None:
                obj.destroy()

    def solve(self, L, u):
        if self._L is None or self._L[0] is not L:
            self._L = (L, fem.form(L))
            self._b = fem_petsc.create_vector(self._L[1])
        b = self._b
        with b.localForm() as loc:
            loc.set(0)
        fem_petsc.assemble_vector(b, self._L[1])
        fem_petsc.apply_lifting(b, [self.a], [self.bcs])
        b.ghostUpdate(addv=PETSc.InsertMode.ADD_VALUES, mode=PETSc.ScatterMode.REVERSE)
        fem_petsc.set_bc(b, self.bcs)
        self.ksp.solve(b, u.vector)
        if self.ksp.getConvergedReason() < 0:
            raise RuntimeError(f"linear solver diverged (PETSc reason {self.ksp.getConvergedReason()})")
        u.x.scatter_forward()
        return u


# ---- handing results back -----------------------------------------------------------------
def gather_nodal(V1, coords: np.ndarray, cells: np.ndarray, fields: dict[str, np.ndarray]):
    """Nodal arrays of all ranks on rank 0, in global P1 numbering (one rank: unchanged).

    Args are this rank's :func:`p1_nodes` output and fields at its nodes (ghosts included).
    Returns ``(coords, cells, fields)`` on rank 0 and ``(None, None, None)`` elsewhere.
    """
    comm = V1.mesh.comm
    if comm.size == 1:
        return coords, cells, fields
    imap = V1.dofmap.index_map
    n_owned = imap.size_local
    l2g = np.asarray(imap.local_to_global(np.arange(n_owned + imap.num_ghosts, dtype=np.int32)))
    n_cells = V1.mesh.topology.index_map(V1.mesh.topology.dim).size_local
    part = (l2g[:n_owned], l2g[cells[:n_cells]], coords[:n_owned], {k: v[:n_owned] for k, v in fields.items()})
    parts = comm.gather(part, root=0)
    if comm.rank != 0:
        return None, None, None
    n = imap.size_global
    all_coords = np.empty((n, coords.shape[1]))
    all_fields = {k: np.empty((n,) + v.shape[1:], v.dtype) for k, v in fields.items()}
    for index, _, xy, values in parts:
        all_coords[index] = xy
        for k, v in values.items():
            all_fields[k][index] = v
    return all_coords, np.concatenate([c for _, c, _, _ in parts]), all_fields


def p1_nodes(msh):
    """Node coordinates (n, 2) and triangles (n_cells, 3) of the P1 space on ``msh``
    (this rank's nodes and cells, ghosts included; see :func:`gather_nodal` under MPI).

    Node i is P1 dof i, so any P1 function's ``x.array`` (or its (n, k) reshape for a vector
    space) is its value at these nodes.
    """
    V = scalar_space(msh, "Lagrange", 1)
    coords = V.tabulate_dof_coordinates()[:, : msh.geometry.dim].copy()
    cells = V.dofmap.list.array.reshape(-1, 3).astype(np.int64)
    return V, coords, cells


def nodal_values(f, V1) -> np.ndarray:
    """Values of ``f`` (any Function or UFL expression) at the P1 nodes of space ``V1``: (n,) or (n, k)."""
    shape = getattr(f, "ufl_shape", ())
    if shape:
        W = vector_space(V1.mesh, "Lagrange", 1) if len(shape) == 1 else None
        if W is None:
            raise ValueError(f"nodal values of rank-{len(shape)} fields are not supported")
        g = interpolate(function(W), f)
        return g.x.array.reshape(-1, shape[0]).copy()
    g = interpolate(function(V1), f)
    return g.x.array.copy()


# ---- for the elasticity (kirsch, elasticity_void) and heat_sink solvers -------------------
def dirichlet_on_vertices(value, space, marker, sub: int | None = None):
    """Dirichlet condition on the dofs at mesh vertices whose coordinates satisfy ``marker``
    (x: (3, n) -> bool[n]), e.g. pinning one corner against rigid motion."""
    msh = space.mesh
    vertices = dmesh.locate_entities_boundary(msh, 0, marker)
    V = space if sub is None else space.sub(sub)
    dofs = fem.locate_dofs_topological(V, 0, vertices)
    return fem.dirichletbc(PETSc.ScalarType(value), dofs, V)


def nodal_average(expr, V1) -> np.ndarray:
    """Area-weighted average at the P1 nodes of ``V1`` of a scalar UFL expression that is
    linear on each cell (e.g. a stress from a P2 displacement): (n,).

    The expression is interpolated cell by cell into DG1 (exact for cell-wise linear
    expressions on affine cells); each node gets the mean of its cells' values there,
    weighted by cell area. Deterministic, unlike interpolating a discontinuous field into P1.
    """
    msh = V1.mesh
    tdim = msh.topology.dim
    n_cells = msh.topology.index_map(tdim).size_local
    D = scalar_space(msh, "DG", 1)
    values = interpolate(function(D), expr).x.array
    dg = D.dofmap.list.array.reshape(-1, tdim + 1)[:n_cells]
    p1 = V1.dofmap.list.array.reshape(-1, tdim + 1)[:n_cells]
    x = V1.tabulate_dof_coordinates()
    e1, e2 = x[p1[:, 1]] - x[p1[:, 0]], x[p1[:, 2]] - x[p1[:, 0]]
    area = 0.5 * np.abs(e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0])
    total = np.zeros(x.shape[0])
    weight = np.zeros(x.shape[0])
    np.add.at(total, p1, values[dg] * area[:, None])
    np.add.at(weight, p1, np.broadcast_to(area[:, None], p1.shape))
    return total / weight


# ---- channel flow (the poiseuille and channel_flow solvers) --------------------------------
class Reassembled(Assembled):
    """An :class:`Assembled` form whose matrix depends on Functions that change between solves
    (an advecting velocity): :meth:`update` re-assembles it in place, keeping the sparsity
    pattern and the KSP (whose preconditioner is rebuilt at the next solve)."""

    def update(self):
        self.A.zeroEntries()
        fem_petsc.assemble_matrix(self.A, self.a, bcs=self.bcs)
        self.A.assemble()
        return self


class Functional:
    """A scalar form compiled once; calling it assembles the current value (a float)."""

    def __init__(self, integrand):
        self.form = fem.form(integrand)

    def __call__(self) -> float:
        return float(COMM.allreduce(fem.assemble_scalar(self.form), op=MPI.SUM))


def tagged_facets(tags, value: int) -> np.ndarray:
    """Indices of the facets that carry ``value`` in the MeshTags ``tags``."""
    return np.asarray(tags.indices[tags.values == value], np.int32)


def cell_diameters(msh) -> np.ndarray:
    """(n_cells,) longest edge of each triangle (straight edges between its vertices)."""
    _, x, cells = p1_nodes(msh)
    edges = x[cells] - x[np.roll(cells, 1, axis=1)]
    return np.linalg.norm(edges, axis=2).max(axis=1)
