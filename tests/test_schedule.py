import pytest
import torch

from began.schedule import PlateauHalving


def _adam():
    return torch.optim.Adam([torch.nn.Parameter(torch.zeros(2))], lr=1e-4)


def _feed(schedule, values):
    for value in values:
        schedule.step(torch.tensor(value))


def test_improving_measure_keeps_the_lr():
    opt = _adam()
    schedule = PlateauHalving([opt], lr=1e-4, patience=20, lr_min=1e-6, window=10)
    _feed(schedule, [1.0 - 0.01 * i for i in range(100)])
    assert schedule.lr == 1e-4
    assert opt.param_groups[0]["lr"] == 1e-4


def test_stall_halves_once_per_patience_and_stops_at_the_floor():
    opt_a, opt_b = _adam(), _adam()
    schedule = PlateauHalving([opt_a, opt_b], lr=1e-4, patience=20, lr_min=3e-5, window=10)
    _feed(schedule, [1.0] * 10)  # first window sets the best
    _feed(schedule, [1.0] * 19)  # one step short of patience
    assert schedule.lr == 1e-4
    _feed(schedule, [1.0] * 1 + [1.0] * 9)  # second stalled window ends: 20 steps stalled
    assert schedule.lr == pytest.approx(5e-5)
    assert opt_a.param_groups[0]["lr"] == opt_b.param_groups[0]["lr"] == pytest.approx(5e-5)
    _feed(schedule, [1.0] * 20)
    assert schedule.lr == pytest.approx(3e-5)  # halving to 2.5e-5 would cross the floor
    _feed(schedule, [1.0] * 200)
    assert schedule.lr == pytest.approx(3e-5)


def test_halving_keeps_adam_state():
    param = torch.nn.Parameter(torch.ones(3))
    opt = torch.optim.Adam([param], lr=1e-3)
    param.grad = torch.ones(3)
    opt.step()
    before = opt.state[param]["exp_avg"].clone()
    schedule = PlateauHalving([opt], lr=1e-3, patience=1, lr_min=0.0, window=1)
    _feed(schedule, [1.0, 1.0])
    assert opt.param_groups[0]["lr"] == pytest.approx(5e-4)
    assert torch.equal(opt.state[param]["exp_avg"], before)
    assert opt.state[param]["step"].item() == 1


def test_state_round_trip_continues_the_count():
    schedule = PlateauHalving([_adam()], lr=1e-4, patience=30, lr_min=0.0, window=10)
    _feed(schedule, [1.0] * 35)
    restored = PlateauHalving([_adam()], lr=1e-4, patience=30, lr_min=0.0, window=10)
    restored.load_state_dict(schedule.state_dict())
    for s in (schedule, restored):
        _feed(s, [1.0] * 25)
    assert schedule.lr == restored.lr == pytest.approx(5e-5)
    assert schedule.state_dict() == restored.state_dict()
