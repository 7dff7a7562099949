"""CSR input: the same fits as dense rows where the steps are the same, the lazy steps where they are not."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from descend import GDClassifier, GDRegressor
from descend._engine.sparse import INTERCEPT_DECAY
from descend.optimizers import Adam
from descend.schedules import Optimal, optimal_initial_rate

ADAPTIVE = [
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
]


def sparse_problem(n=300, p=40, density=0.15, seed=0, classes=2):
    """(X dense with ~density non-zeros, y regression, y classes): the same rows either way."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * (rng.random((n, p)) < density) * rng.uniform(0.5, 3.0, p)
    coef = rng.standard_normal(p) * (rng.random(p) < 0.5)
    score = X @ coef
    y = score + 0.3 + 0.1 * rng.standard_normal(n)
    labels = np.digitize(score, np.quantile(score, np.linspace(0, 1, classes + 1)[1:-1]))
    return X, y, labels


def both(estimator_class, X, target, **params):
    """The fits of the same estimator on dense X and on its CSR form."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dense = estimator_class(**params).fit(X, target)
        csr = estimator_class(**params).fit(sp.csr_matrix(X), target)
    return dense, csr


CASES = [(GDRegressor, "squared_error"), (GDClassifier, "log_loss"), (GDClassifier, "hinge")]


@pytest.mark.parametrize("estimator_class, loss", CASES)
@pytest.mark.parametrize("penalty", ["l2", "l1", "elasticnet"])
def test_per_sample_plain_sgd_lazy_steps_equal_dense_steps(estimator_class, loss, penalty):
    """The O(non-zeros) steps (scaled weights for L2, composed decays for L1) are the dense steps:
    without an intercept, which they move differently, every coefficient agrees to 1e-9."""
    X, y, labels = sparse_problem()
    target = y if estimator_class is GDRegressor else labels
    dense, csr = both(
        estimator_class,
        X,
        target,
        loss=loss,
        penalty=penalty,
        alpha=0.01,
        batch_size=1,
        optimizer="sgd",
        standardize=False,
        fit_intercept=False,
        learning_rate=0.01,
        max_iter=4,
        tol=None,
        random_state=0,
    )
    assert np.abs(dense.coef_).max() > 0.05  # it learned something
    np.testing.assert_allclose(csr.coef_, dense.coef_, rtol=0, atol=1e-9)


@pytest.mark.parametrize("estimator_class, loss", CASES)
@pytest.mark.parametrize("penalty", ["l2", "l1", "elasticnet"])
def test_dense_updates_equal_the_dense_fit_with_intercept(estimator_class, loss, penalty):
    X, y, labels = sparse_problem(seed=1)
    target = y if estimator_class is GDRegressor else labels
    dense, csr = both(
        estimator_class,
        X,
        target,
        loss=loss,
        penalty=penalty,
        alpha=0.01,
        batch_size=1,
        optimizer="sgd",
        standardize=False,
        learning_rate=0.01,
        max_iter=3,
        tol=None,
        random_state=0,
        sparse_updates="dense",
    )
    np.testing.assert_allclose(csr.coef_, dense.coef_, rtol=0, atol=1e-9)
    np.testing.assert_allclose(csr.intercept_, dense.intercept_, rtol=0, atol=1e-9)


def test_lazy_plain_sgd_moves_the_intercept_at_the_decayed_rate():
    """The one difference of the lazy steps: the intercept's step is INTERCEPT_DECAY of the rate.
    On rows that are all zero only the intercept moves, by exactly that."""
    X = sp.csr_matrix((5, 3))
    y = np.full(5, 2.0)
    model = GDRegressor(
        batch_size=1,
        optimizer="sgd",
        standardize=False,
        learning_rate=0.1,
        max_iter=1,
        tol=None,
        shuffle=False,
        alpha=0.0,
        penalty=None,
    ).fit(X, y)
    start = 2.0  # the intercept starts at the best constant: no step then
    assert model.intercept_[0] == pytest.approx(start)
    y_shifted = np.full(5, 3.0)
    model.partial_fit(X, y_shifted)
    b = start
    for _ in range(5):
        b -= INTERCEPT_DECAY * 0.1 * (b - 3.0)
    assert model.intercept_[0] == pytest.approx(b, abs=1e-12)
    assert np.all(model.coef_ == 0)


# Each (optimizer, standardize) pair compiles a kernel of its own, 7 to 13 s from a cold cache: every optimizer
# unscaled; the column scales, which no optimizer sees, with three optimizers of different states.
@pytest.mark.parametrize(
    "optimizer, standardize",
    [(name, False) for name in ADAPTIVE] + [(name, True) for name in ("adagrad", "adam", "adadelta")],
)
def test_every_optimizer_with_dense_updates_equals_the_dense_fit(optimizer, standardize):
    X, y, _ = sparse_problem(seed=2)
    dense, csr = both(
        GDRegressor,
        X,
        y,
        optimizer=optimizer,
        learning_rate=0.01,
        batch_size=16,
        max_iter=3,
        tol=None,
        standardize=standardize,
        penalty="elasticnet",
        alpha=0.01,
        random_state=0,
        sparse_updates="dense",
    )
    np.testing.assert_allclose(csr.coef_, dense.coef_, rtol=0, atol=1e-9)
    np.testing.assert_allclose(csr.intercept_, dense.intercept_, rtol=0, atol=1e-9)


@pytest.mark.parametrize(
    "estimator_class, target_index, params",
    [
        (GDRegressor, 1, {}),
        (GDClassifier, 2, {}),
        (GDClassifier, 3, {}),
        (GDRegressor, 1, {"penalty": "l1", "alpha": 0.05}),
    ],
)
def test_default_full_batch_fit_on_csr_equals_the_dense_fit(estimator_class, target_index, params):
    """The defaults (full batch, standardize): the CSR columns are scaled and centered implicitly, so
    the fit is the dense fit's (binary and three classes). Not step for step: the dense squared error
    sums its gradient through the Gram matrix, and the first rate of sparse rows comes from a bound on
    the curvature rather than the curvature itself; both run to the optimum."""
    X, y, labels = sparse_problem(seed=3, classes=3 if target_index == 3 else 2)
    target = (None, y, labels, labels)[target_index]
    dense, csr = both(estimator_class, X, target, tol=1e-12, max_iter=20_000, **params)
    np.testing.assert_allclose(csr.coef_, dense.coef_, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(csr.intercept_, dense.intercept_, rtol=1e-9, atol=1e-9)
    X_csr = sp.csr_matrix(X)
    np.testing.assert_allclose(csr.predict(X_csr), dense.predict(X), rtol=0, atol=1e-9)
    if hasattr(dense, "decision_function"):  # scores of up to 50: agreeing to 10 digits
        np.testing.assert_allclose(csr.decision_function(X_csr), dense.decision_function(X), rtol=1e-9, atol=1e-9)
    if hasattr(dense, "predict_proba"):
        np.testing.assert_allclose(csr.predict_proba(X_csr), dense.predict_proba(X), rtol=0, atol=1e-9)


def test_csr_fit_reaches_the_exact_solution():
    """On CSR, the default fit of logistic regression reaches the optimum an exact solver finds."""
    X, _, labels = sparse_problem(n=400, p=30, seed=4)
    alpha = 0.01
    model = GDClassifier(alpha=alpha, tol=1e-10, max_iter=5000).fit(sp.csr_matrix(X), labels)
    exact = LogisticRegression(C=1.0 / (alpha * len(labels)), tol=1e-12, max_iter=10_000).fit(X, labels)
    np.testing.assert_allclose(model.coef_, exact.coef_, rtol=0, atol=1e-5)
    np.testing.assert_allclose(model.intercept_, exact.intercept_, rtol=0, atol=1e-5)


@pytest.mark.parametrize("optimizer", ["adam", "adagrad", "sgd"])
def test_lazy_steps_compiled_equal_reference(optimizer):
    X, y, labels = sparse_problem(seed=5, classes=3)
    X_csr = sp.csr_matrix(X)
    params = dict(
        optimizer=optimizer,
        learning_rate=0.01,
        batch_size=8 if optimizer != "sgd" else 1,
        max_iter=3,
        tol=None,
        random_state=0,
        standardize=optimizer != "adagrad",
        penalty="elasticnet",
        alpha=0.01,
    )
    for estimator_class, target in [(GDRegressor, y), (GDClassifier, labels)]:
        compiled = estimator_class(**params).fit(X_csr, target)
        reference = estimator_class(**params)
        reference._engine = "reference"
        reference.fit(X_csr, target)
        np.testing.assert_allclose(compiled.coef_, reference.coef_, rtol=0, atol=1e-10)
        np.testing.assert_allclose(compiled.intercept_, reference.intercept_, rtol=0, atol=1e-10)


@pytest.mark.parametrize("optimizer, batch_size", [("adam", 8), ("adagrad", 1)])
def test_scaled_values_made_once_give_the_steps_bit_for_bit(optimizer, batch_size, monkeypatch):
    """Standardized sparse rows: their values times their columns' scales made once a fit
    (ScaledValues) give the very products the kernels made a step at a time."""
    X, y, _ = sparse_problem(seed=6)
    X_csr = sp.csr_matrix(X)
    params = dict(
        optimizer=optimizer,
        learning_rate=0.01,
        batch_size=batch_size,
        max_iter=3,
        tol=None,
        random_state=0,
        penalty="elasticnet",
        alpha=0.01,
    )
    once = GDRegressor(**params).fit(X_csr, y)
    from descend.linear._steps import ScaledValues

    monkeypatch.setattr(ScaledValues, "of", lambda self, data, model: None)
    each_step = GDRegressor(**params).fit(X_csr, y)
    assert np.array_equal(once.coef_, each_step.coef_) and np.array_equal(once.intercept_, each_step.intercept_)


def test_standardized_plain_sgd_loop_takes_the_lazy_batch_steps(monkeypatch):
    """Per-sample plain SGD on standardized CSR rows has a loop of its own (touched_sgd_steps): the
    steps of the lazy batch kernel at one row a step, which it takes without its scaled values."""
    X, y, labels = sparse_problem(seed=7)
    X_csr = sp.csr_matrix(X)
    params = dict(optimizer="sgd", learning_rate=0.005, batch_size=1, max_iter=3, tol=None, random_state=0, alpha=0.01)
    from descend.linear._steps import ScaledValues

    for penalty in ("l2", "elasticnet"):
        for estimator_class, target in [(GDRegressor, y), (GDClassifier, labels)]:
            own_loop = estimator_class(**params, penalty=penalty).fit(X_csr, target)
            with monkeypatch.context() as patch:
                patch.setattr(ScaledValues, "of", lambda self, data, model: None)
                batch_kernel = estimator_class(**params, penalty=penalty).fit(X_csr, target)
            assert np.abs(own_loop.coef_).max() > 0.1
            np.testing.assert_allclose(own_loop.coef_, batch_kernel.coef_, rtol=0, atol=1e-12)
            np.testing.assert_allclose(own_loop.intercept_, batch_kernel.intercept_, rtol=0, atol=1e-12)


def test_standardized_plain_sgd_loop_steps_a_repeated_column_once():
    """A row that lists a column twice: the loop steps the coordinate once, on the summed entries,
    as on the row in canonical form (the L2 part and the L1 prox once)."""
    from descend._engine.problem import Model, Objective, SparseData
    from descend._engine.sparse import touched_sgd_steps
    from descend.losses import LOSSES

    labels, none = np.array([1.0, -1.0]), np.empty(0)
    # Row 0 lists column 2 twice (0.5 + 1.5); row 1 is the same either way.
    repeated = SparseData(
        np.array([0, 3, 5]), np.array([2, 0, 2, 1, 3]), np.array([0.5, 1.0, 1.5, 1.0, 1.0]), labels, none
    )
    summed = SparseData(np.array([0, 2, 4]), np.array([0, 2, 1, 3]), np.array([1.0, 2.0, 1.0, 1.0]), labels, none)
    objective = Objective(
        LOSSES["log_loss"].code, np.array([0.0, 0.0]), np.array([0.0, 0.01, 0.02, 0.0]), np.array([0.1, 0.2, 0.3, 0.4])
    )
    order, lrs = np.array([0, 1, 0]), np.array([0.5, 0.4, 0.3])
    results = []
    for data in (repeated, summed):
        theta = np.array([0.3, -0.2, 0.5, 0.1, 0.0])
        touched_sgd_steps(data, order, Model(theta, None, None, 1, True), objective, lrs, 1.0)
        results.append(theta)
    assert not np.allclose(results[1], [0.3, -0.2, 0.5, 0.1, 0.0])
    np.testing.assert_allclose(results[0], results[1], rtol=0, atol=1e-15)


def test_lazy_adam_leaves_untouched_coordinates_alone():
    """SparseAdam's semantics: a column no row of the batch touches keeps its weight and its moments,
    where the dense step would move it (its moment carries the earlier gradient on). The step count,
    and so the bias correction, is the optimizer's, as in torch.optim.SparseAdam."""
    X = sp.csr_matrix(np.array([[1.0, 0.0], [0.0, 1.0]]))
    y = np.array([1.0, -1.0])
    params = dict(
        optimizer="adam",
        learning_rate=0.1,
        batch_size=1,
        shuffle=False,
        standardize=False,
        alpha=0.0,
        penalty=None,
        max_iter=1,
        tol=None,
        fit_intercept=False,
    )
    lazy = GDRegressor(**params).fit(X, y)
    dense = GDRegressor(**params, sparse_updates="dense").fit(X, y)
    # Row 0 touches column 0 only: Adam's first step, lr * g / (|g| + eps). Row 1 column 1 only, whose
    # moments start then but are corrected as at step 2: m = 0.1 g, v = 0.001 g^2.
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    second = 0.1 * (0.1 / (1 - beta1**2)) / (np.sqrt(0.001 / (1 - beta2**2)) + eps)
    np.testing.assert_allclose(lazy.coef_, [0.1 / (1 + eps), -second], rtol=1e-12)
    assert abs(dense.coef_[0] - lazy.coef_[0]) > 1e-3  # the dense step moved column 0 at row 1 too


