"""Unsteady incompressible Navier-Stokes in a 2D channel: du/dt + (u.grad)u - nu lap u + grad p = 0,
div u = 0 (density 1, so p is the kinematic pressure), by an incremental pressure-correction
(IPCS) scheme on Taylor-Hood P2/P1 elements.

Each step of size k:

1. tentative velocity u*: (u* - u^n)/k + (b.grad)U - nu lap U + grad p^n = 0 with the velocity
   Dirichlet conditions, where U = (u* + u^n)/2 (Crank-Nicolson) and b = 3/2 u^n - 1/2 u^(n-1)
   (Adams-Bashforth extrapolation: the advection is linear in u*, so the matrix is re-assembled
   each step but no Newton iteration is needed);
2. pressure: -lap p^(n+1) = -lap p^n - div u*/k, with p = p_N on the pressure boundary;
3. velocity correction: u^(n+1) = u* - k grad(p^(n+1) - p^n) (L2 projection, Dirichlet kept).

The weak form of step 1 is integrated by parts in the "Laplacian" form, so its natural
condition is nu du/dn - p n = -p_N n: p_N = 0 is the do-nothing outflow, a given p_N drives a
pressure-driven (Poiseuille) flow. Matrices of steps 2 and 3 are assembled and factorised once.

Solvers: ``poiseuille`` (a verification: the steady parabola and linear pressure are in the
P2/P1 spaces) and ``channel_flow`` (flow past circular obstacles, DFG benchmark geometry).
Forces on obstacles use the volume-integral (Babuska-Miller) formula, which converges faster
than the surface traction integral.
"""

from __future__ import annotations

import numpy as np
import ufl

import dfx

from . import solver

INLET, OUTLET, WALLS, OBSTACLE = 1, 2, 3, 10  # facet tags; obstacle i is OBSTACLE + i
BLOWUP = 50.0  # max |u| above BLOWUP x the reference speed means the run diverged
LU = {"ksp_type": "preonly", "pc_type": "lu", "pc_factor_mat_solver_type": "mumps"}
MASS = {"ksp_type": "cg", "pc_type": "jacobi", "ksp_rtol": 1e-12, "ksp_atol": 1e-15}
MOMENTUM = {"ksp_type": "bcgs", "pc_type": "jacobi", "ksp_rtol": 1e-10, "ksp_atol": 1e-14,
            "ksp_initial_guess_nonzero": True, "ksp_max_it": 2000}


