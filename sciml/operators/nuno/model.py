"""NUNO: one grid operator over the stacked subdomain grids, evaluated back at the points.

How the anchor's NU-FNO is built (thu-ml/NUNO ``src/channel/ours_nufno.py``,
``src/heatsink/ours_nufno.py``): the subdomain grids, all of one shape, are stacked as
*channels* of a single FNO (``in_channels = n_subdomains * channels``, likewise out), not
batched through a shared per-subdomain FNO. So one Fourier layer mixes all subdomains: the
network can pass information between subdomains, and the grid axes of different subdomains
(long-side aligned) are superposed. The output is split back into per-subdomain grids and
interpolated at each point from its own leaf's grid.

Here the channels are stacked subdomain-major (channel ``s * channels + c`` is channel ``c``
of subdomain ``s``; the anchor orders them channel-major, an immaterial permutation).

>>> fno = FNO(n_sub * c_in, n_sub * c_out, modes=(12, 12), width=32, key=key)
>>> model = NUNO(fno, decomposition, c_in, c_out)
>>> model(grids, points)          # grids (n_sub, c_in, *grid) -> (n_points, c_out)
"""

from __future__ import annotations

from collections.abc import Callable

import equinox as eqx
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray

from sciml.operators.nuno.interp import grids_to_points
from sciml.operators.nuno.kdtree import Decomposition

__all__ = ["NUNO", "nu_fno"]


class NUNO(eqx.Module):
    """A grid operator applied to the subdomain grids stacked as channels.

    Attributes:
        operator: maps ``(n_sub * in_channels, *grid)`` to ``(n_sub * out_channels, *grid)``,
            e.g. :class:`~sciml.operators.fno.FNO`.
        decomposition: the K-D tree leaves (static; hashed by identity).
        in_channels: input channels per subdomain.
        out_channels: output channels per subdomain.
    """

    operator: Callable[[Array], Array]
    decomposition: Decomposition = eqx.field(static=True)
    in_channels: int = eqx.field(static=True)
    out_channels: int = eqx.field(static=True)

    def __check_init__(self):
        if self.in_channels < 1 or self.out_channels < 1:
            raise ValueError(f"channels must be >= 1; got in={self.in_channels}, out={self.out_channels}")

    @property
    def n_subdomains(self) -> int:
        return self.decomposition.n_subdomains

    def grids(self, x: Float[ArrayLike, "n_sub c_in *grid"]) -> Float[Array, "n_sub c_out *grid"]:
        """The operator on the stacked grids, split back into subdomains."""
        n_sub, dim = self.n_subdomains, self.decomposition.dim
        if x.ndim != dim + 2 or x.shape[:2] != (n_sub, self.in_channels):
            raise ValueError(
                f"input must have shape (n_sub={n_sub}, in_channels={self.in_channels}, *grid) with {dim} grid "
                f"axes; got {x.shape}"
            )
        shape = x.shape[2:]
        y = self.operator(x.reshape(n_sub * self.in_channels, *shape))
        return y.reshape(n_sub, self.out_channels, *shape)

    def __call__(
        self, x: Float[ArrayLike, "n_sub c_in *grid"], points: Float[ArrayLike, "n d"]
    ) -> Float[Array, "n c_out"]:
        """The prediction at ``points``: each point read from its leaf's output grid."""
        return grids_to_points(self.grids(x), self.decomposition, points)


def nu_fno(
    decomposition: Decomposition,
    in_channels: int,
    out_channels: int,
    modes: tuple[int, ...],
    width: int,
    n_layers: int = 4,
    *,
    padding: int = 0,
    append_grid: bool = True,
    key: PRNGKeyArray,
) -> NUNO:
    """NU-FNO: a NUNO over one FNO with ``n_sub * in_channels`` inputs and
    ``n_sub * out_channels`` outputs (the anchor: modes 8, width 20 for channel flow and heat
    sink with 3-D grids)."""
    from sciml.operators.fno import FNO

    n_sub = decomposition.n_subdomains
    fno = FNO(
        n_sub * in_channels,
        n_sub * out_channels,
        modes,
        width,
        n_layers,
        padding=padding,
        append_grid=append_grid,
        key=key,
    )
    return NUNO(fno, decomposition, in_channels, out_channels)
