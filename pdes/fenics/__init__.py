"""FEniCS (DOLFINx) solvers for parametric data sets on unstructured meshes.

The solves themselves run in worker processes under the FEniCS interpreter (see
:mod:`pdes.fenics.runner`; the worker side is ``pdes/fenics/worker/``, which never imports
this package); this side draws parameters, runs sweeps and builds contract datasets.
"""
