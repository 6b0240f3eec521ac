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


@pytest.mark.parametrize("method", ["causal", "r3"])
def test_windows_of_an_autonomous_problem_share_one_compiled_step_and_equal_separate_windows(method, monkeypatch):
    import importlib

    from sciml.pinn.train import Trainer

    run_module = importlib.import_module("sciml.pinn.run")  # the module (sciml.pinn.run is also the function)

    traces = []
    step = Trainer.step
    monkeypatch.setattr(Trainer, "step", lambda self, *a: (traces.append(1), step(self, *a))[1])
    cfg = dataclasses.replace(CFG, method=method, windows=3, train=TrainConfig(steps=8, chunk=4, lr=1e-2))
    shared = run(cfg)
    assert len(traces) == 1  # one trace of the chunk for all three windows
    resolve = run_module.resolve

    def separate(c):  # the same problem declared non-autonomous: a trainer (and a compile) per window
        problem, params, m = resolve(c)
        return dataclasses.replace(problem, autonomous=False), params, m

    monkeypatch.setattr(run_module, "resolve", separate)
    traces.clear()
    apart = run(cfg)
    assert len(traces) == 3
    np.testing.assert_allclose(shared.prediction.u.values, apart.prediction.u.values, atol=2e-5)
    np.testing.assert_allclose(shared.rel_l2, apart.rel_l2, rtol=1e-4)
