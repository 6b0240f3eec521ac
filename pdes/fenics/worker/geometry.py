"""2D geometries built with gmsh's OpenCASCADE kernel and meshed into DOLFINx meshes.

Each builder opens a fresh gmsh session (``General.Terminal = 0``, one thread, fixed mesh
algorithm, so the same arguments give the same mesh), builds the surfaces, tags boundary
curves by where their centres of mass lie, meshes with a target element size and hands the
model to :func:`dfx.mesh_from_gmsh`. gmsh is always finalised, also on failure; a failure
raises ``RuntimeError("gmsh failed to mesh <what>: <reason>")``.

Returns ``(mesh, cell_tags, facet_tags)``; the tag numbers are the builders' constants below.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence

import numpy as np

import dfx

# facet tags (boundary curves)
LEFT, RIGHT, BOTTOM, TOP, HOLE, OUTER, ENDS = 1, 2, 3, 4, 5, 6, 7
# cell tags (surfaces)
SOLID, BASE, FIN = 1, 1, 2


@contextlib.contextmanager
def _session(name: str):
    import gmsh

    gmsh.initialize(readConfigFiles=False)
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.option.setNumber("General.NumThreads", 1)
        gmsh.option.setNumber("Mesh.Algorithm", 6)  # Frontal-Delaunay
        gmsh.option.setNumber("Mesh.RandomFactor", 1e-9)
        gmsh.model.add(name)
        yield gmsh
    except Exception as err:  # noqa: BLE001  (gmsh raises bare Exceptions)
        reason = str(err).strip().splitlines()[-1] if str(err).strip() else type(err).__name__
        raise RuntimeError(f"gmsh failed to mesh {name}: {reason}") from None
    finally:
        gmsh.finalize()


def _classify_curves(gmsh, rules: dict[int, Callable[[float, float], bool]], default: int | None = None) -> None:
    """Physical curve groups: tag ``k`` for each curve whose centre of mass satisfies ``rules[k](x, y)``
    (first match wins); unmatched curves get ``default`` (or an error if None)."""
    groups: dict[int, list[int]] = {}
    for _, curve in gmsh.model.getEntities(1):
        x, y, _ = gmsh.model.occ.getCenterOfMass(1, curve)
        tag = next((k for k, rule in rules.items() if rule(x, y)), default)
        if tag is None:
            raise ValueError(f"boundary curve {curve} at ({x:.4g}, {y:.4g}) matches no boundary rule")
        groups.setdefault(tag, []).append(curve)
    for tag, curves in sorted(groups.items()):
        gmsh.model.addPhysicalGroup(1, sorted(curves), tag)


def _mesh(gmsh, size: float, order: int, fields: Sequence[Callable] = ()):
    gmsh.option.setNumber("Mesh.CharacteristicLengthMin", 0.0)
    gmsh.option.setNumber("Mesh.CharacteristicLengthMax", float(size))
    gmsh.option.setNumber("Mesh.CharacteristicLengthFromPoints", 0)
    gmsh.option.setNumber("Mesh.CharacteristicLengthExtendFromBoundary", 0)
    for make_field in fields:
        make_field(gmsh)
    gmsh.model.mesh.generate(2)
    if order > 1:
        gmsh.model.mesh.setOrder(order)
    _, elements, _ = gmsh.model.mesh.getElements(2)
    if not elements or sum(len(e) for e in elements) == 0:
        raise ValueError("no triangles were generated")
    return dfx.mesh_from_gmsh(gmsh.model, gdim=2)


def _boundary_size_field(curves: Callable[[], list[int]], size_min: float, size_max: float, dist: float):
    """A gmsh field: element size ``size_min`` on ``curves()``, growing linearly to ``size_max``
    at distance ``dist`` from them."""
    def make(gmsh):
        f_dist = gmsh.model.mesh.field.add("Distance")
        gmsh.model.mesh.field.setNumbers(f_dist, "CurvesList", curves())
        gmsh.model.mesh.field.setNumber(f_dist, "NumPointsPerCurve", 200)
        f_th = gmsh.model.mesh.field.add("Threshold")
        gmsh.model.mesh.field.setNumber(f_th, "InField", f_dist)
        gmsh.model.mesh.field.setNumber(f_th, "SizeMin", size_min)
        gmsh.model.mesh.field.setNumber(f_th, "SizeMax", size_max)
        gmsh.model.mesh.field.setNumber(f_th, "DistMin", 0.0)
        gmsh.model.mesh.field.setNumber(f_th, "DistMax", dist)
        gmsh.model.mesh.field.setAsBackgroundMesh(f_th)
    return make


def _graded_from_hole(gmsh, hole_size: float | None, size: float, dist: float) -> list:
    """The size fields for element size ``hole_size`` on the HOLE curves growing to ``size`` over
    ``dist``; none when ``hole_size`` is None or not below ``size``."""
    if hole_size is None or hole_size >= size:
        return []
    hole_curves = lambda: [int(c) for c in gmsh.model.getEntitiesForPhysicalGroup(1, HOLE)]  # noqa: E731
    return [_boundary_size_field(hole_curves, hole_size, size, dist)]


# ---- builders -----------------------------------------------------------------------------
def quarter_plate_with_hole(length: float, radius: float, size: float, *, hole_size: float | None = None,
                            order: int = 1):
    """[0, length]^2 minus the disc of ``radius`` at the origin (the quarter of a holed plate).

    Facet tags: LEFT (x = 0), BOTTOM (y = 0), RIGHT (x = length), TOP (y = length), HOLE.
    ``hole_size`` (default ``size``) is the element size on the hole, growing to ``size`` over
    a distance of ``radius``. ``order`` 2 gives curved (quadratic) cells on the hole.
    """
    if not 0 < radius < length:
        raise ValueError(f"need 0 < radius < length, got radius={radius}, length={length}")
    with _session("quarter plate with hole") as gmsh:
        occ = gmsh.model.occ
        plate = occ.addRectangle(0, 0, 0, length, length)
        disc = occ.addDisk(0, 0, 0, radius, radius)
        (surface,), _ = occ.cut([(2, plate)], [(2, disc)])
        occ.synchronize()
        gmsh.model.addPhysicalGroup(2, [surface[1]], SOLID)
        eps = 1e-8 * length
        _classify_curves(gmsh, {
            LEFT: lambda x, y: abs(x) < eps, BOTTOM: lambda x, y: abs(y) < eps,
            RIGHT: lambda x, y: abs(x - length) < eps, TOP: lambda x, y: abs(y - length) < eps,
        }, default=HOLE)
        return _mesh(gmsh, size, order, _graded_from_hole(gmsh, hole_size, size, radius))


def square_with_void(boundary: np.ndarray, size: float, *, void_size: float | None = None,
                     void_grading: float = 0.2, order: int = 1):
    """The unit square [0, 1]^2 minus the star-shaped void enclosed by the closed spline through
    ``boundary`` ((n, 2) points in order, not repeating the first).

    An empty ``boundary`` (shape (0, 2)) gives the solid square. Facet tags: LEFT, RIGHT,
    BOTTOM, TOP, HOLE. ``void_size`` (default ``size``) is the element size on the void,
    growing linearly to ``size`` at a distance ``void_grading`` from it (a point cloud dense
    near the void, as Geo-FNO's elasticity meshes).
    """
    boundary = np.asarray(boundary, float).reshape(-1, 2)
    with _session("unit cell with void") as gmsh:
        occ = gmsh.model.occ
        square = occ.addRectangle(0, 0, 0, 1, 1)
        if len(boundary):
            if boundary.min() <= 0 or boundary.max() >= 1:
                raise ValueError("the void must lie inside the unit square")
            points = [occ.addPoint(x, y, 0) for x, y in boundary]
            spline = occ.addSpline(points + points[:1])
            void = occ.addPlaneSurface([occ.addCurveLoop([spline])])
            (surface,), _ = occ.cut([(2, square)], [(2, void)])
        else:
            surface = (2, square)
        occ.synchronize()
        gmsh.model.addPhysicalGroup(2, [surface[1]], SOLID)
        eps = 1e-8
        _classify_curves(gmsh, {
            LEFT: lambda x, y: abs(x) < eps, BOTTOM: lambda x, y: abs(y) < eps,
            RIGHT: lambda x, y: abs(x - 1) < eps, TOP: lambda x, y: abs(y - 1) < eps,
        }, default=HOLE)
        return _mesh(gmsh, size, order, _graded_from_hole(gmsh, void_size if len(boundary) else None, size,
                                                           void_grading))


def finned_plate(width: float, base_height: float, fins: np.ndarray, size: float, *, order: int = 1):
    """A base plate [0, width] x [0, base_height] with rectangular fins on top.

    Args:
        fins: (n_fins, 3) rows ``(x_left, fin_width, fin_height)``; fins must lie on the base
            and not touch each other or the base's ends.

    Cell tags: BASE, FIN (the union is conforming: OCC fragments the base and the fins).
    Facet tags: BOTTOM (y = 0), ENDS (the base's vertical ends x = 0 and x = width), OUTER
    (every other exterior edge: the base's top between fins and the fins' sides and tops).
    """
    fins = np.asarray(fins, float).reshape(-1, 3)
    if len(fins):
        left, right = fins[:, 0], fins[:, 0] + fins[:, 1]
        if left.min() <= 0 or right.max() >= width or np.any(left[1:] <= right[:-1]) or fins[:, 1:].min() <= 0:
            raise ValueError("fins must be ordered, non-overlapping, of positive size and inside the base")
    with _session("heat sink") as gmsh:
        occ = gmsh.model.occ
        base = occ.addRectangle(0, 0, 0, width, base_height)
        fin_tags = [occ.addRectangle(x, base_height, 0, w, h) for x, w, h in fins]
        if fin_tags:
            out, _ = occ.fragment([(2, base)], [(2, t) for t in fin_tags])
        else:
            out = [(2, base)]
        occ.synchronize()
        base_surfaces, fin_surfaces = [], []
        for _, s in out:
            _, y, _ = occ.getCenterOfMass(2, s)
            (base_surfaces if y < base_height else fin_surfaces).append(s)
        gmsh.model.addPhysicalGroup(2, base_surfaces, BASE)
        if fin_surfaces:
            gmsh.model.addPhysicalGroup(2, fin_surfaces, FIN)
        # the combined boundary leaves out the base/fin interfaces
        boundary = {abs(c) for _, c in gmsh.model.getBoundary(out, combined=True, oriented=False)}
        groups = {BOTTOM: [], ENDS: [], OUTER: []}
        eps = 1e-9 * width
        for c in sorted(boundary):
            x, y, _ = occ.getCenterOfMass(1, c)
            tag = BOTTOM if abs(y) < eps else ENDS if min(abs(x), abs(x - width)) < eps else OUTER
            groups[tag].append(c)
        for tag, curves in groups.items():
            gmsh.model.addPhysicalGroup(1, curves, tag)
        return _mesh(gmsh, size, order)
