"""The full batch on several threads: the same sums, bit for bit, whatever the number of threads."""

import numpy as np
import pytest
import scipy.sparse as sp

from descend._engine import blocks, kernels
from descend._engine.problem import Data, Model, Objective
from descend.losses import LOSSES


def _sparse(n, p, density, dtype, seed):
    X = sp.random(n, p, density=density, format="csr", random_state=seed, dtype=dtype)
    X.data[X.indptr[3] : X.indptr[4]] = 0  # an empty row
    X.eliminate_zeros()
    return X


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_out", [1, 3])
@pytest.mark.parametrize("n_threads", [2, 3])
def test_sparse_products_are_scipys_bit_for_bit(dtype, n_out, n_threads):
    X = _sparse(2000, 700, 0.02, dtype, 0)
    rng = np.random.default_rng(1)
    W, D = rng.normal(size=(700, n_out)), rng.normal(size=(2000, n_out))
    threaded = blocks.SparseProducts(X, n_threads)
    assert np.array_equal(threaded.times(W), np.asarray(X @ W))
    assert np.array_equal(threaded.transpose_times(D), np.asarray(X.T @ D))
    assert not np.array_equal(threaded.times(W), np.asarray(X @ (W * (1 + 1e-15))))  # the test can tell


def _dense_problem(n, p=7, n_out=1, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    y = (rng.random(n) < 0.5) * 2.0 - 1.0
    model = Model(rng.normal(size=n_out * (p + 1)) * 0.3, None, None, n_out, True)
    objective = Objective(LOSSES["log_loss"].code, np.zeros(2), np.zeros(p), np.zeros(p))
    return Data(X, y, np.empty(0)), model, objective


def test_one_block_is_summed_as_it_always_was():
    data, model, objective = _dense_problem(blocks.BLOCK_ROWS)
    rows = np.arange(blocks.BLOCK_ROWS)
    one = kernels.gradient_sum(data, rows, model, objective)
    for n_threads in (1, 2):
        blocked = blocks.gradient_sum(data, rows, model, objective, n_threads)
        assert blocked[0] == one[0] and blocked[1] == one[1] and np.array_equal(blocked[2], one[2])


def test_blocks_sum_the_same_for_any_number_of_threads():
    n = 3 * blocks.BLOCK_ROWS + 123
    data, model, objective = _dense_problem(n)
    rows = np.random.default_rng(2).permutation(n)
    sums = [blocks.gradient_sum(data, rows, model, objective, k) for k in (1, 2, 3, 4)]
    for other in sums[1:]:
        assert other[0] == sums[0][0] and other[1] == sums[0][1] and np.array_equal(other[2], sums[0][2])
    whole = kernels.gradient_sum(data, rows, model, objective)  # one running sum: equal but for rounding
    np.testing.assert_allclose(sums[0][2], whole[2], rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(sums[0][0], whole[0], rtol=1e-12)
    assert sums[0][1] == n


def test_row_blocks_cover_the_rows():
    assert blocks.row_blocks(0) == [(0, 0)]
    assert blocks.row_blocks(5) == [(0, 5)]
    n = 2 * blocks.BLOCK_ROWS + 1
    assert blocks.row_blocks(n) == [
        (0, blocks.BLOCK_ROWS),
        (blocks.BLOCK_ROWS, 2 * blocks.BLOCK_ROWS),
        (2 * blocks.BLOCK_ROWS, n),
    ]
