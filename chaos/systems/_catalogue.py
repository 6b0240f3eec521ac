"""Build :class:`System` objects from dysts' catalogue: its list of flows, its metadata
file and its right-hand sides. Nothing here is a hand-kept list of systems."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from . import _manual
from ._system import System
from ._translate import ParameterView, jaxify, stack_components, stack_components_last

_SKIP_META = ("parameters", "initial_conditions", "embedding_dimension", "dimension")


@cache
def _dysts():
    """dysts' flows module and base classes (imported lazily: numba is slow to import)."""
    import dysts.base as base
    import dysts.flows as flows

    return flows, base


@cache
def metadata() -> dict[str, dict[str, Any]]:
    """dysts' metadata for every continuous system, keyed by name."""
    path = resources.files("dysts").joinpath("data/chaotic_attractors.json")
    return json.loads(path.read_text())


@cache
def catalogue_names() -> tuple[str, ...]:
    """Every flow (including delay systems) that dysts defines, sorted."""
    from dysts.systems import get_attractor_list

    return tuple(get_attractor_list("continuous"))


def _as_param(value: Any) -> Any:
    """Lists become float64 arrays; scalars stay Python numbers (so that integer
    exponents stay exact powers under JAX)."""
    if isinstance(value, list):
        return np.asarray(value, dtype=np.float64)
    return value


def build(name: str) -> System:
    """The :class:`System` for one dysts flow."""
    flows, base = _dysts()
    cls = getattr(flows, name)
    meta = dict(metadata()[name])
    params = {k: _as_param(v) for k, v in meta["parameters"].items()}
    ic = np.asarray(meta["initial_conditions"], dtype=np.float64)
    dimension = int(meta["embedding_dimension"])
    rest = {k: v for k, v in meta.items() if k not in _SKIP_META}

    if issubclass(cls, base.DynSysDelay):
        rhs = jaxify(cls._rhs)

        def field(x, x_delayed, t, p):
            return stack_components(rhs(x, x_delayed, t, **p), like=x).reshape(x.shape)

        return System(name, "delay", dimension, 1, params, ic, rest, "dysts _rhs", field)

    postprocess = None
    if hasattr(cls, "_postprocessing"):

        def postprocess(x, p):
            out = ParameterView(cls, p)._postprocessing(*[x[..., i] for i in range(x.shape[-1])])
            return stack_components_last(out, like=x)

    if name in _manual.FIELDS:
        return System(name, "ode", dimension, dimension, params, ic, rest, "manual",
                      _manual.FIELDS[name], postprocess)

    if cls.rhs is base.DynSys.rhs:
        rhs = jaxify(cls._rhs)

        def field(x, t, p):
            return stack_components(rhs(*x, t, **p), like=x)

        source = "dysts _rhs"
    else:
        method = jaxify(cls.rhs)

        def field(x, t, p):
            return stack_components(method(ParameterView(cls, p), x, t), like=x)

        source = "dysts rhs method"
    return System(name, "ode", dimension, dimension, params, ic, rest, source, field, postprocess)