def test_lazy_adam_equals_torch_sparse_adam():
    """Per-sample lazy Adam step for step against torch.optim.SparseAdam, the weights and the
    intercept one parameter whose sparse gradient holds the row's columns and the intercept.
    SparseAdam adds eps before the bias correction of the second moment, Adam after: with eps
    1e-15 that difference is below the tolerance, and what is compared is which coordinates move."""
    torch = pytest.importorskip("torch")
    X, y, _ = sparse_problem(n=80, p=12, density=0.3, seed=11)
    X_csr = sp.csr_matrix(X)
    model = GDRegressor(
        optimizer=Adam(lr=0.01, eps=1e-15),
        batch_size=1,
        shuffle=False,
        standardize=False,
        penalty=None,
        max_iter=2,
        tol=None,
    ).fit(X_csr, y)
    p = X.shape[1]
    weights = torch.zeros(p + 1, dtype=torch.float64)
    weights[p] = float(np.mean(y))  # the fit starts its intercept at the best constant
    weights.requires_grad_(True)
    optimizer = torch.optim.SparseAdam([weights], lr=0.01, eps=1e-15)
    for _ in range(2):
        for i in range(X.shape[0]):
            row = X_csr[i]
            columns = np.append(row.indices, p)
            values = np.append(row.data, 1.0)
            with torch.no_grad():
                score = float(weights[torch.from_numpy(columns)] @ torch.from_numpy(values))
            d = score - y[i]
            weights.grad = torch.sparse_coo_tensor(
                torch.from_numpy(columns)[None, :], torch.from_numpy(d * values), (p + 1,)
            )
            optimizer.step()
    expected = weights.detach().numpy()
    np.testing.assert_allclose(model.coef_, expected[:p], rtol=0, atol=1e-12)
    np.testing.assert_allclose(model.intercept_, expected[p:], rtol=0, atol=1e-12)