class IPCS:
    """The IPCS time stepper on a mesh with facet tags.

    Args:
        msh, tags: mesh and exterior-facet MeshTags.
        nu: kinematic viscosity (m^2/s).
        dt: time step (s).
        velocity_bcs: (value, tag) pairs: a number (0: no slip) or a callable x -> (2, n), whose
            P2 interpolant is kept in ``boundary_velocity[tag]`` (scale it for time-dependent data).
        pressure_tags: tags of the facets where p = ``p_boundary`` (and the traction is -p n).
        p_boundary: callable x -> values giving the pressure there (default 0).
    """

    def __init__(self, msh, tags, *, nu, dt, velocity_bcs, pressure_tags, p_boundary=None):
        self.msh, self.tags = msh, tags
        self.V = dfx.vector_space(msh, "Lagrange", 2)
        self.Q = dfx.scalar_space(msh, "Lagrange", 1)
        V, Q = self.V, self.Q
        self.u_, self.u_n, self.u_n1, self.u_s = (dfx.function(V) for _ in range(4))
        self.p_, self.p_n = dfx.function(Q), dfx.function(Q)
        self.p_bc = dfx.function(Q)
        if p_boundary is not None:
            dfx.interpolate(self.p_bc, p_boundary)
        self.k, self.nu = dfx.constant(msh, dt), dfx.constant(msh, nu)
        self.dt = float(dt)
        self.t = 0.0

        bcu, self.boundary_velocity = [], {}
        for value, tag in velocity_bcs:
            if callable(value):  # the Function must live on V itself, or assembly ignores the bc
                value = self.boundary_velocity[tag] = dfx.interpolate(dfx.function(V), value)
            else:
                value = np.zeros(2) + value
            bcu.append(dfx.dirichlet_on_facets(value, V, dfx.tagged_facets(tags, tag)))
        bcp = [dfx.dirichlet_on_facets(self.p_bc, Q, dfx.tagged_facets(tags, tag)) for tag in pressure_tags]

        u, v = ufl.TrialFunction(V), ufl.TestFunction(V)
        p, q = ufl.TrialFunction(Q), ufl.TestFunction(Q)
        n = ufl.FacetNormal(msh)
        k, nu_ = self.k, self.nu
        U = 0.5 * (u + self.u_n)
        b = 1.5 * self.u_n - 0.5 * self.u_n1
        F1 = (ufl.dot((u - self.u_n) / k, v) * ufl.dx
              + ufl.dot(ufl.dot(ufl.grad(U), b), v) * ufl.dx
              + nu_ * ufl.inner(ufl.grad(U), ufl.grad(v)) * ufl.dx
              - self.p_n * ufl.div(v) * ufl.dx
              + self.p_bc * ufl.dot(n, v) * ufl.ds)  # only non-Dirichlet facets survive: -p_N n traction
        self.L1 = ufl.rhs(F1)
        self.step1 = dfx.Reassembled(ufl.lhs(F1), bcu, MOMENTUM)
        self.L2 = (ufl.inner(ufl.grad(self.p_n), ufl.grad(q)) - ufl.div(self.u_s) * q / k) * ufl.dx
        self.step2 = dfx.Assembled(ufl.inner(ufl.grad(p), ufl.grad(q)) * ufl.dx, bcp, LU)
        self.L3 = (ufl.dot(self.u_s, v) - k * ufl.dot(ufl.grad(self.p_ - self.p_n), v)) * ufl.dx
        self.step3 = dfx.Assembled(ufl.dot(u, v) * ufl.dx, bcu, MASS)
        self.bcu = bcu

    def step(self) -> None:
        """Advance u, p by one time step (u_, p_ hold the new values, u_n, p_n the old ones)."""
        self.u_n1.x.array[:] = self.u_n.x.array
        self.u_n.x.array[:] = self.u_.x.array
        self.p_n.x.array[:] = self.p_.x.array
        self.t += self.dt
        self.u_s.x.array[:] = self.u_n.x.array  # initial guess
        self.step1.update().solve(self.L1, self.u_s)
        self.step2.solve(self.L2, self.p_)
        self.step3.solve(self.L3, self.u_)

    def start(self) -> None:
        """Make the first step first order (no u^(n-1) yet)."""
        self.u_n.x.array[:] = self.u_.x.array

    def change(self) -> float:
        """max |u^(n+1) - u^n| / k: the rate of change (m/s^2) after a step."""
        return float(np.abs(self.u_.x.array - self.u_n.x.array).max()) / self.dt

    def max_speed(self) -> float:
        return float(np.abs(self.u_.x.array).max())


def _checked_step(ns: IPCS, step: int, u_ref: float, h_min: float) -> None:
    """One step; a clear error if the linear solves fail or the velocity is NaN or exceeds
    ``BLOWUP`` times the reference speed ``u_ref`` (CFL number u_ref dt / h_min reported)."""
    hint = f"CFL number u_ref dt / h_min = {u_ref * ns.dt / h_min:.3g}: reduce dt or refine the mesh"
    try:
        ns.step()
    except RuntimeError as err:
        raise RuntimeError(f"{err} at step {step} (t = {ns.t:.4g} s); {hint}") from None
    speed = ns.max_speed()
    if not np.isfinite(speed) or speed > BLOWUP * u_ref:
        what = "NaN velocity" if not np.isfinite(speed) else f"velocity blew up (max |u| = {speed:.3g} m/s)"
        raise FloatingPointError(f"{what} at step {step} (t = {ns.t:.4g} s); {hint}")


