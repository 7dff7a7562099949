r"""Update rules: one class per optimizer, each in one obvious place.

Every optimizer is a small transformation with explicit state, in the manner
of optax: ``state = opt.init(x)`` makes the state (a plain ``dict`` of arrays
and counters, easy to inspect or save), and ``opt.update(x, grad, state, lr)``
applies one step to ``x`` and ``state`` in place. ``lr`` is the learning rate
for this step (a schedule may change it); ``None`` means the optimizer's own.

Hyperparameter names, defaults and the order of floating-point operations
follow ``torch.optim`` (single-tensor code path), so a path computed here
equals torch's to rounding; ``tests/test_torch_reference.py`` holds them
equal. Invalid hyperparameters raise ``ValueError`` naming the value, as
torch does, except that a learning rate must be strictly positive here.

In the formulas below :math:`g_t` is the gradient at step :math:`t`
(counted from 1), :math:`\gamma` the learning rate, :math:`\lambda` the
weight decay and all operations on vectors are element-wise.

Each class's arithmetic lives in one compiled function beside it
(``sgd_step``, ``adam_step``, ...), written coordinate by coordinate as the
formula reads. They all take the same arguments,

    ``step(x, g, state, t, lr, hyperparameters)``

with ``state`` the tuple of the state arrays named by the class's
``state_names`` and ``hyperparameters`` the tuple its ``hyperparameters()``
returns (a named tuple, whose type tells the compiled engine which step to
take). ``update`` calls the step, and so does the compiled training engine
of the linear models (:mod:`descend._engine`): one implementation of each
rule. The step counter ``t`` enters as a float so that ``beta ** t`` is the
same ``pow`` that Python (and torch) compute.

Adding an optimizer: its ``step`` function, a named tuple of its
hyperparameters, the class (``init``, ``state_names``, ``hyperparameters``),
and a row of :data:`OPTIMIZER_NAMES`' table at the end of this file. The
engine finds it from there.
"""

from __future__ import annotations

import inspect
from collections import namedtuple
from typing import Any

import numpy as np
from numba import njit

from ._checks import check_choice, check_interval, check_nonnegative, check_positive
from .losses import gradient_flow

__all__ = [
    "Optimizer",
    "SGD",
    "Adagrad",
    "RMSprop",
    "Adam",
    "AdamW",
    "NAdam",
    "Adamax",
    "Adadelta",
    "RAdam",
    "Normalized",
    "LBFGS",
    "OPTIMIZER_NAMES",
    "ROW_OPTIMIZER_NAMES",
    "FULL_BATCH_OPTIMIZER_NAMES",
    "OPTIMIZER_CLASSES",
    "get_optimizer",
]


def _check_betas(betas) -> tuple[float, float]:
    try:
        beta1, beta2 = betas
    except (TypeError, ValueError):
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}") from None
    return (check_interval("betas[0]", beta1, 0.0, 1.0, closed="left"),
            check_interval("betas[1]", beta2, 0.0, 1.0, closed="left"))


@njit(cache=True, inline="always")
def weight_decayed(x_i, d, lr, weight_decay, decoupled):
    r"""(x_i, d) after weight decay :math:`\lambda` on coordinate i, whose gradient is d: added
    to the gradient, :math:`d + \lambda x_i` (L2 regularisation), or, decoupled, applied to x itself,
    :math:`x_i (1 - \gamma\lambda)` (Loshchilov & Hutter 2019); torch's operations either way.

    Numbers in and out, no array: an array passed to an inlined function costs Numba a reference
    count per call, and per coordinate that made steps 5x slower (measured)."""
    if weight_decay != 0:
        if decoupled:
            return x_i * (1 - lr * weight_decay), d
        return x_i, d + weight_decay * x_i
    return x_i, d


