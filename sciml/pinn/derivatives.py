"""A network field whose value and first derivatives at a point share one reverse pass.

Residuals (:mod:`pdes.problems`) take each derivative with its own ``jax.jvp``: ``u_t`` and
``u_x`` are two forward-mode passes through the network. XLA merges their common primal,
but not the two reverse passes that training puts on top of them, so the parameter gradient
of a first-order residual costs about nine network passes (three forward, six backward).
:func:`shared_gradient_field` wraps the network so that, at the residual's own point
``(x, t)``, ``u`` and both first derivatives come from one ``jax.value_and_grad`` (a primal
and one backward pass, computed once per point): ``u(x, t)`` returns its value and every
``jax.jvp`` of the field there returns ``u_x dx + u_t dt`` from it, and the training
gradient costs about six passes. On convection (4 x 50 tanh, 1000 points) XLA counts 95
instead of 174 MFLOP for the gradient of the residual loss; Burgers 259 instead of 353,
Allen-Cahn 259 instead of 290, KS 712 instead of 806. The residual code is unchanged, and
so is its value (up to rounding).

Derivatives taken anywhere else (higher orders: the inner ``jvp`` of ``u_xx`` is taken at
a point that carries the outer tangent; parameter tangents) are ordinary forward mode in
the arguments that move, as without the wrapper.

>>> r = jax.vmap(lambda x, t: problem.residual(shared_gradient_field(model, x, t), x, t))(xs, ts)
"""

from __future__ import annotations

from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
from jax.custom_derivatives import SymbolicZero
from jaxtyping import Array, Float

DERIVATIVES = ("shared_reverse", "forward")
Scalar = Float[Array, ""]


def _zero(v) -> bool:
    return isinstance(v, SymbolicZero)


def shared_gradient_field(model: Callable[[Scalar, Scalar], Scalar], x: Scalar, t: Scalar
                          ) -> Callable[[Scalar, Scalar], Scalar]:
    """``model(x', t')`` (scalars to a scalar) as a field whose value and ``jax.jvp`` at
    exactly the point ``(x, t)`` (the same traced values) reuse one ``value_and_grad`` of the
    model there; elsewhere it is the model with ordinary forward-mode derivatives. Call it
    inside the per-point function that the residual is ``vmap``-ped over."""
    params, static = eqx.partition(model, eqx.is_inexact_array)

    def raw(p, x_, t_):
        return eqx.combine(p, static)(x_, t_)

    # Computed here, at the level of x and t, so that it is valid wherever they are (a value
    # computed inside the jvp rule could belong to an inner trace); unused parts are removed
    # by XLA.
    shared = jax.value_and_grad(raw, argnums=(1, 2))(params, x, t)

    @jax.custom_jvp
    def u(p, x_, t_):
        return raw(p, x_, t_)

    def rule(primals, tangents):
        p, x_, t_ = primals
        dp, dx, dt = tangents
        p_moves = not all(_zero(d) for d in jax.tree_util.tree_leaves(dp, is_leaf=_zero))
        if x_ is x and t_ is t and not p_moves:  # at the point: u_x dx + u_t dt from the shared pass
            value, grads = shared
            terms = [g * d for g, d in zip(grads, (dx, dt)) if not _zero(d)]
            return value, sum(terms, jnp.zeros_like(value)).astype(value.dtype)
        # elsewhere (e.g. the inner derivative of u_xx): forward mode in the arguments that move
        if p_moves:
            dp = jax.tree_util.tree_map(lambda d, q: jnp.zeros_like(q) if _zero(d) else d, dp, p, is_leaf=_zero)
        args, tans = (p, x_, t_), (dp, dx, dt)
        moving = [i for i, moves in enumerate((p_moves, not _zero(dx), not _zero(dt))) if moves]
        if not moving:
            value = raw(*args)
            return value, jnp.zeros_like(value)

        def along(*values):  # raw with the moving arguments replaced
            full = list(args)
            for i, v in zip(moving, values):
                full[i] = v
            return raw(*full)

        return jax.jvp(along, tuple(args[i] for i in moving), tuple(tans[i] for i in moving))

    u.defjvp(rule, symbolic_zeros=True)

    def field(x_: Scalar, t_: Scalar) -> Scalar:
        return shared[0] if x_ is x and t_ is t else u(params, x_, t_)

    return field