# ---- Poiseuille: verification --------------------------------------------------------------
@solver("poiseuille")
def poiseuille(params: dict) -> dict:
    """Pressure-driven flow in the empty channel [0, L] x [0, H], run from rest to steady state.

    Params: ``length``, ``height`` (m), ``nu`` (m^2/s), ``dp`` (pressure drop p_in - p_out, p_out = 0;
    m^2/s^2), ``nx``, ``ny`` (cells), ``dt`` (s), ``tol`` (stop when max|du/dt| < tol * U_max, 1/s),
    ``max_steps``.

    Exact: u = dp / (2 nu L) y (H - y), v = 0, p = dp (1 - x / L). Returns ``u_rel_error``,
    ``p_rel_error`` (relative L2), ``steps``, ``u_max`` (exact peak speed), ``rate`` (last
    max|du/dt|/U_max). The discrete steady state reproduces the exact solution, so the errors
    are bounded by how far from steady the run stops, roughly tol / (nu pi^2 / H^2).
    """
    L, H, nu, dp = (float(params[k]) for k in ("length", "height", "nu", "dp"))
    nx, ny, dt = int(params["nx"]), int(params["ny"]), float(params["dt"])
    tol, max_steps = float(params.get("tol", 1e-6)), int(params.get("max_steps", 10_000))
    msh = dfx.rectangle((0.0, 0.0), (L, H), nx, ny)
    eps = 1e-10 * max(L, H)
    tags = dfx.facet_tags(msh, {
        INLET: lambda x: np.isclose(x[0], 0.0, atol=eps),
        OUTLET: lambda x: np.isclose(x[0], L, atol=eps),
        WALLS: lambda x: np.isclose(x[1], 0.0, atol=eps) | np.isclose(x[1], H, atol=eps),
    })
    ns = IPCS(msh, tags, nu=nu, dt=dt, velocity_bcs=[(0.0, WALLS)], pressure_tags=(INLET, OUTLET),
              p_boundary=lambda x: dp * (1.0 - x[0] / L))
    u_max = dp * H**2 / (8 * nu * L)
    x = ufl.SpatialCoordinate(msh)
    u_ex = ufl.as_vector((dp / (2 * nu * L) * x[1] * (H - x[1]), 0.0 * x[0]))
    p_ex = dp * (1.0 - x[0] / L)
    ns.start()
    rate = np.inf
    step = 0
    while step < max_steps and rate >= tol:
        step += 1
        _checked_step(ns, step, u_max, H / ny)
        rate = ns.change() / u_max
    if rate >= tol:
        raise RuntimeError(f"no steady state after {max_steps} steps (max|du/dt|/U_max = {rate:.3g} 1/s)")
    err_u = dfx.assemble_scalar(ufl.inner(ns.u_ - u_ex, ns.u_ - u_ex) * ufl.dx)
    norm_u = dfx.assemble_scalar(ufl.inner(u_ex, u_ex) * ufl.dx)
    err_p = dfx.assemble_scalar((ns.p_ - p_ex) ** 2 * ufl.dx)
    norm_p = dfx.assemble_scalar(p_ex**2 * ufl.dx)
    return {"u_rel_error": np.sqrt(err_u / norm_u), "p_rel_error": np.sqrt(err_p / norm_p),
            "steps": step, "u_max": u_max, "rate": rate}


