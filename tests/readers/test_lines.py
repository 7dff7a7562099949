"""LineRows: whole lines of a format to a model's rows, as descend learn and descend predict - read them."""

import numpy as np

from descend.readers.lines import LineRows


def csv_lines(n, seed=0):
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(500)]
    lines = [b"y,x,body"]
    for _ in range(n):
        body = " ".join(rng.choice(words, rng.integers(5, 15)))
        lines.append(f"{rng.integers(0, 2)},{rng.normal():.6f},{body}".encode())
    return b"\n".join(lines) + b"\n"


def test_csv_text_hashed_on_threads_gives_the_same_rows():
    data = csv_lines(8_000)  # about 80,000 words: hashed in chunks, four a thread
    serial = LineRows("csv", "rows.csv", target="y", text=("body",), n_features=2**16)
    threads = LineRows("csv", "rows.csv", target="y", text=("body",), n_features=2**16, n_jobs=2)
    X1, y1, _ = serial.parse(data, 1)
    X2, y2, _ = threads.parse(data, 1)
    assert threads.preprocessing.n_jobs == 2 and serial.preprocessing.n_jobs is None
    assert X1.shape == (8_000, 2**16 + 1) and X1.nnz > 70_000
    for a, b in ((X1.indptr, X2.indptr), (X1.indices, X2.indices), (X1.data, X2.data), (y1, y2)):
        np.testing.assert_array_equal(a, b)
    # A model's preprocessing (descend learn --initial) takes the threads asked for too.
    LineRows("csv", "rows.csv", serial.preprocessing, target="y", text=("body",), n_jobs=2)
    assert serial.preprocessing.n_jobs == 2


def test_blocks_are_whole_lines_at_most_max_lines_numbered_from_one():
    import io
    import random

    from descend.readers.lines import LineBlocks

    rng = random.Random(0)
    for _ in range(300):
        lines = [b"x" * rng.randint(0, 5) for _ in range(rng.randint(1, 40))]
        data = b"\n".join(lines) + (b"\n" if rng.random() < 0.5 else b"")
        max_lines = rng.randint(1, 7)
        blocks = list(LineBlocks(io.BytesIO(data), read_bytes=rng.randint(1, 30), max_lines=max_lines))
        assert b"".join(block for block, _ in blocks) == data
        line = 1
        for block, first in blocks:
            count = block.count(b"\n") + (0 if block.endswith(b"\n") else 1)
            assert first == line and 1 <= count <= max_lines
            line += count
        assert line == data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1) + 1
