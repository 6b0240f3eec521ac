"""Physics-informed networks for transport, convection and chaotic problems.

Pieces (each its own module): networks and embeddings (:mod:`.networks`,
:mod:`.embeddings`), collocation samplers incl. R3 and causal R3 (:mod:`.samplers`), causal
weights (:mod:`.causal`), loss terms and weights (:mod:`.losses`), first derivatives of a
network at a point from one shared reverse pass (:mod:`.derivatives`), Lagrangian PINNs
(:mod:`.lpinn`), the generic trainer (:mod:`.train`), the method registry (:mod:`.methods`),
a whole run against a :mod:`pdes.problems` reference, optionally until a target error
(:mod:`.run`), and speed measurement (:mod:`.speed`).

>>> from sciml.pinn import RunConfig, run
>>> result = run(RunConfig(problem="convection", params={"beta": 50.0}, method="r3"))
"""

from . import methods, samplers, speed
from .causal import CausalConfig, causal_loss, causal_weights, chunk_losses, next_eps_index
from .derivatives import shared_gradient_field
from .embeddings import CoordinateScaling, FourierFeatures
from .losses import EulerianPinn, LossConfig, grad_norm_weights
from .lpinn import LagrangianNet, LagrangianPinn, build_lagrangian
from .networks import MLP, Dense, FeatureNet, ModifiedMLP, NetworkConfig, PinnNet, build_network, check_fits
from .run import RunConfig, RunResult, resolve, run
from .samplers import SamplerConfig, SamplerState, build_sampler, r3_update, uniform_points
from .train import TrainConfig, Trainer, TrainResult, TrainState

__all__ = [
    "MLP",
    "CausalConfig",
    "CoordinateScaling",
    "Dense",
    "EulerianPinn",
    "FeatureNet",
    "FourierFeatures",
    "LagrangianNet",
    "LagrangianPinn",
    "LossConfig",
    "ModifiedMLP",
    "NetworkConfig",
    "PinnNet",
    "RunConfig",
    "RunResult",
    "SamplerConfig",
    "SamplerState",
    "TrainConfig",
    "TrainResult",
    "TrainState",
    "Trainer",
    "build_lagrangian",
    "build_network",
    "build_sampler",
    "causal_loss",
    "causal_weights",
    "check_fits",
    "chunk_losses",
    "grad_norm_weights",
    "methods",
    "next_eps_index",
    "r3_update",
    "resolve",
    "run",
    "samplers",
    "shared_gradient_field",
    "speed",
    "uniform_points",
]