# ---- flow past obstacles -------------------------------------------------------------------
def channel_mesh(length: float, height: float, obstacles, h_min: float, h_max: float, order: int = 2):
    """(mesh, facet tags) of [0, length] x [0, height] minus disks ``obstacles`` [(x, y, r), ...].

    Cells have size ``h_min`` within one radius of an obstacle's surface, growing linearly to
    ``h_max`` at 0.2 m (DFG-like grading); ``order`` 2 gives curved (quadratic) cell edges
    on the circles. Facet tags: INLET (x = 0), OUTLET (x = length), WALLS, OBSTACLE + i.
    """
    import gmsh

    gmsh.initialize()
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.option.setNumber("General.NumThreads", 1)
        gmsh.model.add("channel")
        occ = gmsh.model.occ
        rect = occ.addRectangle(0.0, 0.0, 0.0, length, height)
        disks = [occ.addDisk(x, y, 0.0, r, r) for x, y, r in obstacles]
        fluid, _ = occ.cut([(2, rect)], [(2, d) for d in disks])
        occ.synchronize()
        if len(fluid) != 1:
            raise RuntimeError(f"gmsh failed: the fluid domain has {len(fluid)} parts (obstacles cut the channel)")
        gmsh.model.addPhysicalGroup(2, [fluid[0][1]], 1)
        groups: dict[int, list[int]] = {}
        tol = 1e-6 * max(length, height)
        for _, curve in gmsh.model.getBoundary(fluid, oriented=False):
            cx, cy, _ = occ.getCenterOfMass(1, curve)
            if abs(cx) < tol:
                tag = INLET
            elif abs(cx - length) < tol:
                tag = OUTLET
            elif abs(cy) < tol or abs(cy - height) < tol:
                tag = WALLS
            else:
                tag = OBSTACLE + int(np.argmin([np.hypot(cx - x, cy - y) - r for x, y, r in obstacles]))
            groups.setdefault(tag, []).append(curve)
        missing = {INLET, OUTLET, WALLS, *(OBSTACLE + i for i in range(len(obstacles)))} - set(groups)
        if missing:
            raise RuntimeError(f"gmsh failed: no boundary curves for tags {sorted(missing)}")
        for tag, curves in groups.items():
            gmsh.model.addPhysicalGroup(1, curves, tag)
        field = gmsh.model.mesh.field
        dist = field.add("Distance")
        field.setNumbers(dist, "CurvesList", [c for t, cs in groups.items() if t >= OBSTACLE for c in cs])
        field.setNumber(dist, "NumPointsPerCurve", 100)  # "Sampling" in gmsh >= 4.11
        thr = field.add("Threshold")
        field.setNumber(thr, "InField", dist)
        field.setNumber(thr, "SizeMin", h_min)
        field.setNumber(thr, "SizeMax", h_max)
        field.setNumber(thr, "DistMin", min(r for _, _, r in obstacles))
        field.setNumber(thr, "DistMax", 0.2)
        field.setAsBackgroundMesh(thr)
        for option in ("MeshSizeExtendFromBoundary", "MeshSizeFromPoints", "MeshSizeFromCurvature"):
            gmsh.option.setNumber(f"Mesh.{option}", 0)
        gmsh.option.setNumber("Mesh.Algorithm", 6)  # Frontal-Delaunay
        gmsh.model.mesh.generate(2)
        gmsh.model.mesh.setOrder(order)
        msh, _, tags = dfx.mesh_from_gmsh(gmsh.model, gdim=2)
    except Exception as err:  # noqa: BLE001
        if type(err) is Exception:  # gmsh raises bare Exceptions
            raise RuntimeError(f"gmsh failed: {err}") from None
        raise
    finally:
        gmsh.finalize()
    return msh, tags


class Forces:
    """Force (per unit depth, density 1) of the fluid on each obstacle, by the volume integral
    F.e = -int[(u - u_n)/k . w + (u.grad)u . w + 2 nu eps(u) : grad w - p div w] dx, where w is
    e on the obstacle's surface and 0 at every other node (so only its first cell layer counts)."""

    def __init__(self, ns: IPCS, n_obstacles: int):
        self.w = dfx.function(ns.V)
        u, p, k, nu = ns.u_, ns.p_, ns.k, ns.nu
        eps = ufl.sym(ufl.grad(u))
        self.functional = dfx.Functional(-(
            ufl.dot((u - ns.u_n) / k, self.w) + ufl.dot(ufl.dot(ufl.grad(u), u), self.w)
            + 2 * nu * ufl.inner(eps, ufl.grad(self.w)) - p * ufl.div(self.w)) * ufl.dx)
        self.dofs = [dfx.boundary_dofs(ns.V.sub(0), dfx.tagged_facets(ns.tags, OBSTACLE + i))
                     for i in range(n_obstacles)]

    def __call__(self) -> np.ndarray:
        """(n_obstacles, 2) forces (drag, lift) in m^3/s^2."""
        out = np.zeros((len(self.dofs), 2))
        for i, dofs in enumerate(self.dofs):
            for c in range(2):
                self.w.x.array[:] = 0.0
                self.w.x.array[np.asarray(dofs) + c] = 1.0  # blocked dofs: node * 2 + component
                out[i, c] = self.functional()
        return out


