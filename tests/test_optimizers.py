"""Optimizer construction: names, defaults, validation, documentation."""

import inspect

import numpy as np
import pytest

from descend import optimizers
from descend.optimizers import OPTIMIZER_NAMES, SGD, Adam, AdamW, get_optimizer

TORCH_CLASSES = [
    "SGD",
    "Adagrad",
    "RMSprop",
    "Adam",
    "AdamW",
    "NAdam",
    "Adamax",
    "Adadelta",
    "RAdam",
    "ASGD",
    "Rprop",
    "Adafactor",
    "SparseAdam",
    "LBFGS",
    "Muon",
]
# Not in torch.optim: (module, class) of the reference each is held equal to.
OTHER_REFERENCES = {
    "Lion": ("lion_pytorch", "Lion"),
    "SGDScheduleFree": ("schedulefree", "SGDScheduleFree"),
    "AdamWScheduleFree": ("schedulefree", "AdamWScheduleFree"),
    "Prodigy": ("prodigyopt", "Prodigy"),
}
CLASSES = TORCH_CLASSES + list(OTHER_REFERENCES)


def test_every_name_builds_the_method_it_names():
    assert OPTIMIZER_NAMES == (
        "sgd",
        "momentum",
        "nesterov",
        "adagrad",
        "rmsprop",
        "adam",
        "amsgrad",
        "adamw",
        "nadam",
        "adamax",
        "adadelta",
        "radam",
        "sparse_adam",
        "asgd",
        "rprop",
        "adafactor",
        "lion",
        "sgd_schedulefree",
        "adamw_schedulefree",
        "prodigy",
        "ftrl",
    )
    assert optimizers.MATRIX_OPTIMIZER_NAMES == ("muon",) and get_optimizer("muon") == optimizers.Muon()
    assert get_optimizer("lbfgs") == optimizers.LBFGS(history_size=10)
    assert get_optimizer("sgd") == SGD()
    assert get_optimizer("momentum") == SGD(momentum=0.9)
    assert get_optimizer("nesterov") == SGD(momentum=0.9, nesterov=True)
    assert get_optimizer("amsgrad") == Adam(amsgrad=True)
    assert get_optimizer(" AdamW ") == AdamW()
    for name in OPTIMIZER_NAMES:
        assert get_optimizer(name).name in name or name in ("momentum", "nesterov", "amsgrad")
    assert get_optimizer("adam", lr=0.1).lr == 0.1
    instance = Adam(lr=0.2)
    assert get_optimizer(instance) is instance


def test_unknown_name_lists_every_valid_one():
    with pytest.raises(ValueError) as info:
        get_optimizer("adma")
    message = str(info.value)
    assert "'adma'" in message
    for name in OPTIMIZER_NAMES:
        assert name in message


@pytest.mark.parametrize("name", CLASSES)
def test_defaults_are_torchs(name):
    torch = pytest.importorskip("torch")
    if name in OTHER_REFERENCES:
        module, attribute = OTHER_REFERENCES[name]
        reference = getattr(pytest.importorskip(module), attribute)
    else:
        reference = getattr(torch.optim, name)
    ours = inspect.signature(getattr(optimizers, name)).parameters
    theirs = inspect.signature(reference).parameters
    # shape: the matrix that minimize()'s vector holds (torch's parameter is the matrix itself)
    for parameter in [p for p in ours if p != "shape"]:
        assert parameter in theirs, f"{name}.{parameter} is not a torch.optim hyperparameter"
        assert ours[parameter].default == theirs[parameter].default, f"{name}.{parameter}"


