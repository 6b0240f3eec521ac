"""A whole run against the reference: the target-error stop checks the same error that the
final evaluation reports."""

import dataclasses

import numpy as np
import pytest

from sciml.pinn import NetworkConfig, RunConfig, SamplerConfig, TrainConfig, run

CFG = RunConfig(problem="convection", method="r3", params={"beta": 1.0}, network=NetworkConfig(width=8, depth=2),
                sampler=SamplerConfig(n_points=64), train=TrainConfig(steps=60, chunk=20, lr=1e-2),
                eval_grid=(32, 11))


def test_target_error_stops_after_the_first_chunk_that_reaches_it():
    free = run(CFG, target_rel_l2=0.0)  # never reached: every chunk checked, all steps run
    assert [s for s, _ in free.error_trace] == [20, 40]  # no check after the last chunk
    assert int(free.windows[0].state.step) == 60
    target = free.error_trace[0][1] * (1 + 1e-9)
    stopped = run(CFG, target_rel_l2=target)  # same seed: the first check meets the target
    assert [s for s, _ in stopped.error_trace] == [20] and int(stopped.windows[0].state.step) == 20
    np.testing.assert_allclose(stopped.rel_l2, free.error_trace[0][1], rtol=1e-6)
    assert stopped.prediction.attrs["status"] == "ok"


def test_target_error_is_checked_in_the_last_window_on_the_whole_prediction():
    marching = run(dataclasses.replace(CFG, windows=2, train=TrainConfig(steps=40, chunk=20, lr=1e-2)),
                   target_rel_l2=0.0)
    steps = [int(w.state.step) for w in marching.windows]
    assert steps == [40, 40] and [s for s, _ in marching.error_trace] == [20]
    assert np.isfinite(marching.error_trace[0][1]) and marching.error_trace[0][1] > 0
