"""The multiscale Lorenz 96 models: two-level (Lorenz 1996) and three-level (Thornes, Düben &
Palmer 2017) generators in JAX, the coarse model with a closure, closure targets, data sets
and Lyapunov exponents. See the submodules for the equations and conventions:

* ``_params``: :class:`L96Params`, :class:`ThreeLevelParams`, the named sets;
* ``_models``: tendencies, :func:`rk4_step`, simulators, :func:`coarse_step`;
* ``_dataset``: :func:`closure_target` (its definition) and :func:`make_dataset`;
* ``_lyapunov``: the leading exponents by QR on the tangent RK4 map.

Largest stable RK4 steps, measured (4 members, 20 MTU from the attractor, float64; "stable"
only, accuracy asks for less): two-level lorenz1996 0.015 (0.02 blows up), wilks and arnold
0.01 (0.012 blows up), so the standard dt = 0.005 has a margin of 2-3; three-level thornes2017
0.01 (0.012 blows up; default 0.005); the coarse one-level model 0.12 at F = 10 (0.15 blows
up), 0.07 at F = 18 and 20 (0.1 blows up).
"""

from ._dataset import (
    CLOSURE_TARGET_DEFINITION,
    closure_target,
    coarse_step_with_correction,
    initial_conditions,
    make_dataset,
)
from ._lyapunov import lyapunov_exponents
from ._models import (
    Closure,
    advection,
    coarse_step,
    coupling,
    one_level_tendency,
    rk4_step,
    simulate_coarse,
    simulate_one_level,
    simulate_three_level,
    simulate_two_level,
    spin_up,
    three_level_tendency,
    two_level_tendency,
)
from ._params import (
    PARAMETER_SETS,
    THREE_LEVEL_SETS,
    L96Params,
    ThreeLevelParams,
    parameter_set,
    three_level_parameter_set,
)

__all__ = [
    "CLOSURE_TARGET_DEFINITION",
    "PARAMETER_SETS",
    "THREE_LEVEL_SETS",
    "Closure",
    "L96Params",
    "ThreeLevelParams",
    "advection",
    "closure_target",
    "coarse_step",
    "coarse_step_with_correction",
    "coupling",
    "initial_conditions",
    "lyapunov_exponents",
    "make_dataset",
    "one_level_tendency",
    "parameter_set",
    "rk4_step",
    "simulate_coarse",
    "simulate_one_level",
    "simulate_three_level",
    "simulate_two_level",
    "spin_up",
    "three_level_parameter_set",
    "three_level_tendency",
    "two_level_tendency",
]