class Optimizer:
    """Base class: hyperparameters live on the instance, state is explicit.

    A subclass sets ``name``, ``Hyperparameters`` (the named tuple of what
    its step takes besides the learning rate), ``step`` (its compiled step
    function), ``state_names`` (the state arrays the step takes, in order),
    and implements :meth:`init` (the state: ``"step"``, the count of steps
    taken, and those arrays) and :meth:`hyperparameters`.

    Examples
    --------
    Every optimizer is driven the same way, :meth:`init` then :meth:`update`:

    >>> import numpy as np
    >>> from descend.optimizers import SGD
    >>> optimizer = SGD(lr=0.1)
    >>> x = np.array([1.0, -2.0])
    >>> state = optimizer.init(x)
    >>> optimizer.update(x, 2 * x, state)  # one step on |x|^2: x <- x - 0.1 * 2x
    >>> x, state["step"]
    (array([ 0.8, -1.6]), 1)
    """

    name = "optimizer"
    lr: float
    Hyperparameters: type = tuple
    step = None
    state_names: tuple[str, ...] = ()

    def init(self, x: np.ndarray) -> dict[str, Any]:
        """Return the state for parameters shaped like ``x``.

        Parameters
        ----------
        x : ndarray
            The parameters (only their shape and dtype are used).

        Returns
        -------
        dict
            ``"step"`` (0, the count of steps taken) and the arrays of :attr:`state_names`.
        """
        raise NotImplementedError

    def hyperparameters(self) -> tuple:
        """The step function's hyperparameters (all but the learning rate), as ``self.Hyperparameters``."""
        raise NotImplementedError

    def update(self, x: np.ndarray, grad: np.ndarray, state: dict, lr: float | None = None) -> None:
        """Take one step: change ``x`` and ``state`` in place.

        Parameters
        ----------
        x : ndarray
            The parameters, changed in place.
        grad : ndarray
            The gradient at ``x``.
        state : dict
            The state from :meth:`init`, changed in place.
        lr : float, optional
            The learning rate of this step; None means ``self.lr``.
        """
        state["step"] += 1
        arrays = tuple([state[name] for name in self.state_names])
        # A plain tuple: the compiled step is entered faster with one than with a named tuple.
        self.step(x, grad, arrays, float(state["step"]), self.lr if lr is None else lr, tuple(self.hyperparameters()))

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The hyperparameters, as passed to ``__init__``.

        Parameters
        ----------
        deep : bool
            scikit-learn's signature; an optimizer holds no estimators, so it changes nothing.

        Returns
        -------
        dict
            ``{name: value}`` for every parameter of ``__init__``.
        """
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {name: getattr(self, name) for name in names}

    def set_params(self, **params) -> "Optimizer":
        """Change hyperparameters (validated again); lets a grid search tune ``optimizer__lr``.

        Parameters
        ----------
        **params
            Hyperparameters by name, as ``__init__`` takes them.

        Returns
        -------
        Optimizer
            ``self``.

        Raises
        ------
        ValueError
            For a name the optimizer does not have, or a value it rejects.
        """
        unknown = set(params) - set(self.get_params())
        if unknown:
            raise ValueError(f"{type(self).__name__} has no hyperparameter(s) {sorted(unknown)}")
        self.__init__(**{**self.get_params(), **params})
        return self

    def __sklearn_clone__(self) -> "Optimizer":
        # scikit-learn's default clone insists that __init__ stores each argument as the very object
        # passed; ours validates and converts them (betas becomes a new tuple of floats), so rebuild.
        return type(self)(**self.get_params())

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.get_params() == other.get_params()

    def __hash__(self) -> int:
        return hash((type(self).__name__, tuple(sorted(map(repr, self.get_params().items())))))


SGDHyperparameters = namedtuple("SGDHyperparameters", "momentum dampening weight_decay nesterov")


@njit(cache=True, inline="always")
def sgd_step(x, g, state, t, lr, hyperparameters):
    """One step of :class:`SGD` (its docstring has the math), x and state in place."""
    (buf,) = state
    momentum, dampening, weight_decay, nesterov = hyperparameters
    # Plain gradient descent skips the branches below: the compiled engine's mini-batch SGD steps
    # take this path (per-sample plain SGD of one output has a loop of its own in the engine).
    if momentum == 0 and weight_decay == 0:
        for i in range(x.size):
            x[i] -= lr * g[i]
        return
    for i in range(x.size):
        x[i], d = weight_decayed(x[i], g[i], lr, weight_decay, False)
        if momentum != 0:
            if t == 1:
                buf[i] = d
            else:
                buf[i] = buf[i] * momentum + (1 - dampening) * d
            d = d + momentum * buf[i] if nesterov else buf[i]
        x[i] -= lr * d


class SGD(Optimizer):
    r"""Stochastic gradient descent, with optional (Nesterov) momentum.

    .. math::

        g_t &\leftarrow g_t + \lambda x_{t-1} \\
        b_t &= \begin{cases} g_t & t = 1 \\
                             \mu b_{t-1} + (1 - \tau) g_t & t > 1 \end{cases} \\
        d_t &= \begin{cases} g_t + \mu b_t & \text{nesterov} \\
                             b_t & \text{otherwise} \end{cases}
               \quad (d_t = g_t \text{ when } \mu = 0) \\
        x_t &= x_{t-1} - \gamma d_t

    with momentum :math:`\mu` and dampening :math:`\tau`. With
    :math:`\tau = 0` this is Polyak's heavy ball (Polyak 1964, *Some methods
    of speeding up the convergence of iteration methods*); the Nesterov form
    is Sutskever, Martens, Dahl & Hinton 2013, *On the importance of
    initialization and momentum in deep learning*, eq. (3)-(4).

    Parameters
    ----------
    lr : float
        Learning rate :math:`\gamma`, > 0 (a schedule or ``minimize(lr=...)`` may override it per step).
    momentum : float
        Momentum :math:`\mu` in [0, 1); 0 is plain gradient descent.
    dampening : float
        Dampening :math:`\tau` of the momentum buffer: :math:`b_t = \mu b_{t-1} + (1 - \tau) g_t`.
    weight_decay : float
        L2 weight decay :math:`\lambda` >= 0, added to the gradient as :math:`\lambda x`.
    nesterov : bool
        Nesterov momentum: step along :math:`g_t + \mu b_t` (needs momentum > 0 and no dampening).

    Examples
    --------
    >>> import numpy as np
    >>> from descend.optimizers import SGD
    >>> opt = SGD(lr=0.1, momentum=0.9)
    >>> x = np.array([1.0, -2.0])
    >>> state = opt.init(x)
    >>> opt.update(x, 2 * x, state)  # one step on f(x) = |x|^2
    >>> x
    array([ 0.8, -1.6])
    """

    name = "sgd"
    Hyperparameters = SGDHyperparameters
    step = staticmethod(sgd_step)
    state_names = ("momentum_buffer",)

    def __init__(self, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        self.lr = check_positive("lr", lr)
        self.momentum = check_nonnegative("momentum", momentum)
        self.dampening = check_nonnegative("dampening", dampening)
        self.weight_decay = check_nonnegative("weight_decay", weight_decay)
        self.nesterov = bool(nesterov)
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError(
                "Nesterov momentum requires a momentum > 0 and zero dampening, "
                f"got momentum={momentum}, dampening={dampening}"
            )

    def init(self, x):
        return {"step": 0, "momentum_buffer": np.zeros_like(x) if self.momentum != 0 else np.empty(0, x.dtype)}

    def hyperparameters(self):
        return self.Hyperparameters(self.momentum, self.dampening, self.weight_decay, self.nesterov)

    @property
    def is_plain(self) -> bool:
        """Plain gradient descent: no momentum, no weight decay."""
        return self.momentum == 0 and self.weight_decay == 0


AdagradHyperparameters = namedtuple("AdagradHyperparameters", "lr_decay weight_decay eps")


@njit(cache=True, inline="always")
def adagrad_step(x, g, state, t, lr, hyperparameters):
    """One step of :class:`Adagrad` (its docstring has the math), x and state in place."""
    (s,) = state
    lr_decay, weight_decay, eps = hyperparameters
    clr = lr / (1 + (t - 1) * lr_decay)
    for i in range(x.size):
        x[i], d = weight_decayed(x[i], g[i], lr, weight_decay, False)
        s[i] += d * d
        x[i] -= clr * d / (np.sqrt(s[i]) + eps)


class Adagrad(Optimizer):
    r"""AdaGrad: per-coordinate steps shrink with the gradients seen so far.

    .. math::

        g_t &\leftarrow g_t + \lambda x_{t-1} \\
        \tilde\gamma_t &= \gamma / (1 + (t - 1)\,\eta) \\
        s_t &= s_{t-1} + g_t^2, \qquad s_0 = \text{initial\_accumulator\_value} \\
        x_t &= x_{t-1} - \tilde\gamma_t \, g_t / (\sqrt{s_t} + \epsilon)

    with learning-rate decay :math:`\eta`. Duchi, Hazan & Singer 2011,
    *Adaptive Subgradient Methods for Online Learning and Stochastic
    Optimization*, JMLR 12.

    Parameters
    ----------
    lr : float
        Learning rate :math:`\gamma`, > 0 (a schedule or ``minimize(lr=...)`` may override it per step).
    lr_decay : float
        The rate at step t is :math:`\gamma / (1 + (t - 1)\,\text{lr\_decay})`.
    weight_decay : float
        L2 weight decay :math:`\lambda` >= 0, added to the gradient as :math:`\lambda x`.
    initial_accumulator_value : float
        Starting value of the sum of squared gradients.
    eps : float
        :math:`\epsilon` >= 0, added to the denominator for numerical stability.

    Examples
    --------
    >>> from descend.optimizers import Adagrad
    >>> Adagrad(lr=0.01)  # doctest: +ELLIPSIS
    Adagrad(lr=0.01, ...)
    """

    name = "adagrad"
    Hyperparameters = AdagradHyperparameters
    step = staticmethod(adagrad_step)
    state_names = ("sum",)

    def __init__(self, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
        self.lr = check_positive("lr", lr)
        self.lr_decay = check_nonnegative("lr_decay", lr_decay)
        self.weight_decay = check_nonnegative("weight_decay", weight_decay)
        self.initial_accumulator_value = check_nonnegative(
            "initial_accumulator_value", initial_accumulator_value
        )
        self.eps = check_nonnegative("eps", eps)

    def init(self, x):
        return {"step": 0, "sum": np.full_like(x, self.initial_accumulator_value)}

    def hyperparameters(self):
        return self.Hyperparameters(self.lr_decay, self.weight_decay, self.eps)


RMSpropHyperparameters = namedtuple("RMSpropHyperparameters", "alpha eps weight_decay momentum centered")


@njit(cache=True, inline="always")
def rmsprop_step(x, g, state, t, lr, hyperparameters):
    """One step of :class:`RMSprop` (its docstring has the math), x and state in place."""
    square_avg, grad_avg, buf = state
    alpha, eps, weight_decay, momentum, centered = hyperparameters
    for i in range(x.size):
        x[i], d = weight_decayed(x[i], g[i], lr, weight_decay, False)
        square_avg[i] = square_avg[i] * alpha + (1 - alpha) * d * d
        if centered:
            grad_avg[i] += (1 - alpha) * (d - grad_avg[i])
            avg = np.sqrt(square_avg[i] - grad_avg[i] * grad_avg[i]) + eps
        else:
            avg = np.sqrt(square_avg[i]) + eps
        if momentum > 0:
            buf[i] = buf[i] * momentum + d / avg
            x[i] -= lr * buf[i]
        else:
            x[i] -= lr * d / avg


class RMSprop(Optimizer):
    r"""RMSprop: divide the gradient by a running root mean square.

    .. math::

        g_t &\leftarrow g_t + \lambda x_{t-1} \\
        v_t &= \alpha v_{t-1} + (1 - \alpha) g_t^2 \\
        \bar g_t &= \alpha \bar g_{t-1} + (1 - \alpha) g_t
            \quad\text{(centered only)} \\
        \sigma_t &= \sqrt{v_t - \bar g_t^2} + \epsilon \text{ if centered, else }
            \sqrt{v_t} + \epsilon \\
        b_t &= \mu b_{t-1} + g_t / \sigma_t, \qquad
            x_t = x_{t-1} - \gamma b_t \quad (\mu > 0) \\
        x_t &= x_{t-1} - \gamma g_t / \sigma_t \quad (\mu = 0)

    Hinton, Srivastava & Swersky 2012, *Neural Networks for Machine Learning*,
    lecture 6e; the centered form is Graves 2013, *Generating Sequences With
    Recurrent Neural Networks*, eq. (38)-(45).

    Parameters
    ----------
    lr : float
        Learning rate :math:`\gamma`, > 0 (a schedule or ``minimize(lr=...)`` may override it per step).
    alpha : float
        Smoothing constant :math:`\alpha` of the running mean of squared gradients.
    eps : float
        :math:`\epsilon` >= 0, added to the denominator for numerical stability.
    weight_decay : float
        L2 weight decay :math:`\lambda` >= 0, added to the gradient as :math:`\lambda x`.
    momentum : float
        Momentum on the scaled step, in [0, 1); 0 (the default) is plain RMSprop.
    centered : bool
        Divide by the running variance of the gradient (the mean square less the squared mean) instead.

    Examples
    --------
    >>> from descend.optimizers import RMSprop
    >>> RMSprop(lr=0.01)  # doctest: +ELLIPSIS
    RMSprop(lr=0.01, ...)
    """

    name = "rmsprop"
    Hyperparameters = RMSpropHyperparameters
    step = staticmethod(rmsprop_step)
    state_names = ("square_avg", "grad_avg", "momentum_buffer")

    def __init__(self, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
        self.lr = check_positive("lr", lr)
        self.alpha = check_interval("alpha", alpha, 0.0, 1.0)
        self.eps = check_nonnegative("eps", eps)
        self.weight_decay = check_nonnegative("weight_decay", weight_decay)
        self.momentum = check_nonnegative("momentum", momentum)
        self.centered = bool(centered)

    def init(self, x):
        empty = np.empty(0, x.dtype)
        return {
            "step": 0,
            "square_avg": np.zeros_like(x),
            "grad_avg": np.zeros_like(x) if self.centered else empty,
            "momentum_buffer": np.zeros_like(x) if self.momentum > 0 else empty,
        }

    def hyperparameters(self):
        return self.Hyperparameters(self.alpha, self.eps, self.weight_decay, self.momentum, self.centered)


AdamHyperparameters = namedtuple("AdamHyperparameters", "beta1 beta2 eps weight_decay amsgrad decoupled_weight_decay")


@njit(cache=True, inline="always")
def adam_step(x, g, state, t, lr, hyperparameters):
    """One step of :class:`Adam` (its docstring has the math), x and state in place."""
    m, v, v_max = state
    beta1, beta2, eps, weight_decay, amsgrad, decoupled_weight_decay = hyperparameters
    step_size = lr / (1 - beta1**t)
    bias_correction2_sqrt = (1 - beta2**t) ** 0.5
    for i in range(x.size):
        x[i], d = weight_decayed(x[i], g[i], lr, weight_decay, decoupled_weight_decay)
        m[i] += (1 - beta1) * (d - m[i])
        v[i] = v[i] * beta2 + (1 - beta2) * d * d
        if amsgrad:
            v_max[i] = max(v_max[i], v[i])
            v_hat = v_max[i]
        else:
            v_hat = v[i]
        x[i] -= step_size * m[i] / (np.sqrt(v_hat) / bias_correction2_sqrt + eps)


class Adam(Optimizer):
    r"""Adam: momentum on the gradient, scaled by a running RMS, bias-corrected.

    .. math::

        g_t &\leftarrow g_t + \lambda x_{t-1}
            \quad\text{(or, decoupled: } x_{t-1} \leftarrow (1 - \gamma\lambda) x_{t-1})\\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
        v_t &= \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        \hat v_t &= \max(\hat v_{t-1}, v_t) \text{ if amsgrad, else } v_t \\
        x_t &= x_{t-1} - \frac{\gamma}{1 - \beta_1^t}\,
               \frac{m_t}{\sqrt{\hat v_t} / \sqrt{1 - \beta_2^t} + \epsilon}

    Kingma & Ba 2015, *Adam: A Method for Stochastic Optimization*,
    Algorithm 1 (with :math:`\epsilon` added after the bias correction, as
    torch does); AMSGrad is Reddi, Kale & Kumar 2018, *On the Convergence of
    Adam and Beyond*, Algorithm 2; decoupled weight decay is Loshchilov &
    Hutter 2019 (see :class:`AdamW`).

    Parameters
    ----------
    lr : float
        Learning rate :math:`\gamma`, > 0 (a schedule or ``minimize(lr=...)`` may override it per step).
    betas : tuple of two floats
        :math:`(\beta_1, \beta_2)`, each in [0, 1): decay rates of the running means of the gradient and of its square.
    eps : float
        :math:`\epsilon` >= 0, added to the denominator for numerical stability.
    weight_decay : float
        L2 weight decay :math:`\lambda` >= 0, added to the gradient as :math:`\lambda x`.
    amsgrad : bool
        Divide by the largest second moment seen so far (AMSGrad).
    decoupled_weight_decay : bool
        Apply ``weight_decay`` to the weights directly (AdamW's rule) rather than through the gradient.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.optimizers import Adam
    >>> opt = Adam(lr=0.1)
    >>> x = np.array([1.0, -2.0])
    >>> state = opt.init(x)
    >>> opt.update(x, 2 * x, state)  # the first step moves each coordinate by lr
    >>> x
    array([ 0.9, -1.9])
    >>> from descend import minimize
    >>> from descend.functions import Rosenbrock
    >>> minimize(Rosenbrock(), [-1.5, 2.0], Adam(lr=0.05), max_iter=10_000, tol=1e-8).x.round(6)
    array([1., 1.])
    """

    name = "adam"
    Hyperparameters = AdamHyperparameters
    step = staticmethod(adam_step)
    state_names = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
                 decoupled_weight_decay=False):
        self.lr = check_positive("lr", lr)
        self.betas = _check_betas(betas)
        self.eps = check_nonnegative("eps", eps)
        self.weight_decay = check_nonnegative("weight_decay", weight_decay)
        self.amsgrad = bool(amsgrad)
        self.decoupled_weight_decay = bool(decoupled_weight_decay)

    def init(self, x):
        return {
            "step": 0,
            "exp_avg": np.zeros_like(x),
            "exp_avg_sq": np.zeros_like(x),
            "max_exp_avg_sq": np.zeros_like(x) if self.amsgrad else np.empty(0, x.dtype),
        }

    def hyperparameters(self):
        return self.Hyperparameters(*self.betas, self.eps, self.weight_decay, self.amsgrad,
                                   self.decoupled_weight_decay)


class AdamW(Adam):
    r"""Adam with decoupled weight decay.

    The decay shrinks the weights directly, :math:`x \leftarrow (1 -
    \gamma\lambda)\,x`, before the Adam step, instead of entering the
    gradient (where Adam's scaling would weaken it for coordinates with large
    gradients). Loshchilov & Hutter 2019, *Decoupled Weight Decay
    Regularization*, Algorithm 2. The rest is :class:`Adam`.

    Parameters
    ----------
    lr : float
        Learning rate :math:`\gamma`, > 0 (a schedule or ``minimize(lr=...)`` may override it per step).
    betas : tuple of two floats
        :math:`(\beta_1, \beta_2)`, each in [0, 1): decay rates of the running means of the gradient and of its square.
    eps : float
        :math:`\epsilon` >= 0, added to the denominator for numerical stability.
    weight_decay : float
        Decoupled weight decay :math:`\lambda` >= 0: :math:`x \leftarrow (1 - \gamma\lambda) x` before the step.
    amsgrad : bool
        Divide by the largest second moment seen so far (AMSGrad).

    Examples
    --------
    >>> from descend.optimizers import AdamW
    >>> AdamW(lr=0.01)  # doctest: +ELLIPSIS
    AdamW(lr=0.01, ...)
    """

    name = "adamw"

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False):
        super().__init__(lr, betas, eps, weight_decay, amsgrad, decoupled_weight_decay=True)


NAdamHyperparameters = namedtuple("NAdamHyperparameters",
                                  "beta1 beta2 eps weight_decay momentum_decay decoupled_weight_decay")


@njit(cache=True, inline="always")
def nadam_step(x, g, state, t, lr, hyperparameters):
    """One step of :class:`NAdam` (its docstring has the math), x and state in place."""
    m, v, mu_product = state
    beta1, beta2, eps, weight_decay, momentum_decay, decoupled_weight_decay = hyperparameters
    bias_correction2 = 1 - beta2**t
    mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))
    mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
    mu_product[0] = mu_product[0] * mu
    grad_coefficient = -lr * (1.0 - mu) / (1.0 - mu_product[0])
    momentum_coefficient = -lr * mu_next / (1.0 - mu_product[0] * mu_next)
    for i in range(x.size):
        x[i], d = weight_decayed(x[i], g[i], lr, weight_decay, decoupled_weight_decay)
        m[i] += (1 - beta1) * (d - m[i])
        v[i] = v[i] * beta2 + (1 - beta2) * d * d
        denom = np.sqrt(v[i] / bias_correction2) + eps
        x[i] += grad_coefficient * d / denom
        x[i] += momentum_coefficient * m[i] / denom


class NAdam(Optimizer):
    r"""NAdam: Adam with Nesterov momentum and a momentum schedule.

    .. math::

        g_t &\leftarrow g_t + \lambda x_{t-1}
            \quad\text{(or, decoupled: } x_{t-1} \leftarrow (1 - \gamma\lambda) x_{t-1})\\
        \mu_t &= \beta_1 \bigl(1 - \tfrac12\, 0.96^{t\psi}\bigr) \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        x_t &= x_{t-1} - \gamma \left(
            \frac{(1 - \mu_t)\, g_t}{1 - \prod_{i \le t} \mu_i}
            + \frac{\mu_{t+1}\, m_t}{1 - \prod_{i \le t+1} \mu_i} \right)
            \Big/ \left(\sqrt{v_t / (1 - \beta_2^t)} + \epsilon\right)

    with momentum decay :math:`\psi`. Dozat 2016, *Incorporating Nesterov
    Momentum into Adam*, Algorithm 2.

    Parameters
    ----------
    lr : float
        Learning rate :math:`\gamma`, > 0 (a schedule or ``minimize(lr=...)`` may override it per step).
    betas : tuple of two floats
        :math:`(\beta_1, \beta_2)`, each in [0, 1): decay rates of the running means of the gradient and of its square.
    eps : float
        :math:`\epsilon` >= 0, added to the denominator for numerical stability.
    weight_decay : float
        L2 weight decay :math:`\lambda` >= 0, added to the gradient as :math:`\lambda x`.
    momentum_decay : float
        :math:`\psi`, the decay of the momentum schedule :math:`\mu_t = \beta_1 (1 - 0.5 \cdot 0.96^{t\psi})`.
    decoupled_weight_decay : bool
        Apply ``weight_decay`` to the weights directly (AdamW's rule) rather than through the gradient.

    Examples
    --------
    >>> from descend.optimizers import NAdam
    >>> NAdam(lr=0.01)  # doctest: +ELLIPSIS
    NAdam(lr=0.01, ...)
    """

    name = "nadam"
    Hyperparameters = NAdamHyperparameters
    step = staticmethod(nadam_step)
    state_names = ("exp_avg", "exp_avg_sq", "mu_product")

    def __init__(self, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
                 decoupled_weight_decay=False):
        self.lr = check_positive("lr", lr)
        self.betas = _check_betas(betas)
        self.eps = check_nonnegative("eps", eps)
        self.weight_decay = check_nonnegative("weight_decay", weight_decay)
        self.momentum_decay = check_nonnegative("momentum_decay", momentum_decay)
        self.decoupled_weight_decay = bool(decoupled_weight_decay)

    def init(self, x):
        # mu_product, the running product of the momentum schedule, is kept in float64 whatever
        # x's dtype (as torch's scalar state), in a one-element array that the step updates in place.
        return {"step": 0, "mu_product": np.ones(1), "exp_avg": np.zeros_like(x), "exp_avg_sq": np.zeros_like(x)}

    def hyperparameters(self):
        return self.Hyperparameters(*self.betas, self.eps, self.weight_decay, self.momentum_decay,
                                    self.decoupled_weight_decay)


AdamaxHyperparameters = namedtuple("AdamaxHyperparameters", "beta1 beta2 eps weight_decay")


@njit(cache=True, inline="always")
def adamax_step(x, g, state, t, lr, hyperparameters):
    """One step of :class:`Adamax` (its docstring has the math), x and state in place."""
    m, u = state
    beta1, beta2, eps, weight_decay = hyperparameters
    clr = lr / (1 - beta1**t)
    for i in range(x.size):
        x[i], d = weight_decayed(x[i], g[i], lr, weight_decay, False)
        m[i] += (1 - beta1) * (d - m[i])
        u[i] = max(u[i] * beta2, abs(d) + eps)
        x[i] -= clr * m[i] / u[i]


class Adamax(Optimizer):
    r"""Adamax: Adam with the infinity norm in place of the RMS.

    .. math::

        g_t &\leftarrow g_t + \lambda x_{t-1} \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
        u_t &= \max(\beta_2 u_{t-1},\ |g_t| + \epsilon) \\
        x_t &= x_{t-1} - \frac{\gamma}{1 - \beta_1^t}\, \frac{m_t}{u_t}

    Kingma & Ba 2015, *Adam: A Method for Stochastic Optimization*, section
    7.1, Algorithm 2 (with :math:`\epsilon` inside the max, as torch does).

    Parameters
    ----------
    lr : float
        Learning rate :math:`\gamma`, > 0 (a schedule or ``minimize(lr=...)`` may override it per step).
    betas : tuple of two floats
        :math:`(\beta_1, \beta_2)`, each in [0, 1): decay rates of the running means of the gradient and of its square.
    eps : float
        :math:`\epsilon` >= 0, added to the denominator for numerical stability.
    weight_decay : float
        L2 weight decay :math:`\lambda` >= 0, added to the gradient as :math:`\lambda x`.

    Examples
    --------
    >>> from descend.optimizers import Adamax
    >>> Adamax(lr=0.01)  # doctest: +ELLIPSIS
    Adamax(lr=0.01, ...)
    """

    name = "adamax"
    Hyperparameters = AdamaxHyperparameters
    step = staticmethod(adamax_step)
    state_names = ("exp_avg", "exp_inf")

    def __init__(self, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        self.lr = check_positive("lr", lr)
        self.betas = _check_betas(betas)
        self.eps = check_nonnegative("eps", eps)
        self.weight_decay = check_nonnegative("weight_decay", weight_decay)

    def init(self, x):
        return {"step": 0, "exp_avg": np.zeros_like(x), "exp_inf": np.zeros_like(x)}

    def hyperparameters(self):
        return self.Hyperparameters(*self.betas, self.eps, self.weight_decay)


AdadeltaHyperparameters = namedtuple("AdadeltaHyperparameters", "rho eps weight_decay")


@njit(cache=True, inline="always")
def adadelta_step(x, g, state, t, lr, hyperparameters):
    """One step of :class:`Adadelta` (its docstring has the math), x and state in place."""
    v, u = state
    rho, eps, weight_decay = hyperparameters
    for i in range(x.size):
        x[i], d = weight_decayed(x[i], g[i], lr, weight_decay, False)
        v[i] = v[i] * rho + (1 - rho) * d * d
        delta = np.sqrt(u[i] + eps) / np.sqrt(v[i] + eps) * d
        u[i] = u[i] * rho + (1 - rho) * delta * delta
        x[i] -= lr * delta


class Adadelta(Optimizer):
    r"""Adadelta: steps in the units of the parameters, no tuning of a rate.

    .. math::

        g_t &\leftarrow g_t + \lambda x_{t-1} \\
        v_t &= \rho v_{t-1} + (1 - \rho) g_t^2 \\
        \Delta x_t &= \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\, g_t \\
        u_t &= \rho u_{t-1} + (1 - \rho) \Delta x_t^2 \\
        x_t &= x_{t-1} - \gamma\, \Delta x_t

    Zeiler 2012, *ADADELTA: An Adaptive Learning Rate Method*, Algorithm 1
    (torch's lr :math:`\gamma` scales the step; 1.0 is the paper's method).

    Parameters
    ----------
    lr : float
        Learning rate :math:`\gamma`, > 0 (a schedule or ``minimize(lr=...)`` may override it per step).
    rho : float
        Decay rate :math:`\rho` of the running means of squared gradients and squared updates.
    eps : float
        :math:`\epsilon` >= 0, added to the denominator for numerical stability.
    weight_decay : float
        L2 weight decay :math:`\lambda` >= 0, added to the gradient as :math:`\lambda x`.

    Examples
    --------
    >>> from descend.optimizers import Adadelta
    >>> Adadelta(lr=0.01)  # doctest: +ELLIPSIS
    Adadelta(lr=0.01, ...)
    """

    name = "adadelta"
    Hyperparameters = AdadeltaHyperparameters
    step = staticmethod(adadelta_step)
    state_names = ("square_avg", "acc_delta")

    def __init__(self, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
        self.lr = check_positive("lr", lr)
        self.rho = check_interval("rho", rho, 0.0, 1.0)
        self.eps = check_nonnegative("eps", eps)
        self.weight_decay = check_nonnegative("weight_decay", weight_decay)

    def init(self, x):
        return {"step": 0, "square_avg": np.zeros_like(x), "acc_delta": np.zeros_like(x)}

    def hyperparameters(self):
        return self.Hyperparameters(self.rho, self.eps, self.weight_decay)


RAdamHyperparameters = namedtuple("RAdamHyperparameters", "beta1 beta2 eps weight_decay decoupled_weight_decay")


@njit(cache=True, inline="always")
def radam_step(x, g, state, t, lr, hyperparameters):
    """One step of :class:`RAdam` (its docstring has the math), x and state in place."""
    m, v = state
    beta1, beta2, eps, weight_decay, decoupled_weight_decay = hyperparameters
    bias_correction1 = 1 - beta1**t
    bias_correction2 = 1 - beta2**t
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * t * beta2**t / bias_correction2
    rect = 0.0
    if rho_t > 5.0:
        rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
    for i in range(x.size):
        x[i], d = weight_decayed(x[i], g[i], lr, weight_decay, decoupled_weight_decay)
        m[i] += (1 - beta1) * (d - m[i])
        v[i] = v[i] * beta2 + (1 - beta2) * d * d
        m_hat = m[i] / bias_correction1
        if rho_t > 5.0:
            x[i] -= m_hat * lr * (bias_correction2**0.5 / (np.sqrt(v[i]) + eps)) * rect
        else:
            x[i] -= m_hat * lr


class RAdam(Optimizer):
    r"""RAdam: Adam whose adaptive step is switched on once its variance is tame.

    .. math::

        g_t &\leftarrow g_t + \lambda x_{t-1}
            \quad\text{(or, decoupled: } x_{t-1} \leftarrow (1 - \gamma\lambda) x_{t-1})\\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        \hat m_t &= m_t / (1 - \beta_1^t) \\
        \rho_\infty &= 2 / (1 - \beta_2) - 1, \qquad
        \rho_t = \rho_\infty - 2 t \beta_2^t / (1 - \beta_2^t) \\
        x_t &= \begin{cases}
            x_{t-1} - \gamma\, \hat m_t\, r_t\, \dfrac{\sqrt{1 - \beta_2^t}}{\sqrt{v_t} + \epsilon}
                & \rho_t > 5 \\
            x_{t-1} - \gamma\, \hat m_t & \text{otherwise} \end{cases} \\
        r_t &= \sqrt{\frac{(\rho_t - 4)(\rho_t - 2)\rho_\infty}
                           {(\rho_\infty - 4)(\rho_\infty - 2)\rho_t}}

    Liu, Jiang, He, Chen, Liu, Gao & Han 2020, *On the Variance of the
    Adaptive Learning Rate and Beyond*, Algorithm 2.

    Parameters
    ----------
    lr : float
        Learning rate :math:`\gamma`, > 0 (a schedule or ``minimize(lr=...)`` may override it per step).
    betas : tuple of two floats
        :math:`(\beta_1, \beta_2)`, each in [0, 1): decay rates of the running means of the gradient and of its square.
    eps : float
        :math:`\epsilon` >= 0, added to the denominator for numerical stability.
    weight_decay : float
        L2 weight decay :math:`\lambda` >= 0, added to the gradient as :math:`\lambda x`.
    decoupled_weight_decay : bool
        Apply ``weight_decay`` to the weights directly (AdamW's rule) rather than through the gradient.

    Examples
    --------
    >>> from descend.optimizers import RAdam
    >>> RAdam(lr=0.01)  # doctest: +ELLIPSIS
    RAdam(lr=0.01, ...)
    """

    name = "radam"
    Hyperparameters = RAdamHyperparameters
    step = staticmethod(radam_step)
    state_names = ("exp_avg", "exp_avg_sq")

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled_weight_decay=False):
        self.lr = check_positive("lr", lr)
        self.betas = _check_betas(betas)
        self.eps = check_nonnegative("eps", eps)
        self.weight_decay = check_nonnegative("weight_decay", weight_decay)
        self.decoupled_weight_decay = bool(decoupled_weight_decay)

    def init(self, x):
        return {"step": 0, "exp_avg": np.zeros_like(x), "exp_avg_sq": np.zeros_like(x)}

    def hyperparameters(self):
        return self.Hyperparameters(*self.betas, self.eps, self.weight_decay, self.decoupled_weight_decay)


NormalizedHyperparameters = namedtuple("NormalizedHyperparameters", "invariant")


@njit(cache=True, inline="always")
def normalized_row_step(theta, state, offset, columns, xs, count, n_weights, score, target, d, weight, lr,
                        count_row, invariant, loss, parameters, l1, l2, rates):
    """One row's step of :class:`Normalized` (its docstring has the math) for one output, theta and
    state in place. The row's non-zero features are ``columns[:count]`` with values ``xs[:count]``
    (the intercept last, as a feature of value 1, when it is fitted: the first ``n_weights`` are
    weights), each at ``theta[offset + column]``; ``d`` is the loss's derivative at ``score``,
    ``weight`` the row's importance h; ``count_row`` adds the row to N and T (once a row, for
    the first output); ``invariant`` takes the invariant update (a hyperparameter, see the class);
    ``rates`` a buffer for each feature's rate."""
    sums, scales, totals = state
    g2 = weight * d * d
    norm_x = 0.0
    sensitivity = 0.0
    for q in range(count):
        i = offset + columns[q]
        x = xs[q]
        sums[i] += g2 * x * x
        if abs(x) > scales[i]:  # a larger value than seen: rescale w_i as if it had always been s_i
            if scales[i] > 0.0:
                theta[i] *= scales[i] / abs(x)
            scales[i] = abs(x)
        norm_x += (x / scales[i]) ** 2
        rates[q] = 1.0 / (scales[i] * np.sqrt(sums[i])) if sums[i] > 0.0 else 0.0
        sensitivity += x * x * rates[q]
    if count_row:
        totals[0] += weight * norm_x
        totals[1] += weight
    multiplier = np.sqrt(totals[1] / totals[0]) if totals[0] > 0.0 else 0.0
    a = multiplier * sensitivity  # how far the score moves per unit of update
    if a <= 0.0:
        return
    if invariant:
        update = (gradient_flow(score, target, loss, parameters, lr * weight * a) - score) / a
    else:
        update = -lr * weight * d
    for q in range(count):
        i = offset + columns[q]
        step = multiplier * rates[q]
        w = theta[i] + update * step * xs[q]
        if q < n_weights:  # the penalty's proximal step, at the coordinate's own rate
            j = columns[q]
            w /= 1.0 + lr * step * l2[j]
            threshold = lr * step * l1[j]
            w -= min(max(w, -threshold), threshold)
        theta[i] = w


class Normalized(Optimizer):
    r"""Vowpal Wabbit's default update: adaptive, normalized and invariant. It learns from rows,
    one at a time (a linear model's per-sample steps), not from gradients alone.

    For a row :math:`x` of importance :math:`h` (its sample weight; the intercept is a feature of
    value 1), score :math:`p = w^\top x` and loss derivative :math:`d = \ell'(p, y)`, on each
    feature :math:`i` with :math:`x_i \ne 0` (Ross, Mineiro & Langford 2013, *Normalized online
    learning*, algorithm NAG):

    .. math::

        G_i &\leftarrow G_i + h\, d^2 x_i^2
            \quad\text{(the squared gradients, AdaGrad's sum)} \\
        \text{if } |x_i| > s_i:\ w_i &\leftarrow w_i\, s_i / |x_i|,\quad s_i \leftarrow |x_i|
            \quad\text{(the largest value seen: the feature's scale)} \\
        N &\leftarrow N + h \textstyle\sum_i x_i^2 / s_i^2, \qquad T \leftarrow T + h \\
        \eta_i &= \sqrt{T / N} \,/\, (s_i \sqrt{G_i}) \\
        w_i &\leftarrow w_i + u\, \eta_i\, x_i

    The plain update is :math:`u = -\gamma h d`. The invariant one (``invariant=True``,
    Karampatziakis & Langford 2011, *Online importance weight aware updates*) takes :math:`u =
    (p' - p)/a` with :math:`a = \sum_i \eta_i x_i^2`, how far the score moves per unit of
    :math:`u`, and :math:`p'` the score after the loss's gradient flow for :math:`\gamma h a`
    (:func:`descend.losses.gradient_flow`): a large step never passes the target, and a row of
    importance 2 counts as two copies of it. The squared error and the logistic loss have it in
    closed form; the other losses take the plain update.

    Dividing by :math:`s_i` makes the steps the same whatever each feature's units (rescale a
    column and its weight follows), :math:`\sqrt{G_i}` shrinks the steps of the features seen
    often (AdaGrad), and :math:`\sqrt{T/N}` the steps of rows with many features. So one rate
    suits most data: 0.5, Vowpal Wabbit's default. A penalty acts where a row has features, by
    its proximal step at the coordinate's rate :math:`\gamma\eta_i`.

    Parameters
    ----------
    lr : float
        The learning rate :math:`\gamma` > 0.
    invariant : bool
        Take the importance-invariant update (the default), else the plain one.

    Examples
    --------
    Features in other units, the same model (without a penalty, whose size depends on the units):

    >>> import numpy as np
    >>> from descend import GDClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((1000, 3))
    >>> y = (X @ [1.0, -2.0, 0.5] > 0).astype(int)
    >>> units = np.array([1.0, 1000.0, 0.001])
    >>> online = dict(optimizer="normalized", batch_size=1, max_iter=1, tol=None, penalty=None, random_state=0)
    >>> a = GDClassifier(**online).fit(X, y)
    >>> b = GDClassifier(**online).fit(X * units, y)
    >>> np.allclose(a.coef_, b.coef_ * units, rtol=1e-12), round(a.score(X, y), 2)
    (True, 0.99)
    """

    name = "normalized"
    Hyperparameters = NormalizedHyperparameters
    row_step = staticmethod(normalized_row_step)
    state_names = ("sum_squares", "feature_scale", "totals")

    def __init__(self, lr=0.5, invariant=True):
        self.lr = check_positive("lr", lr)
        if not isinstance(invariant, (bool, np.bool_)):
            raise ValueError(f"invariant must be True or False, got {invariant!r}")
        self.invariant = bool(invariant)

    def init(self, x):
        return {"step": 0, "sum_squares": np.zeros_like(x), "feature_scale": np.zeros_like(x),
                "totals": np.zeros(2, dtype=x.dtype)}

    def hyperparameters(self):
        return self.Hyperparameters(self.invariant)

    def update(self, x, grad, state, lr=None):
        raise TypeError("the normalized update learns from rows, not from gradients alone: use it in "
                        "GDRegressor or GDClassifier with batch_size=1; minimize() takes an optimizer of "
                        f"gradients ({', '.join(OPTIMIZER_NAMES)})")


class LBFGS(Optimizer):
    r"""L-BFGS on the full batch of a linear model: quasi-Newton steps under a line search.

    From the last ``history_size`` moves :math:`s_k = \theta_{k+1} - \theta_k` and gradient
    changes :math:`y_k = \nabla F(\theta_{k+1}) - \nabla F(\theta_k)`, the two-loop recursion
    (Nocedal 1980, *Updating quasi-Newton matrices with limited storage*; Liu & Nocedal 1989)
    makes :math:`d = -H \nabla F(\theta)`, H the BFGS approximation of the inverse Hessian
    started from :math:`H_0 = s^\top y / y^\top y` (the first step: the learning rate, the
    inverse of the curvature measured on the data). The step :math:`\theta + \eta d` starts
    at :math:`\eta = 1` and is halved until the objective falls by
    :math:`10^{-4}\, \eta\, |\nabla F^\top d|` below the largest of its last 10 values (a
    non-monotone Armijo rule, Grippo, Lampariello & Lucidi 1986). A pair with :math:`s^\top y
    \le 0` (rounding near the optimum) is not kept. It needs the objective's values as well as
    its gradient, and a smooth objective: the estimators take it on the full batch of a smooth
    (or smoothed) loss without an L1 part (:mod:`descend.linear._steps`); it is a gradient
    method, each step one pass over the data.

    Parameters
    ----------
    history_size : int
        The pairs (s, y) kept, >= 1.

    Examples
    --------
    >>> import numpy as np
    >>> from descend import GDRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((200, 30)) * np.logspace(-3, 3, 30)  # condition number 1e12
    >>> y = X @ rng.standard_normal(30)
    >>> model = GDRegressor(optimizer="lbfgs", penalty=None, tol=1e-10).fit(X, y)
    >>> exact = np.linalg.lstsq(np.c_[X, np.ones(200)], y, rcond=None)[0]
    >>> bool(np.allclose(model.predict(X), np.c_[X, np.ones(200)] @ exact, rtol=1e-8)), model.n_iter_ < 200
    (True, True)
    """

    name = "lbfgs"
    Hyperparameters = namedtuple("LBFGSHyperparameters", "history_size")
    state_names = ()
    lr = 1.0  # the first step is the estimator's learning rate ("auto": the inverse of the curvature)

    def __init__(self, history_size=10):
        if isinstance(history_size, bool) or not isinstance(history_size, (int, np.integer)) or history_size < 1:
            raise ValueError(f"history_size must be an integer >= 1, got {history_size!r}")
        self.history_size = int(history_size)

    def init(self, x):
        return {"step": 0}

    def hyperparameters(self):
        return self.Hyperparameters(self.history_size)

    def direction(self, memory, gradient, first_step):
        """:math:`d = -H \\nabla F` by the two-loop recursion (Nocedal & Wright, *Numerical
        Optimization*, algorithm 7.4) over ``memory``, the pairs (s, y) oldest first; with none,
        ``-first_step`` times the gradient.

        Parameters
        ----------
        memory : list of (ndarray, ndarray)
            The kept moves and gradient changes.
        gradient : ndarray
            :math:`\\nabla F` at the weights.
        first_step : float
            The step along the gradient when the memory is empty.

        Returns
        -------
        ndarray
            The direction, a new array.
        """
        from scipy.linalg import get_blas_funcs  # here: scipy.linalg takes a while to import

        if not memory:
            return -first_step * gradient
        # BLAS's axpy and dot, in place: on 2^20 weights NumPy's temporaries took twice as long.
        axpy, dot = get_blas_funcs(("axpy", "dot"), (gradient,))
        q = gradient.copy()
        alphas = []
        for s, y in reversed(memory):
            alpha = dot(s, q) / dot(s, y)
            q = axpy(y, q, a=-alpha)
            alphas.append(alpha)
        s, y = memory[-1]
        q *= dot(s, y) / dot(y, y)  # H0 = s'y / y'y
        for (s, y), alpha in zip(memory, reversed(alphas)):
            q = axpy(s, q, a=alpha - dot(y, q) / dot(s, y))
        return -q

    def remember(self, memory, moved, change):
        """``memory`` with the pair (moved, change) added (the oldest dropped past ``history_size``),
        unless :math:`s^\\top y` is not positive enough to keep H positive definite.

        Parameters
        ----------
        memory : list of (ndarray, ndarray)
            The kept pairs.
        moved, change : ndarray
            The step's move s and the gradient's change y.

        Returns
        -------
        list of (ndarray, ndarray)
            The pairs to keep.
        """
        if float(moved @ change) > 1e-12 * float(change @ change):
            return (memory + [(moved, change)])[-self.history_size:]
        return memory

    def update(self, x, grad, state, lr=None):
        raise TypeError("L-BFGS needs the objective's values as well as its gradient: use it in GDRegressor or "
                        "GDClassifier on the full batch (batch_size=None); minimize() takes an optimizer of "
                        f"gradients ({', '.join(OPTIMIZER_NAMES)})")


# Names accepted wherever an optimizer is: each maps to a class and the
# keyword arguments that make the named method out of it.
_NAMED = {
    "sgd": (SGD, {}),
    "momentum": (SGD, {"momentum": 0.9}),
    "nesterov": (SGD, {"momentum": 0.9, "nesterov": True}),
    "adagrad": (Adagrad, {}),
    "rmsprop": (RMSprop, {}),
    "adam": (Adam, {}),
    "amsgrad": (Adam, {"amsgrad": True}),
    "adamw": (AdamW, {}),
    "nadam": (NAdam, {}),
    "adamax": (Adamax, {}),
    "adadelta": (Adadelta, {}),
    "radam": (RAdam, {}),
}

OPTIMIZER_NAMES = tuple(_NAMED)

#: Every optimizer class the names above make, once each.
OPTIMIZER_CLASSES = tuple(dict.fromkeys(cls for cls, _ in _NAMED.values()))

# The optimizers that learn from rows, one at a time (a linear model's per-sample steps), not from a
# gradient: the estimators take them; minimize() cannot.
_ROW_NAMED = {"normalized": (Normalized, {})}

#: Their names.
ROW_OPTIMIZER_NAMES = tuple(_ROW_NAMED)

# The optimizers that need the objective's values on the full batch (a linear model's).
_FULL_BATCH_NAMED = {"lbfgs": (LBFGS, {})}

#: Their names.
FULL_BATCH_OPTIMIZER_NAMES = tuple(_FULL_BATCH_NAMED)


def get_optimizer(optimizer: str | Optimizer = "adam", **hyperparameters) -> Optimizer:
    """An optimizer from a name (``"adam"``, ``"momentum"``, ...) or an instance.

    Parameters
    ----------
    optimizer : str or Optimizer
        A name of :data:`OPTIMIZER_NAMES`, :data:`ROW_OPTIMIZER_NAMES` or :data:`FULL_BATCH_OPTIMIZER_NAMES`,
        or an instance, returned as it is.
    **hyperparameters
        Override the named method's hyperparameters (not allowed with an instance).

    Returns
    -------
    Optimizer
        A new instance for a name; the instance itself otherwise.

    Raises
    ------
    ValueError
        For an unknown name or a bad hyperparameter value.
    TypeError
        For hyperparameters given with an instance, or an optimizer that is neither.

    Examples
    --------
    >>> from descend.optimizers import get_optimizer
    >>> get_optimizer("momentum", lr=0.01)
    SGD(lr=0.01, momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=False)
    """
    if isinstance(optimizer, Optimizer):
        if hyperparameters:
            raise TypeError(
                f"hyperparameters {sorted(hyperparameters)} can only be given with an optimizer "
                f"name, not with the instance {optimizer!r}"
            )
        return optimizer
    if not isinstance(optimizer, str):
        raise TypeError(
            f"optimizer must be a name or a descend.optimizers.Optimizer, got {type(optimizer).__name__}"
        )
    named = {**_NAMED, **_ROW_NAMED, **_FULL_BATCH_NAMED}
    cls, defaults = named[check_choice("optimizer", optimizer, tuple(named))]
    return cls(**{**defaults, **hyperparameters})
