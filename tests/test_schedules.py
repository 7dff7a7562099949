"""Each schedule's values against its formula."""

import math

import numpy as np
import pytest

from descend.schedules import (
    RATE_BLOCK,
    Constant,
    CosineAnnealing,
    Exponential,
    InverseScaling,
    LinearWarmup,
    Optimal,
    ReduceOnPlateau,
    StepDecay,
    as_schedule,
    get_schedule,
    rates,
)

T = range(1, 301)


def test_constant():
    assert [Constant(0.3)(t) for t in (1, 10, 1000)] == [0.3, 0.3, 0.3]


def test_step_decay_is_lr0_times_rate_to_the_floor_of_t_over_steps():
    s = StepDecay(0.1, rate=0.5, steps=10)
    for t in T:
        assert s(t) == 0.1 * 0.5 ** math.floor(t / 10)
    assert s(9) == 0.1 and s(10) == 0.05 and s(25) == 0.025


def test_exponential_is_lr0_times_exp_minus_kt():
    s = Exponential(0.2, k=0.01)
    for t in T:
        assert s(t) == pytest.approx(0.2 * math.exp(-0.01 * t), rel=1e-15)


def test_inverse_scaling_is_sklearns_invscaling():
    s = InverseScaling(0.01)
    assert s.power_t == 0.25
    for t in T:
        assert s(t) == pytest.approx(0.01 / t**0.25, rel=1e-15)
    assert InverseScaling(0.1, power_t=0.5)(4) == pytest.approx(0.05)


def test_cosine_annealing_single_cycle():
    s = CosineAnnealing(1.0, T_max=100, eta_min=0.1)
    for t in range(1, 101):
        assert s(t) == pytest.approx(0.1 + 0.45 * (1 + math.cos(math.pi * (t - 1) / 100)), rel=1e-14)
    assert s(1) == 1.0
    assert s(51) == pytest.approx(0.55)
    assert s(101) == pytest.approx(0.1) and s(500) == pytest.approx(0.1)


def test_cosine_annealing_with_warm_restarts_matches_sgdr():
    s = CosineAnnealing(1.0, T_max=10, restarts=True, T_mult=2)
    # cycles: steps 1-10 (T=10), 11-30 (T=20), 31-70 (T=40), ...
    starts = {1: 10, 11: 20, 31: 40, 71: 80}
    for t in range(1, 150):
        begin = max(b for b in starts if b <= t)
        expected = 0.5 * (1 + math.cos(math.pi * (t - begin) / starts[begin]))
        assert s(t) == pytest.approx(expected, rel=1e-14, abs=1e-15)
    assert s(10) < 0.05 and s(11) == 1.0 and s(31) == 1.0


def test_cosine_matches_torch_where_installed():
    torch = pytest.importorskip("torch")
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=1.0)
    sched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=10, T_mult=2, eta_min=0.01)
    ours = CosineAnnealing(1.0, T_max=10, eta_min=0.01, restarts=True, T_mult=2)
    for t in range(1, 100):
        assert ours(t) == pytest.approx(opt.param_groups[0]["lr"], rel=1e-12)
        opt.step()
        sched.step()


def test_linear_warmup_then_any_schedule():
    after = StepDecay(0.1, rate=0.5, steps=10)
    s = LinearWarmup(after, warmup_steps=4)
    np.testing.assert_allclose([s(t) for t in range(1, 5)], [0.1 * t / 5 for t in range(1, 5)])
    for t in range(5, 60):
        assert s(t) == after(t - 4)
    assert all(s(t) < s(t + 1) for t in range(1, 5))
    assert LinearWarmup(0.2, warmup_steps=1)(1) == pytest.approx(0.1)
    assert LinearWarmup(lambda t: 1.0 / t, warmup_steps=2)(3) == 1.0


def test_reduce_on_plateau_lowers_after_patience_and_respects_cooldown_and_min():
    s = ReduceOnPlateau(1.0, factor=0.5, patience=2, threshold=0.0, cooldown=1, min_lr=0.2)
    losses = [5, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4]
    rates = []
    for loss in losses:
        s.observe(loss)
        rates.append(s(1))
    # bad epochs: 0,0,1,2,3 -> cut to 0.5 at the 5th; cooldown swallows one; then
    # 1,2,3 -> 0.25 at the 9th; cooldown; then would be 0.125 but min_lr is 0.2.
    assert rates == [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25]
    s.reset()
    assert s(1) == 1.0


def test_reduce_on_plateau_matches_torch_where_installed():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    losses = np.concatenate([np.linspace(10, 1, 30), 1 + 0.01 * rng.random(60), np.linspace(1, 0.5, 20)])
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=0.3)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(
        opt, factor=0.3, patience=4, threshold=1e-3, cooldown=2, min_lr=1e-3
    )
    ours = ReduceOnPlateau(0.3, factor=0.3, patience=4, threshold=1e-3, cooldown=2, min_lr=1e-3)
    for loss in losses:
        sched.step(float(loss))
        ours.observe(loss)
        assert ours(1) == pytest.approx(opt.param_groups[0]["lr"], rel=1e-12)
    assert ours(1) < 0.3 * 0.3  # it did cut, twice or more


def test_names_and_plain_callables():
    assert isinstance(get_schedule("invscaling", 0.01), InverseScaling)
    assert get_schedule("cosine", 1.0, total_steps=10)(11) == 0.0
    with pytest.raises(ValueError, match="Unknown schedule 'linear'; valid names are: constant, invscaling"):
        get_schedule("linear", 0.1)
    with pytest.raises(ValueError, match="total_steps"):
        get_schedule("cosine", 0.1)
    assert as_schedule(0.5)(7) == 0.5
    f = lambda t: 1.0 / t  # noqa: E731
    assert as_schedule(f) is f


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda: Constant(0), "lr0 must be a finite number > 0, got 0"),
        (lambda: StepDecay(0.1, steps=0), "steps must be an integer >= 1, got 0"),
        (lambda: Exponential(0.1, k=-1), "k must be a finite number >= 0, got -1"),
        (lambda: CosineAnnealing(0.1, T_max=10, eta_min=1.0), "eta_min"),
        (lambda: ReduceOnPlateau(0.1, factor=2.0), "factor must be < 1"),
        (lambda: InverseScaling(0.1)(0), "count steps from 1"),
    ],
)
def test_validation(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize(
    "schedule", [InverseScaling(0.01), Optimal(1.0, alpha=1e-4), Constant(0.2), lambda t: 0.1 / math.sqrt(t)]
)
def test_rates_in_blocks_are_each_steps_rate(schedule):
    first, count = 7, 2 * RATE_BLOCK + 5  # three blocks, the last one short
    got = rates(schedule, first, count)
    steps = np.arange(first, first + count, dtype=np.float64)
    expected = (
        np.broadcast_to(schedule(steps), steps.shape)
        if getattr(schedule, "vectorized", False)
        else np.array([schedule(int(t)) for t in steps])
    )
    assert got.shape == (count,) and got.dtype == np.float64
    assert np.array_equal(got, expected)  # the same numbers as asked at once, bit for bit
