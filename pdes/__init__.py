"""PDE problems for physics-informed learning: one definition per problem, shared by the
residual a trainer minimises and the reference solution it is scored against.

>>> from pdes import problems
>>> problems.names()
>>> burgers = problems.get("burgers")
>>> burgers.reference()                       # xr.Dataset with u(t, x)
>>> burgers.residual(u_fn, x, t)              # PDE residual of a scalar u(x, t), by autodiff

Importing this package turns on JAX's 64-bit mode: the reference solutions are computed in
float64 (spectral and quadrature errors near 1e-10 are not reachable in float32).
"""

import jax

jax.config.update("jax_enable_x64", True)
