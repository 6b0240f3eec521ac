"""Reservoir computing in JAX: echo state networks, next-generation RC (NVAR), a simulated
noisy quantum reservoir, and their closed-form ridge readout.

>>> from sciml import reservoir as rc
>>> esn = rc.ESN(3, 500, spectral_radius=0.9, leak=0.5, key=jax.random.key(0))
>>> esn = rc.esn.fit_next_step(esn, u_train, beta=1e-6, warmup=100)
>>> u_pred = rc.esn.forecast(esn, u_context, 1000)            # closed loop
>>> ng = rc.ngrc.fit(rc.NGRC(3, k=2, skip=1, degree=2), x_train, beta=2.5e-6)

Importing this package turns on JAX's 64-bit mode (as ``chaos`` does): the ridge readout is
solved in float64 (see :mod:`sciml.reservoir.ridge`). Models are ``eqx.Module``s with the
readout as a field; fitting returns a new module.
"""

import jax

jax.config.update("jax_enable_x64", True)

from . import esn, ngrc, qrc, quantum  # noqa: E402
from .esn import ESN  # noqa: E402
from .ngrc import NGRC  # noqa: E402
from .qrc import QuantumReservoir  # noqa: E402
from .ridge import ridge_solve  # noqa: E402

__all__ = ["ESN", "NGRC", "QuantumReservoir", "esn", "ngrc", "qrc", "quantum", "ridge_solve"]