@pytest.mark.parametrize("name", CLASSES)
def test_docstring_writes_the_update_as_math_and_cites_a_paper(name):
    doc = getattr(optimizers, name).__doc__
    assert ".. math::" in doc or ":math:" in doc
    assert any(str(year) in doc for year in range(1950, 2030))


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda: SGD(lr=-0.1), r"lr must be a finite number > 0, got -0.1"),
        (lambda: SGD(lr=0), r"lr must be a finite number > 0, got 0"),
        (lambda: SGD(lr=float("nan")), r"lr must be a finite number > 0, got nan"),
        (lambda: SGD(momentum=-0.5), r"momentum must be a finite number >= 0, got -0.5"),
        (lambda: SGD(nesterov=True), r"Nesterov momentum requires a momentum > 0"),
        (lambda: Adam(betas=(1.0, 0.999)), r"betas\[0\] must lie in \[0, 1\), got 1.0"),
        (lambda: Adam(betas=(0.9, -0.1)), r"betas\[1\] must lie in \[0, 1\), got -0.1"),
        (lambda: Adam(betas=0.9), r"betas must be a pair"),
        (lambda: Adam(eps=-1e-8), r"eps must be a finite number >= 0, got -1e-08"),
        (lambda: AdamW(weight_decay=-1), r"weight_decay must be a finite number >= 0, got -1"),
        (lambda: optimizers.Adagrad(lr_decay=-1), r"lr_decay must be a finite number >= 0, got -1"),
        (lambda: optimizers.RMSprop(alpha=1.5), r"alpha must lie in \[0, 1\], got 1.5"),
        (lambda: optimizers.Adadelta(rho=2), r"rho must lie in \[0, 1\], got 2"),
        (lambda: optimizers.NAdam(momentum_decay=-1), r"momentum_decay must be a finite number >= 0, got -1"),
        (
            lambda: optimizers.FTRL(learning_rate_power=0.5),
            r"learning_rate_power must be a finite number <= 0, got 0.5",
        ),
        (
            lambda: optimizers.FTRL(l1_regularization_strength=-1),
            r"l1_regularization_strength must be a finite number >= 0",
        ),
        (
            lambda: optimizers.FTRL(initial_accumulator_value=-0.1),
            r"initial_accumulator_value must be a finite number >= 0",
        ),
        (lambda: optimizers.Adafactor(shape=(2, 2)).init(np.zeros(6)), r"shape=\(2, 2\) holds 4 numbers, x has 6"),
        (lambda: optimizers.Muon(ns_steps=100), r"ns_steps must be an integer from 1 to 99, got 100"),
        (
            lambda: optimizers.Muon(adjust_lr_fn="spectral"),
            r"adjust_lr_fn must be None, 'original' or 'match_rms_adamw'",
        ),
        (lambda: optimizers.Muon(momentum=1.0), r"momentum must lie in \[0, 1\), got 1.0"),
        (lambda: optimizers.Muon(shape=(3,)), r"shape must be a pair \(rows, cols\) or None"),
        (lambda: optimizers.Muon().init(np.zeros(4)), r"Muon steps a matrix, and x is a vector: give shape"),
        (lambda: optimizers.Muon(shape=(2, 3)).init(np.zeros(4)), r"shape=\(2, 3\) holds 6 numbers, x has 4"),
        (
            lambda: optimizers.LBFGS(line_search_fn="armijo"),
            r"line_search_fn must be None or 'strong_wolfe', got 'armijo'",
        ),
        (lambda: optimizers.LBFGS(max_iter=0), r"max_iter must be an integer >= 1, got 0"),
        (lambda: optimizers.LBFGS(tolerance_grad=-1), r"tolerance_grad must be a finite number >= 0, got -1"),
        (lambda: optimizers.SparseAdam(eps=0), r"eps must be a finite number > 0, got 0"),
        (lambda: optimizers.SparseAdam(betas=(1.0, 0.9)), r"betas\[0\] must lie in \[0, 1\), got 1.0"),
        (lambda: optimizers.ASGD(lambd=-1e-4), r"lambd must be a finite number >= 0, got -0.0001"),
        (lambda: optimizers.ASGD(t0=-1), r"t0 must be a finite number >= 0, got -1"),
        (lambda: optimizers.Rprop(etas=(1.5, 1.2)), r"etas\[0\] must lie in \(0, 1\), got 1.5"),
        (lambda: optimizers.Rprop(etas=(0.5, 0.9)), r"etas\[1\] must be a finite number > 1, got 0.9"),
        (lambda: optimizers.Rprop(etas=0.5), r"etas must be a pair"),
        (lambda: optimizers.Rprop(step_sizes=(1.0, 0.1)), r"min <= max, got \(1.0, 0.1\)"),
        (lambda: optimizers.Adafactor(beta2_decay=0.5), r"beta2_decay must be a finite number <= 0, got 0.5"),
        (lambda: optimizers.Adafactor(eps=(None, -1)), r"eps\[1\] must be a finite number >= 0, got -1"),
        (lambda: optimizers.Adafactor(eps=1e-3), r"eps must be a pair"),
        (lambda: optimizers.Adafactor(d=0.5), r"d must be a finite number >= 1, got 0.5"),
        (lambda: optimizers.Lion(betas=(0.9, 1.0)), r"betas\[1\] must lie in \[0, 1\), got 1.0"),
        (lambda: optimizers.Lion(weight_decay=-0.1), r"weight_decay must be a finite number >= 0, got -0.1"),
        (lambda: optimizers.SGDScheduleFree(momentum=1.0), r"momentum must lie in \(0, 1\), got 1.0"),
        (lambda: optimizers.SGDScheduleFree(warmup_steps=2.5), r"warmup_steps must be an integer >= 0, got 2.5"),
        (lambda: optimizers.AdamWScheduleFree(betas=(0.0, 0.999)), r"betas\[0\] must lie in \(0, 1\), got 0.0"),
        (lambda: optimizers.Prodigy(d0=0), r"d0 must be a finite number > 0, got 0"),
        (lambda: optimizers.Prodigy(beta3=1.0), r"beta3 must lie in \[0, 1\), got 1.0"),
        (lambda: optimizers.Prodigy(growth_rate=0), r"growth_rate must be a number > 0 \(inf: no bound\), got 0"),
        (lambda: optimizers.Prodigy(slice_p=0), r"slice_p must be an integer >= 1, got 0"),
        (lambda: optimizers.Prodigy(eps=0), r"eps must be a finite number > 0, got 0"),
    ],
)
def test_invalid_hyperparameters_name_the_value(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_wrong_types_are_type_errors():
    with pytest.raises(TypeError, match="lr must be a number"):
        SGD(lr="fast")
    with pytest.raises(TypeError, match="hyperparameters .* only be given with an optimizer name"):
        get_optimizer(Adam(), lr=0.1)
    with pytest.raises(TypeError, match="optimizer must be a name"):
        get_optimizer(3)


def test_state_is_explicit_and_the_update_is_in_place():
    opt = Adam(lr=0.1)
    x = np.array([1.0, -2.0])
    state = opt.init(x)
    assert sorted(state) == ["exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"]
    assert state["step"] == 0 and state["max_exp_avg_sq"].size == 0  # amsgrad off: no buffer
    opt.update(x, np.array([0.5, -0.5]), state)
    assert state["step"] == 1
    # First Adam step moves every coordinate by lr against the gradient's sign.
    np.testing.assert_allclose(x, [0.9, -1.9], rtol=1e-7)
    np.testing.assert_allclose(state["exp_avg"], [0.05, -0.05])
    assert repr(opt) == (
        "Adam(lr=0.1, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.0, amsgrad=False, decoupled_weight_decay=False)"
    )


def test_a_hyperparameter_of_the_wrong_kind_is_a_type_error():
    with pytest.raises(TypeError, match=r"r must be a number, got str: 'fast'"):
        optimizers.AdamWScheduleFree(r="fast")
    with pytest.raises(TypeError, match=r"beta2_decay must be a number, got NoneType"):
        optimizers.Adafactor(beta2_decay=None)


def test_lbfgs_in_minimize_refuses_what_is_not_smooth():
    from descend import minimize
    from descend.penalties import ElasticNet

    def f(x):
        return x @ x, 2 * x

    with pytest.raises(ValueError, match=r"needs a smooth objective: no L1 penalty and no bounds"):
        minimize(f, [0.5, 0.5], "lbfgs", bounds=(-1, 1))
    with pytest.raises(ValueError, match=r"needs a smooth objective"):
        minimize(f, [1.0, 2.0], "lbfgs", penalty=ElasticNet(alpha=0.1, l1_ratio=0.5))
    with pytest.raises(TypeError, match=r"L-BFGS needs the objective's values"):
        optimizers.LBFGS().update(np.zeros(2), np.ones(2), {"step": 0})
    result = minimize(f, [1.0, 2.0], "lbfgs", penalty=ElasticNet(alpha=0.1, l1_ratio=0.0))  # L2 is smooth
    assert result.converged and np.allclose(result.x, 0)
