"""Evaluate dysts' own right-hand sides under ``jax.numpy``.

dysts writes every flow as NumPy code: either a static ``_rhs(x, y, ..., t, *params)``
(numba-compiled; its pure-Python original is ``.py_func``) or an ``rhs(self, X, t)`` method
that reads parameters from ``self``. That code only calls ``np.<ufunc>`` and arithmetic, so
re-running the *same* code objects with ``np`` bound to ``jax.numpy`` gives a JAX function
that is traceable, vmappable and differentiable, and that cannot drift from dysts' catalogue.
Nothing is copied: the function bodies stay dysts' own; only the global namespace they
resolve ``np`` (and the builtins ``max``/``min``, used on scalars by BelousovZhabotinsky)
against is replaced. Code that mutates arrays in place cannot be traced; those flows are
ported by hand in :mod:`chaos.systems._manual` and listed there.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable, Mapping
from typing import Any

import jax.numpy as jnp

_JAX_GLOBALS = {"np": jnp, "max": jnp.maximum, "min": jnp.minimum}


def jaxify(fn: Callable) -> Callable:
    """The Python function behind ``fn`` (a numba dispatcher or plain function), with
    ``np``, ``max`` and ``min`` resolved to their ``jax.numpy`` counterparts."""
    while isinstance(fn, staticmethod):
        fn = fn.__func__
    py = getattr(fn, "py_func", fn)
    namespace = dict(py.__globals__)
    namespace.update(_JAX_GLOBALS)
    return types.FunctionType(py.__code__, namespace, py.__name__, py.__defaults__, py.__closure__)


class ParameterView:
    """Stands in for a dysts instance inside its ``rhs(self, X, t)``: parameters come from
    ``params`` (possibly traced), helper methods are jaxified on access."""

    def __init__(self, cls: type, params: Mapping[str, Any]):
        self._cls = cls
        self._params = params

    def __getattr__(self, name: str) -> Any:
        params = self.__dict__["_params"]
        if name in params:
            return params[name]
        attr = inspect.getattr_static(self._cls, name)
        if isinstance(attr, staticmethod):
            return jaxify(attr.__func__)
        if isinstance(attr, types.FunctionType):
            return types.MethodType(jaxify(attr), self)
        raise AttributeError(f"{self._cls.__name__} has no parameter or method {name!r}")


def stack_components(out: Any, like: jnp.ndarray) -> jnp.ndarray:
    """dysts returns a tuple of scalar components (some of them Python ints) or an array;
    make it one array of ``like``'s dtype, shape (D,)."""
    if isinstance(out, (tuple, list)):
        return jnp.stack([jnp.asarray(c, dtype=like.dtype) for c in out])
    return jnp.asarray(out, dtype=like.dtype)


def stack_components_last(out: Any, like: jnp.ndarray) -> jnp.ndarray:
    """Stack a tuple of components (arrays of one shape, or scalars) along a new last axis."""
    parts = jnp.broadcast_arrays(*[jnp.asarray(c, dtype=like.dtype) for c in out])
    return jnp.stack(parts, axis=-1)
