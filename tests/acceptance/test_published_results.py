"""Published results that the optimizers must reproduce."""

import numpy as np
import pytest

from descend import minimize
from descend.curvature import extreme_eigenvalues, momentum_rate, optimal_momentum
from descend.functions import Quadratic
from descend.optimizers import SGD, Adam
from descend.schedules import InverseScaling


def reddi_online_problem(C):
    """f_t(x) = C x when t mod 3 = 1, else -x (Reddi, Kale & Kumar 2018, section 3).

    Each call of the objective is the next round t = 1, 2, ...; over a
    period the sum is (C - 2) x, so the best fixed point is x = -1.
    """
    t = 0

    def fun(x):
        nonlocal t
        t += 1
        slope = C if t % 3 == 1 else -1.0
        return slope * x[0], np.array([slope])

    return fun


@pytest.mark.parametrize("C", [3.0, 10.0])
def test_reddi_adam_goes_to_the_worst_point_and_amsgrad_to_the_optimum(C):
    def run(amsgrad):
        optimizer = Adam(betas=(0.0, 1.0 / (1.0 + C**2)), amsgrad=amsgrad)
        return minimize(
            reddi_online_problem(C),
            [0.0],
            optimizer,
            schedule=InverseScaling(0.1, power_t=0.5),
            bounds=(-1.0, 1.0),
            max_iter=3000,
            tol=None,
        )

    adam, amsgrad = run(False), run(True)
    # Adam: the rare large gradient C is forgotten by beta2 = 1/(1+C^2), so the
    # two -1 gradients win every period and x is pinned at the upper bound.
    assert adam.x[0] == pytest.approx(1.0, abs=0.01)
    assert np.all(adam.path[-300:, 0] > 0.99)
    # AMSGrad keeps the largest second moment and settles at the optimum.
    assert amsgrad.x[0] == pytest.approx(-1.0, abs=0.01)
    assert np.all(amsgrad.path[-300:, 0] < -0.99)
    # Regret per round: AMSGrad's average loss is that of the optimum, Adam's is not.
    period = (C - 2.0) / 3.0
    assert np.mean(amsgrad.loss_history[-300:]) == pytest.approx(-period, abs=0.01)
    assert np.mean(adam.loss_history[-300:]) == pytest.approx(period, abs=0.01)


def test_goh_heavy_ball_converges_at_the_optimal_rate():
    """Goh 2017: with the optimal (alpha, beta) the error shrinks by
    (sqrt(kappa) - 1) / (sqrt(kappa) + 1) per step."""
    rng = np.random.default_rng(0)
    d, mu, L = 20, 1.0, 1e4
    q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    eigenvalues = np.concatenate([[mu, L], np.exp(rng.uniform(np.log(2 * mu), np.log(L / 2), d - 2))])
    A = q @ np.diag(eigenvalues) @ q.T
    f = Quadratic(0.5 * (A + A.T), rng.standard_normal(d))

    mu_found, L_found = extreme_eigenvalues(lambda v: f.A @ v, d)
    assert mu_found == pytest.approx(mu, rel=1e-8) and L_found == pytest.approx(L, rel=1e-8)
    lr, momentum = optimal_momentum(mu_found, L_found)

    result = minimize(f, np.zeros(d), SGD(lr=lr, momentum=momentum), max_iter=1000, tol=None)
    error = np.linalg.norm(result.path - f.minima[0], axis=1)
    measured = (error[1000] / error[200]) ** (1 / 800)
    expected = momentum_rate(mu, L)
    assert expected == pytest.approx((100 - 1) / (100 + 1))
    assert measured == pytest.approx(expected, rel=0.02)

    # The best plain gradient step, 2 / (mu + L), is far slower: (kappa - 1) / (kappa + 1).
    plain = minimize(f, np.zeros(d), SGD(lr=2 / (mu + L)), max_iter=1000, tol=None)
    plain_error = np.linalg.norm(plain.path - f.minima[0], axis=1)
    plain_rate = (plain_error[1000] / plain_error[200]) ** (1 / 800)
    assert plain_rate == pytest.approx((L / mu - 1) / (L / mu + 1), rel=0.02)
    assert error[1000] < 1e-6 * plain_error[1000]
