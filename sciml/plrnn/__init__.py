"""Dynamical-systems reconstruction with the shallow PLRNN and generalized teacher forcing.

Hess, Monfared, Brenner & Durstewitz, "Generalized Teacher Forcing for Learning Chaotic
Dynamics", ICML 2023 (reference code: DurstewitzLab/GTF-shPLRNN, Julia).

>>> from sciml import plrnn
>>> train, test, dt = plrnn.system_series("Lorenz", n_points=100_000, seed=0)  # 5 % noise on train
>>> model, history = plrnn.fit(train, plrnn.FitConfig(forcing=plrnn.AdaptiveGTF()), jax.random.key(0))
>>> plrnn.evaluate(model, test)             # {"d_stsp": ..., "d_h": ..., "status": "ok", ...}
>>> history.steps_per_second

Modules: :mod:`.model` (the shPLRNN map), :mod:`.observation` (identity / affine read-out),
:mod:`.forcing` (GTF, aGTF, STF, BPTT and the forced forward pass), :mod:`.alpha` (adaptive
alpha from Jacobian norms), :mod:`.train` (:func:`fit`, checkpoints), :mod:`.evaluate`
(free generation and D_stsp / D_H), :mod:`.data` (series from the chaos database).
"""

from .alpha import ESTIMATORS, alpha_from_norm, estimate_alpha, jacobian_norm_bound, update_alpha
from .data import database_series, system_series
from .evaluate import evaluate, first_divergent_step, generate
from .forcing import BPTT, GTF, STF, AdaptiveGTF, Forcing, PLRNNModel, forced_rollout, forcing_from_dict, sequence_loss
from .model import ShallowPLRNN
from .observation import AbstractObservationModel, Affine, Identity, build_observation
from .train import (
    FitConfig,
    History,
    NonFiniteDataError,
    SeriesTooShortError,
    TrainingDivergedError,
    check_series,
    fit,
    fit_ensemble,
    init_model,
    load,
)

__all__ = [
    "BPTT",
    "ESTIMATORS",
    "GTF",
    "STF",
    "AbstractObservationModel",
    "AdaptiveGTF",
    "Affine",
    "FitConfig",
    "Forcing",
    "History",
    "Identity",
    "NonFiniteDataError",
    "PLRNNModel",
    "SeriesTooShortError",
    "ShallowPLRNN",
    "TrainingDivergedError",
    "alpha_from_norm",
    "build_observation",
    "check_series",
    "database_series",
    "estimate_alpha",
    "evaluate",
    "first_divergent_step",
    "fit",
    "fit_ensemble",
    "forced_rollout",
    "forcing_from_dict",
    "generate",
    "init_model",
    "jacobian_norm_bound",
    "load",
    "sequence_loss",
    "system_series",
    "update_alpha",
]
