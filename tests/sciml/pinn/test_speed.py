"""Speed measurement: interleaved timing returns one rate per round and trainer, FLOP
amortisation, and the peak estimate."""

import jax
import pytest

from pdes import problems
from sciml.pinn import (EulerianPinn, LossConfig, NetworkConfig, SamplerConfig, TrainConfig, Trainer, build_network,
                        build_sampler)
from sciml.pinn.speed import InterleavedTimer, amortised_flops, interleaved_rates, peak_gflops


def _trainer(sampler):
    p = problems.get("convection")
    net, loss = NetworkConfig(width=8, depth=1), LossConfig(n_ic=8, n_bc=4)
    model = build_network(net, p, p.params, key=jax.random.key(0))
    form = EulerianPinn.build(p, p.params, net, loss)
    s = build_sampler(sampler, SamplerConfig(n_points=16), p.x_domain, p.t_domain)
    return Trainer(model, form, s, loss, TrainConfig(steps=10, chunk=5))


def test_interleaved_rates_time_every_trainer_every_round():
    rates = interleaved_rates({"pinn": _trainer("fixed"), "r3": _trainer("r3")}, chunk=3, rounds=2)
    assert set(rates) == {"pinn", "r3"} and all(len(r) == 2 and min(r) > 0 for r in rates.values())
    with pytest.raises(ValueError, match="rounds"):
        interleaved_rates({"pinn": _trainer("fixed")}, chunk=3, rounds=0)


def test_timer_times_further_rounds_of_a_subset_and_advances_the_state():
    timer = InterleavedTimer({"pinn": _trainer("fixed"), "r3": _trainer("r3")}, chunk=3)
    first = timer.rounds(1)
    more = timer.rounds(2, only=("pinn",))
    assert set(first) == {"pinn", "r3"} and set(more) == {"pinn"} and len(more["pinn"]) == 2
    assert int(timer._runs["pinn"][1].step) == 3 * 4 and int(timer._runs["r3"][1].step) == 3 * 2
    with pytest.raises(ValueError, match="rounds"):
        timer.rounds(0)


def test_flops_of_the_pool_pass_are_amortised_over_the_period():
    assert amortised_flops(1100.0, 100.0, 1000) == pytest.approx(101.0)
    assert amortised_flops(90.0, 100.0, 10) == 100.0
    trainer = _trainer("fixed")
    flops = trainer.flops_per_step(trainer.init(jax.random.key(0)))
    assert flops is None or flops > 0


def test_peak_estimate_is_positive_or_says_why():
    peak, how = peak_gflops()
    assert (peak is None and how) or (peak > 0 and "GHz" in how)