@solver("channel_flow")
def channel_flow(params: dict) -> dict:
    """Flow past circular obstacles in the channel [0, length] x [0, height]: parabolic inflow of
    peak ``u_max`` (ramped smoothly over ``t_ramp``), no slip on walls and obstacles, do-nothing
    outflow (p = 0), from rest.

    Params: ``length``, ``height`` (m); ``obstacles`` [[x, y, r], ...] (m); ``u_max`` (m/s);
    ``nu`` (m^2/s); ``h_min``, ``h_max`` (cell sizes at the obstacles and far away, m);
    ``mesh_order`` (1 or 2, default 2); ``dt`` (s); ``n_steps``; ``n_out`` (outputs, evenly
    spaced: every n_steps / n_out steps); ``t_ramp`` (s, default 0: impulsive start).

    Returns ``coords`` (n, 2), ``cells`` (n_cells, 3) of the P1 nodes; ``time`` (n_out,);
    ``u`` (n_out, n, 2) m/s and ``p`` (n_out, n) m^2/s^2 at the nodes; ``force`` (n_out,
    n_obstacles, 2) m^3/s^2 (drag, lift per unit depth and density); ``outflow`` (n_out,) m^2/s
    (volume flux through the outlet); ``inflow`` (m^2/s, 2/3 u_max height at full ramp);
    ``div_l2`` (n_out,) m/s (L2 norm of div u); ``h_min_mesh`` (m); ``cfl`` (u_max dt / h_min_mesh).
    """
    length, height = float(params["length"]), float(params["height"])
    obstacles = [tuple(map(float, ob)) for ob in np.asarray(params["obstacles"], float).reshape(-1, 3)]
    u_max, nu, dt = float(params["u_max"]), float(params["nu"]), float(params["dt"])
    n_steps, n_out = int(params["n_steps"]), int(params["n_out"])
    t_ramp = float(params.get("t_ramp", 0.0))
    if n_steps % n_out:
        raise ValueError(f"n_steps = {n_steps} is not a multiple of n_out = {n_out}")
    msh, tags = channel_mesh(length, height, obstacles, float(params["h_min"]), float(params["h_max"]),
                             int(params.get("mesh_order", 2)))
    h_min = float(dfx.cell_diameters(msh).min())

    def profile(x):
        return np.stack([4.0 * u_max * x[1] * (height - x[1]) / height**2, 0.0 * x[0]])

    walls = [(0.0, WALLS)] + [(0.0, OBSTACLE + i) for i in range(len(obstacles))]
    ns = IPCS(msh, tags, nu=nu, dt=dt, velocity_bcs=[(profile, INLET), *walls], pressure_tags=(OUTLET,))
    inflow = ns.boundary_velocity[INLET]
    full = inflow.x.array.copy()
    forces = Forces(ns, len(obstacles))
    n = ufl.FacetNormal(msh)
    ds = ufl.Measure("ds", domain=msh, subdomain_data=tags)
    outflow = dfx.Functional(ufl.dot(ns.u_, n) * ds(OUTLET))
    div_l2 = dfx.Functional(ufl.div(ns.u_) ** 2 * ufl.dx)
    V1, coords, cells = dfx.p1_nodes(msh)

    out = {k: [] for k in ("time", "u", "p", "force", "outflow", "div_l2")}
    every = n_steps // n_out
    ns.start()
    for step in range(1, n_steps + 1):
        t = step * dt
        ramp = 1.0 if t >= t_ramp else 0.5 * (1.0 - np.cos(np.pi * t / t_ramp))
        inflow.x.array[:] = ramp * full
        _checked_step(ns, step, u_max, h_min)
        if step % every == 0:
            out["time"].append(t)
            out["u"].append(dfx.nodal_values(ns.u_, V1))
            out["p"].append(dfx.nodal_values(ns.p_, V1))
            out["force"].append(forces())
            out["outflow"].append(outflow())
            out["div_l2"].append(np.sqrt(div_l2()))
    result = {k: np.asarray(v) for k, v in out.items()}
    result.update(coords=coords, cells=cells, inflow=2.0 / 3.0 * u_max * height,
                  h_min_mesh=h_min, cfl=u_max * dt / h_min)
    return result