def test_float32_csr_fits_in_float32():
    X, y, _ = sparse_problem(seed=6)
    X32 = sp.csr_matrix(X.astype(np.float32))
    model32 = GDRegressor().fit(X32, y.astype(np.float32))
    model64 = GDRegressor().fit(sp.csr_matrix(X), y)
    assert model32.coef_.dtype == np.float32
    np.testing.assert_allclose(model32.coef_, model64.coef_, rtol=0, atol=1e-3)


def test_non_canonical_csr_is_summed_on_a_copy():
    """Duplicate entries count as their sum (scipy's meaning), unsorted indices are sorted, and the
    caller's matrix is left as it was."""
    X, y, _ = sparse_problem(n=60, p=6, seed=7)
    canonical = sp.csr_matrix(X)
    rows, cols = canonical.nonzero()
    values = X[rows, cols]
    # Each entry split into two halves, listed in reverse order within its row.
    order = np.lexsort((-cols, rows))
    messy = sp.csr_matrix(
        (
            np.concatenate([values[order] / 2, values[order] / 2]),
            (np.concatenate([rows[order], rows[order]]), np.concatenate([cols[order], cols[order]])),
        ),
        shape=X.shape,
    )
    messy = sp.csr_matrix((messy.data, messy.indices, messy.indptr), shape=X.shape)  # keep duplicates
    messy.has_canonical_format = False
    kept = messy.data.copy(), messy.indices.copy()
    params = dict(
        batch_size=1, optimizer="sgd", standardize=False, learning_rate=0.01, max_iter=2, tol=None, random_state=0
    )
    a = GDRegressor(**params).fit(canonical, y)
    b = GDRegressor(**params).fit(messy, y)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=0, atol=1e-12)
    assert np.array_equal(messy.data, kept[0]) and np.array_equal(messy.indices, kept[1])


