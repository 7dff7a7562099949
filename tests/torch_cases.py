"""The optimizer configurations and objectives on which descend must equal torch.optim.

Shared by ``make_torch_reference.py`` (which writes ``data/torch_reference.npz``
with torch) and ``test_torch_reference.py`` (which compares against the file,
and against torch itself where it is installed). Pure NumPy.
"""

import numpy as np
from scipy.special import expit

N_STEPS = 200

# (class name, hyperparameters): every option of every optimizer, alone and
# in the combinations where options interact.
CASES = [
    ("SGD", {"lr": 0.05}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.5}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.05, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.03, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.05}),
    ("SGD", {"lr": 0.03, "momentum": 0.8, "nesterov": True, "weight_decay": 0.05}),
    ("Adagrad", {"lr": 0.2}),
    ("Adagrad", {"lr": 0.2, "lr_decay": 0.01}),
    ("Adagrad", {"lr": 0.2, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.2, "initial_accumulator_value": 0.5}),
    ("Adagrad", {"lr": 0.2, "eps": 1e-3}),
    ("Adagrad", {"lr": 0.2, "lr_decay": 0.02, "weight_decay": 0.05, "initial_accumulator_value": 0.1, "eps": 1e-6}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9}),
    ("RMSprop", {"lr": 0.01, "eps": 1e-4}),
    ("RMSprop", {"lr": 0.01, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSprop", {"lr": 0.005, "alpha": 0.98, "centered": True, "momentum": 0.5, "weight_decay": 0.05}),
    ("Adam", {"lr": 0.05}),
    ("Adam", {"lr": 0.05, "betas": (0.8, 0.99)}),
    ("Adam", {"lr": 0.05, "eps": 1e-3}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.05, "amsgrad": True}),
    ("Adam", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1, "betas": (0.5, 0.9)}),
    ("AdamW", {"lr": 0.05}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True}),
    ("AdamW", {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-4}),
    ("NAdam", {"lr": 0.02}),
    ("NAdam", {"lr": 0.02, "momentum_decay": 0.01}),
    ("NAdam", {"lr": 0.02, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.02, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("NAdam", {"lr": 0.02, "betas": (0.8, 0.99), "eps": 1e-4}),
    ("Adamax", {"lr": 0.05}),
    ("Adamax", {"lr": 0.05, "betas": (0.8, 0.99)}),
    ("Adamax", {"lr": 0.05, "eps": 1e-3}),
    ("Adamax", {"lr": 0.05, "weight_decay": 0.1}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5}),
    ("Adadelta", {"rho": 0.95}),
    ("Adadelta", {"eps": 1e-4}),
    ("Adadelta", {"weight_decay": 0.1}),
    ("RAdam", {"lr": 0.05}),
    ("RAdam", {"lr": 0.05, "betas": (0.8, 0.99)}),
    ("RAdam", {"lr": 0.05, "eps": 1e-4}),
    ("RAdam", {"lr": 0.05, "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("ASGD", {"lr": 0.05}),
    ("ASGD", {"lr": 0.05, "lambd": 0.05}),
    ("ASGD", {"lr": 0.05, "lambd": 0.05, "alpha": 0.5}),
    ("ASGD", {"lr": 0.05, "t0": 20}),
    ("ASGD", {"lr": 0.05, "weight_decay": 0.1}),
    ("ASGD", {"lr": 0.03, "lambd": 0.01, "alpha": 1.0, "t0": 50, "weight_decay": 0.05}),
    ("Rprop", {"lr": 0.01}),
    ("Rprop", {"lr": 0.01, "etas": (0.3, 1.5)}),
    ("Rprop", {"lr": 0.01, "step_sizes": (1e-3, 0.5)}),
    ("Rprop", {"lr": 0.05, "etas": (0.4, 1.1), "step_sizes": (1e-4, 1.0)}),
    # Adafactor's steps are a fixed fraction of RMS(x): at larger rates its path turns chaotic (two
    # float64 orders of summation part by 1e-2 after 100 steps), so its cases keep small rates.
    ("Adafactor", {"lr": 0.01}),
    ("Adafactor", {"lr": 0.01, "weight_decay": 0.1}),
    ("Adafactor", {"lr": 0.01, "eps": (0.5, 10.0)}),
    ("Adafactor", {"lr": 0.01, "eps": (1.0, 1e-3)}),
    ("Adafactor", {"lr": 0.005}),
    ("Adafactor", {"lr": 0.005, "beta2_decay": -0.6, "eps": (0.5, 10.0), "d": 1.5, "weight_decay": 0.05}),
    ("LBFGS", {}),
    ("LBFGS", {"line_search_fn": "strong_wolfe"}),
    ("LBFGS", {"lr": 0.5}),
    ("LBFGS", {"max_iter": 5}),
    ("LBFGS", {"max_iter": 5, "max_eval": 4}),
    ("LBFGS", {"history_size": 3}),
    ("LBFGS", {"tolerance_grad": 1e-3}),
    ("LBFGS", {"tolerance_change": 1e-3}),
    ("LBFGS", {"max_iter": 4, "max_eval": 6, "line_search_fn": "strong_wolfe"}),
    (
        "LBFGS",
        {
            "lr": 0.8,
            "max_iter": 3,
            "history_size": 4,
            "tolerance_grad": 1e-5,
            "tolerance_change": 1e-6,
            "line_search_fn": "strong_wolfe",
        },
    ),
    # Muon: torch runs its Newton-Schulz iterations in bfloat16; the reference does them in float64
    # (make_torch_reference.py), as descend does. Its steps have a fixed size whatever the gradient's,
    # so near the minimum it circles, and there the two paths part (by 3e-2 after 130 steps at
    # lr 0.02 and momentum 0.8 on the multinomial loss): that case takes lr 0.01.
    ("Muon", {"lr": 0.02}),
    ("Muon", {"lr": 0.02, "weight_decay": 0.0}),
    ("Muon", {"lr": 0.01, "momentum": 0.8}),
    ("Muon", {"lr": 0.02, "nesterov": False}),
    ("Muon", {"lr": 0.02, "ns_steps": 3}),
    ("Muon", {"lr": 0.02, "ns_coefficients": (2.0, -1.5, 0.5)}),
    ("Muon", {"lr": 0.02, "eps": 1e-3}),
    ("Muon", {"lr": 0.02, "adjust_lr_fn": "original"}),
    ("Muon", {"lr": 0.02, "adjust_lr_fn": "match_rms_adamw"}),
    (
        "Muon",
        {
            "lr": 0.01,
            "weight_decay": 0.05,
            "momentum": 0.9,
            "nesterov": False,
            "ns_steps": 4,
            "adjust_lr_fn": "match_rms_adamw",
        },
    ),
    ("SparseAdam", {"lr": 0.05}),
    ("SparseAdam", {"lr": 0.05, "betas": (0.8, 0.99)}),
    ("SparseAdam", {"lr": 0.05, "eps": 1e-3}),
    ("SparseAdam", {"lr": 0.02, "betas": (0.5, 0.9), "eps": 1e-4}),
    # Lion is not in torch.optim: its reference is lion_pytorch.Lion (LION_SOURCE)
    ("Lion", {"lr": 0.01}),
    ("Lion", {"lr": 0.01, "betas": (0.8, 0.95)}),
    ("Lion", {"lr": 0.01, "weight_decay": 0.1}),
    ("Lion", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    # Schedule-free SGD and AdamW: the reference is the authors' package schedulefree
    ("SGDScheduleFree", {"lr": 0.05}),
    ("SGDScheduleFree", {"lr": 0.05, "momentum": 0.7}),
    ("SGDScheduleFree", {"lr": 0.05, "weight_decay": 0.1}),
    ("SGDScheduleFree", {"lr": 0.05, "warmup_steps": 20}),
    ("SGDScheduleFree", {"lr": 0.05, "r": 1.0}),
    ("SGDScheduleFree", {"lr": 0.05, "warmup_steps": 20, "weight_lr_power": 1.0}),
    (
        "SGDScheduleFree",
        {"lr": 0.03, "momentum": 0.8, "weight_decay": 0.05, "warmup_steps": 10, "r": 0.5, "weight_lr_power": 3.0},
    ),
    ("AdamWScheduleFree", {"lr": 0.05}),
    ("AdamWScheduleFree", {"lr": 0.05, "betas": (0.8, 0.99)}),
    ("AdamWScheduleFree", {"lr": 0.05, "eps": 1e-3}),
    ("AdamWScheduleFree", {"lr": 0.05, "weight_decay": 0.1}),
    ("AdamWScheduleFree", {"lr": 0.05, "warmup_steps": 20}),
    ("AdamWScheduleFree", {"lr": 0.05, "r": 1.0, "weight_lr_power": 1.0}),
    (
        "AdamWScheduleFree",
        {
            "lr": 0.03,
            "betas": (0.7, 0.95),
            "eps": 1e-3,
            "weight_decay": 0.05,
            "warmup_steps": 10,
            "r": 0.5,
            "weight_lr_power": 3.0,
        },
    ),
    # Prodigy: the reference is the authors' package prodigyopt. Its rate is a ratio of two sums over
    # the coordinates, which torch adds in another order (BLAS's dot): on the logistic objective,
    # betas (0.8, 0.99) part from it by 1.8e-10 after 200 steps and beta3 = 0.9 by 9e-9, where
    # (0.85, 0.99) and 0.95 stay within 4e-11. So those two are the cases here.
    ("Prodigy", {}),
    ("Prodigy", {"lr": 0.5}),
    ("Prodigy", {"betas": (0.85, 0.99)}),
    ("Prodigy", {"betas": (0.0, 0.99)}),
    ("Prodigy", {"beta3": 0.95}),
    ("Prodigy", {"eps": 1e-4}),
    ("Prodigy", {"weight_decay": 0.1}),
    ("Prodigy", {"weight_decay": 0.1, "decouple": False}),
    ("Prodigy", {"use_bias_correction": True}),
    ("Prodigy", {"safeguard_warmup": True}),
    ("Prodigy", {"d0": 1e-3}),
    ("Prodigy", {"d_coef": 0.5}),
    ("Prodigy", {"growth_rate": 1.05}),
    ("Prodigy", {"slice_p": 2}),
    (
        "Prodigy",
        {
            "lr": 0.7,
            "betas": (0.0, 0.95),
            "weight_decay": 0.05,
            "decouple": False,
            "use_bias_correction": True,
            "safeguard_warmup": True,
            "d0": 1e-4,
            "d_coef": 0.8,
            "growth_rate": 1.2,
            "slice_p": 3,
        },
    ),
]

#: The optimizers whose reference is not torch.optim: class name -> (module, class) of the reference.
OTHER_SOURCES = {
    "Lion": ("lion_pytorch", "Lion"),
    "SGDScheduleFree": ("schedulefree", "SGDScheduleFree"),
    "AdamWScheduleFree": ("schedulefree", "AdamWScheduleFree"),
    "Prodigy": ("prodigyopt", "Prodigy"),
}

#: The optimizers whose fit returns another point than the last iterate: ASGD's average of the
#: iterates (torch's state "ax"), the schedule-free average x (the reference's eval()).
ESTIMATED = {"ASGD", "SGDScheduleFree", "AdamWScheduleFree"}


def case_id(name, hyperparameters):
    return name + "".join(f"-{k}={v}" for k, v in hyperparameters.items())


def _quadratic():
    """0.5 x'Ax - b'x in 6 dimensions, eigenvalues from 1 to 10."""
    rng = np.random.default_rng(20260101)
    q, _ = np.linalg.qr(rng.standard_normal((6, 6)))
    A = q @ np.diag(np.linspace(1.0, 10.0, 6)) @ q.T
    A = 0.5 * (A + A.T)
    b = rng.standard_normal(6)
    x0 = 5.0 * rng.standard_normal(6)

    def fun(x):
        Ax = A @ x
        return 0.5 * x @ Ax - b @ x, Ax - b

    return fun, x0


def _logistic():
    """Mean logistic loss of a linear model with intercept, 80 samples, 4 features."""
    rng = np.random.default_rng(20260102)
    X = np.column_stack([rng.standard_normal((80, 4)) * [1.0, 2.0, 0.5, 1.5], np.ones(80)])
    w_true = np.array([1.0, -0.5, 2.0, 0.3, -0.2])
    y = np.where(rng.random(80) < expit(X @ w_true), 1.0, -1.0)
    x0 = 3.0 * rng.standard_normal(5)

    def fun(w):
        margin = y * (X @ w)
        value = np.mean(np.logaddexp(0.0, -margin))
        grad = -X.T @ (y * expit(-margin)) / len(y)
        return value, grad

    return fun, x0


def _sparse_rows():
    """Per-sample logistic loss on a sparse design, one row a call, in order (call k takes row k mod 40),
    without intercept: each gradient is non-zero on that row's few features only, as torch receives
    it, a sparse tensor (SparseAdam takes no other)."""
    rng = np.random.default_rng(20260103)
    X = np.where(rng.random((40, 12)) < 0.25, rng.standard_normal((40, 12)), 0.0)
    X[np.arange(40), rng.integers(0, 12, 40)] = 1.0  # no empty row
    y = np.where(rng.random(40) < 0.5, 1.0, -1.0)
    x0 = rng.standard_normal(12)
    calls = [0]

    def fun(w):
        row, label = X[calls[0] % 40], y[calls[0] % 40]
        calls[0] += 1
        margin = label * (row @ w)
        return np.logaddexp(0.0, -margin), -label * expit(-margin) * row

    return fun, x0


def _rosenbrock():
    """Rosenbrock's valley, (1 - a)^2 + 100 (b - a^2)^2, from (-1.5, 2): for the methods with a line
    search (the others' fixed rates diverge or crawl there)."""

    def fun(x):
        a, b = x
        value = (1 - a) ** 2 + 100 * (b - a * a) ** 2
        return value, np.array([-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)])

    return fun, np.array([-1.5, 2.0])


def _multinomial():
    """Mean multinomial logistic loss of a 3 x 4 coefficient matrix W (3 classes, 4 features, no
    intercept), held row by row in a vector of 12: for Muon, which steps W as a matrix."""
    rng = np.random.default_rng(20260104)
    X = rng.standard_normal((90, 4)) * [1.0, 2.0, 0.5, 1.5]
    y = rng.integers(0, 3, 90)
    x0 = rng.standard_normal(12)

    def fun(w):
        scores = X @ w.reshape(3, 4).T
        top = scores.max(axis=1, keepdims=True)
        log_sum = top[:, 0] + np.log(np.exp(scores - top).sum(axis=1))
        probabilities = np.exp(scores - log_sum[:, None])
        probabilities[np.arange(90), y] -= 1
        return float(np.mean(log_sum - scores[np.arange(90), y])), (probabilities.T @ X / 90).ravel()

    return fun, x0


OBJECTIVES = {
    "quadratic": _quadratic,
    "logistic": _logistic,
    "sparse_rows": _sparse_rows,
    "rosenbrock": _rosenbrock,
    "multinomial": _multinomial,
}

#: The matrix each objective's vector holds, for Muon (torch steps that matrix); the multinomial's is a
#: matrix for every optimizer that takes one (Adafactor factors its second moment there).
MATRIX_SHAPES = {"quadratic": (2, 3), "multinomial": (3, 4)}


def as_matrix(name, objective):
    """Whether torch steps this case's parameter as a matrix (descend: ``shape=``)."""
    return name == "Muon" or objective == "multinomial"


#: The objectives some optimizers' cases run on besides the quadratic and the logistic loss: the
#: sparse rows for an optimizer of sparse gradients, Rosenbrock for L-BFGS (and the multinomial's
#: matrix for Adafactor's factored second moment: objectives_for).
EXTRA_OBJECTIVES = {"SparseAdam": ["sparse_rows"], "LBFGS": ["rosenbrock"]}

#: The optimizers of sparse gradients: torch gets their gradients as sparse tensors.
SPARSE_GRADIENTS = {"SparseAdam"}

#: The optimizers whose step takes a closure (the objective), not a gradient.
CLOSURE_STEPS = {"LBFGS"}


def objectives_for(name, hyperparameters):
    """The objectives a case runs on. L-BFGS without a line search takes unit steps (times lr) along
    its directions: on the logistic loss its first step overshoots to a loss of 1e21 (torch's too,
    which minimize() stops as a divergence), and on Rosenbrock's curved valley the steps amplify a
    last-bit difference in a dot product (BLAS's order of summation) to 1e-7 within four steps, where
    the strong Wolfe search keeps the two within 1e-12. So those cases run on the quadratic only."""
    if name == "LBFGS" and hyperparameters.get("line_search_fn") is None:
        return ["quadratic"]
    if name == "Muon":  # a matrix: the quadratic's 6 numbers as 2 x 3, and the multinomial's 3 x 4
        return list(MATRIX_SHAPES)
    if name == "Adafactor" and hyperparameters.get("lr", 0.01) <= 0.005:
        # its factored second moment on the 3 x 4 matrix; at lr 0.01 its path there turns chaotic near
        # the minimum (3e-3 apart after 104 steps, where the first steps agree to 1e-17)
        return ["quadratic", "logistic", "multinomial"]
    return ["quadratic", "logistic", *EXTRA_OBJECTIVES.get(name, [])]