def test_partial_fit_takes_csr_chunks():
    X, _, labels = sparse_problem(seed=8)
    X_csr = sp.csr_matrix(X)
    model = GDClassifier(batch_size=1, optimizer="sgd", standardize=False, learning_rate=0.05, random_state=0)
    for start in range(0, 300, 100):
        model.partial_fit(X_csr[start : start + 100], labels[start : start + 100], classes=[0, 1])
    assert model.score(X_csr, labels) > 0.8


def test_csr_with_nan_is_refused():
    X = sp.csr_matrix(np.array([[1.0, 0.0], [0.0, np.nan], [2.0, 1.0]]))
    with pytest.raises(ValueError, match="Input X contains NaN"):
        GDRegressor().fit(X, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="Input X contains infinity"):
        GDRegressor(batch_size=1, standardize=False).fit(sp.csr_matrix(np.array([[np.inf], [1.0]])), [1.0, 2.0])


def test_a_wide_csr_is_never_made_dense():
    """1,000 rows of 20,000,000 columns: a dense copy would be 160 GB; the fit holds the CSR and the weights."""
    rng = np.random.default_rng(9)
    n, p = 1000, 20_000_000
    rows = np.repeat(np.arange(n), 10)
    columns = np.concatenate([rng.integers(0, p, size=(n, 9)), rng.integers(0, 50, size=(n, 1))], axis=1).ravel()
    X = sp.csr_matrix((np.ones(n * 10), (rows, columns)), shape=(n, p))
    y = ((columns.reshape(n, 10)[:, -1] < 25) ^ (rng.random(n) < 0.1)).astype(int)
    model = GDClassifier(batch_size=1, optimizer="sgd", standardize=False, max_iter=2, tol=None, random_state=0).fit(
        X, y
    )
    assert model.coef_.shape == (1, p)
    assert model.predict(X[:5]).shape == (5,)


def test_optimal_schedule_is_scikit_learns():
    """eta_t = 1 / (alpha (t0 + t - 1)) with t0 = 1 / (alpha eta_0) and eta_0 = alpha^(-1/4)."""
    alpha = 1e-4
    eta0 = optimal_initial_rate(alpha)
    assert eta0 == pytest.approx(10.0)
    t0 = 1.0 / (alpha * eta0)
    schedule = Optimal(eta0, alpha)
    t = np.array([1.0, 2.0, 1000.0])
    np.testing.assert_allclose(schedule(t), 1.0 / (alpha * (t0 + t - 1)), rtol=1e-15)
    X, y, _ = sparse_problem(seed=10)
    X, y = X * 0.02, y * 0.02  # rows small enough for scikit-learn's first rate, 10
    model = GDRegressor(
        schedule="optimal",
        batch_size=1,
        optimizer="sgd",
        standardize=False,
        max_iter=2,
        tol=None,
        alpha=alpha,
        random_state=0,
    ).fit(sp.csr_matrix(X), y)
    assert model.learning_rate_ == pytest.approx(eta0)
    assert model.history_["lr"][-1] == pytest.approx(1.0 / (alpha * (t0 + 2 * 300 - 1)))
    with pytest.raises(ValueError, match="alpha > 0"):
        GDRegressor(schedule="optimal", penalty=None).fit(X, y)
