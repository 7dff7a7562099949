"""Vowpal Wabbit's text format: parsing, hashing (against scikit-learn's MurmurHash3 and a reference in
Python), interactions, n-grams, errors naming their lines, and streams (from files, file objects, and
files still being written)."""

import io
import json
import random
import re
import threading
import time
import zlib

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.utils import murmurhash3_32

from descend.readers import vw
from descend.readers.tables import DataError
from descend.readers.vw import VWBlock, VWFormat, VWStream, read_vw

FNV = 16777619
MASK = 0xFFFFFFFF


def h(name: str, seed: int = 0) -> int:
    """MurmurHash3_x86_32, unsigned: scikit-learn's, the reference."""
    return murmurhash3_32(name.encode(), seed=seed, positive=True)


def feature_hash(namespace: str, name: str) -> int:
    return h(name, h(namespace))


def combine(*hashes: int) -> int:
    out = hashes[0]
    for other in hashes[1:]:
        out = ((out * FNV) & MASK) ^ other
    return out


def row(X, i=0) -> dict:
    """{column: value} of row i, a repeated column's entries added up."""
    X = X.tocsr()
    start, stop = X.indptr[i], X.indptr[i + 1]
    values = {}
    for column, value in zip(X.indices[start:stop].tolist(), X.data[start:stop].tolist(), strict=True):
        values[column] = values.get(column, 0.0) + value
    return values


def parse(text, n_features=2**20, **settings):
    options = {k: settings.pop(k) for k in ("skip_bad", "tags", "where", "first_line") if k in settings}
    return VWFormat(n_features, **settings).parse(text.encode() if isinstance(text, str) else text, **options)


# ----------------------------------------------------------------------------------- a reference in Python


def reference_line(line: str, n_features: int, interactions=(), ngram=1, ignore=()):
    """(label, weight, tag, {column: value}) of one line, as the module's docstring says, in plain Python."""
    head, _, rest = line.partition("|")
    tokens = head.split()
    tag = None
    if tokens and tokens[-1].startswith("'"):
        tag = tokens.pop()[1:]
    label = float(tokens[0]) if tokens else float("nan")
    weight = float(tokens[1]) if len(tokens) > 1 else 1.0
    ignored = set("".join(ignore))
    features = []  # (hash, value, letter)
    for section in rest.split("|"):
        namespace, features_text = re.match(r"([^ \t\r]*)(.*)", section, re.DOTALL).groups()
        name, colon, scale = namespace.partition(":")
        scale = float(scale) if colon else 1.0
        letter = name[0] if name else " "
        seed, anonymous, base = h(name), 0, []
        for token in features_text.split():
            feature, colon, value = token.partition(":")
            value = (float(value) if colon else 1.0) * scale
            if feature:
                hashed = h(feature, seed)
            else:
                hashed, anonymous = (seed + anonymous) & MASK, anonymous + 1
            if value != 0 and letter not in ignored:
                base.append(hashed)
                features.append((hashed, value, letter))
        if letter not in ignored:
            for n in range(2, ngram + 1):
                features += [(combine(*base[t : t + n]), 1.0, letter) for t in range(len(base) - n + 1)]
    entries = [(hashed, value) for hashed, value, _ in features]
    for term in interactions:
        groups = [[(k, f) for k, f in enumerate(features) if f[2] == letter] for letter in term]
        for pick in _picks(term, groups):
            entries.append((combine(*[f[0] for _, f in pick]), float(np.prod([f[1] for _, f in pick]))))
    columns = {}
    for hashed, value in entries:
        columns[hashed % n_features] = columns.get(hashed % n_features, 0.0) + value
    return label, weight, tag, columns


def _picks(term, groups):
    """The tuples of features of an interaction term: a repeated letter takes distinct features in order."""

    def extend(prefix, position):
        if position == len(term):
            yield prefix
            return
        for k, feature in groups[position]:
            if any(term[p] == term[position] and k <= prefix[p][0] for p in range(position)):
                continue
            yield from extend(prefix + [(k, feature)], position + 1)

    yield from extend([], 0)


def random_lines(rng, n_lines):
    names = ["a", "alpha", "b", "beta", "c", "", "d"]
    words = [f"w{k}" for k in range(30)] + ["x", "éa", "a=b", "7"]
    lines = []
    for _ in range(n_lines):
        head = rng.choice(["1", "-1", "0.5 2", "3 0.25 'tag1", "'t2", "", "-2.5e-1 1 0"])
        sections = []
        for _ in range(rng.randint(1, 4)):
            name = rng.choice(names)
            if rng.random() < 0.2:
                name += f":{rng.choice(['2', '0.5', '-1.5'])}"
            tokens = []
            for _ in range(rng.randint(0, 8)):
                word = rng.choice(words) if rng.random() > 0.05 else ""
                if rng.random() < 0.3 or not word:
                    word += f":{rng.choice(['0.5', '-2', '3e-1', '0', '1.25', '7'])}"
                tokens.append(word)
            sections.append(f"|{name} " + rng.choice([" ", "\t"]).join(tokens))
        lines.append(head + (" " if head and rng.random() < 0.5 else "") + " ".join(sections))
    return lines


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"interactions": ("ab",)},
        {"interactions": ("aa", "abc", "aab", "aba"), "ngram": 2},
        {"ngram": 3, "ignore": ("c",)},
        {"interactions": (" a", "bd"), "ignore": ("d", "b")},
    ],
)
@pytest.mark.parametrize("n_features", [2**18, 1_000_003, 7])
def test_random_lines_equal_the_python_reference(settings, n_features):
    rng = random.Random(zlib.crc32(repr((settings, n_features)).encode()))
    lines = random_lines(rng, 300)
    block = parse("\n".join(lines) + "\n", n_features, tags=True, **settings)
    assert block.X.shape == (len(lines), n_features)
    for i, line in enumerate(lines):
        label, weight, tag, columns = reference_line(line, n_features, **settings)
        got = row(block.X, i)
        assert sorted(got) == sorted(columns), line
        np.testing.assert_allclose(
            [got[c] for c in sorted(got)], [columns[c] for c in sorted(columns)], rtol=1e-12, atol=1e-12, err_msg=line
        )
        np.testing.assert_equal([block.y[i], block.weights[i]], [label, weight])
        assert block.tags[i] == tag
    np.testing.assert_array_equal(block.lines, np.arange(1, len(lines) + 1))


# ----------------------------------------------------------------------------------- hashing


@pytest.mark.parametrize("n_features", [2**20, 1_000_003])
def test_a_features_column_is_murmurhash3_of_its_name_seeded_by_its_namespaces(n_features):
    block = parse("1 |price cheap\n1 | cheap\n1 |words cheap\n", n_features)
    assert row(block.X, 0) == {feature_hash("price", "cheap") % n_features: 1.0}
    assert row(block.X, 1) == {h("cheap", 0) % n_features: 1.0}  # the default namespace: seed 0
    assert row(block.X, 2) == {feature_hash("words", "cheap") % n_features: 1.0}
    assert len({next(iter(row(block.X, i))) for i in range(3)}) == 3


def test_the_compiled_hash_is_sklearns_murmurhash3_for_any_seed_and_length():
    from descend.murmurhash import murmurhash3_32_seeded

    rng = random.Random(3)
    for _ in range(500):
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 40)))
        seed = rng.randrange(2**32)
        padded = np.frombuffer(b"\xff" * 2 + data + b"\xff" * 3, np.uint8)  # junk around it is not read
        assert murmurhash3_32_seeded(padded, 2, 2 + len(data), seed) == murmurhash3_32(data, seed=seed)


def test_names_are_hashed_as_bytes_even_digits_and_utf8():
    block = parse("|n 123 café\n", 2**24)
    assert row(block.X) == {feature_hash("n", "123") % 2**24: 1.0, feature_hash("n", "café") % 2**24: 1.0}


def test_anonymous_features_hash_to_the_namespace_hash_plus_their_rank():
    block = parse("|a :2 x :3\n", 2**24)
    seed = h("a")
    assert row(block.X) == {seed % 2**24: 2.0, (seed + 1) % 2**24: 3.0, h("x", seed) % 2**24: 1.0}


# ----------------------------------------------------------------------------------- values and labels


def test_values_namespace_scales_and_repeats_add_up():
    n = 2**22
    block = parse("1 |a x:0.5 y:-2 z:3e-1 |b:2.5 x y:2 |a x\n", n)
    expected = {
        feature_hash("a", "x") % n: 1.5,
        feature_hash("a", "y") % n: -2.0,
        feature_hash("a", "z") % n: 0.3,
        feature_hash("b", "x") % n: 2.5,
        feature_hash("b", "y") % n: 5.0,
    }
    assert row(block.X) == pytest.approx(expected, rel=1e-15)


def test_repeated_features_stay_repeated_side_by_side_and_zero_values_are_left_out():
    """As Vowpal Wabbit, which learns a repeated feature as often as it appears: each occurrence an entry."""
    block = parse("1 |w a a:2 b c:0 a:-3 b\n", n_features=2**20)
    X = block.X
    a, b, c = (feature_hash("w", name) % 2**20 for name in "abc")
    assert sorted(zip(X.indices.tolist(), X.data.tolist())) == sorted(
        [(a, 1.0), (a, 2.0), (a, -3.0), (b, 1.0), (b, 1.0)]
    )
    assert row(X) == {a: 0.0, b: 2.0} and c not in row(X)  # c:0 is left out, as VW leaves it
    assert list(X.indices) == sorted(X.indices) and not X.has_canonical_format
    a_entries = X.data[X.indices == a].tolist()
    assert a_entries == [1.0, 2.0, -3.0]  # in the line's order
    one_column = parse("1 |w a:1 b:2 c:4\n", n_features=1).X
    assert one_column.nnz == 3 and one_column.sum() == 7.0


def test_long_rows_are_sorted_and_sum_to_the_counts():
    words = " ".join(f"w{k % 150}" for k in range(600))  # long rows: the bucket sort
    X = parse(f"1 |a {words}\n-1 |b {words} {words}\n", n_features=1000).X
    assert X.nnz == 1800 and all(np.all(np.diff(X.indices[X.indptr[i] : X.indptr[i + 1]]) >= 0) for i in range(2))
    counts = X.copy()
    counts.sum_duplicates()
    assert counts.nnz < 300 and counts.max() >= 4.0
    assert X.sum() == pytest.approx(600 + 1200)


def test_label_importance_initial_and_missing_label():
    block = parse("1 |a x\n-1 0.25 |a x\n3.5 2 0.7 |a x\n|a x\n  | x\n")
    np.testing.assert_array_equal(block.y, [1.0, -1.0, 3.5, np.nan, np.nan])
    np.testing.assert_array_equal(block.weights, [1.0, 0.25, 2.0, 1.0, 1.0])
    assert block.y.dtype == np.float64 and block.weights.dtype == np.float64 and block.lines.dtype == np.int64


def test_tags_with_and_without_a_label():
    text = "1 2.0 'doc17|words a\n1 'doc18 |words a\n'doc19 |w a\n-1 |w a\n'é |w\n"
    block = parse(text, tags=True)
    assert block.tags == ["doc17", "doc18", "doc19", None, "é"]
    np.testing.assert_array_equal(block.y, [1, 1, np.nan, -1, np.nan])
    np.testing.assert_array_equal(block.weights, [2, 1, 1, 1, 1])
    assert parse(text).tags is None
    assert row(block.X, 0) == row(block.X, 1) == {feature_hash("words", "a") % 2**20: 1.0}


def test_empty_lines_are_skipped_but_counted_and_crlf_and_a_last_line_without_newline_are_read():
    block = parse("\n1 |a x\r\n   \n\t\n-1 |a y\r\n0 |a z", first_line=5)
    np.testing.assert_array_equal(block.lines, [6, 9, 10])
    np.testing.assert_array_equal(block.y, [1, -1, 0])
    assert row(block.X, 0) == {feature_hash("a", "x") % 2**20: 1.0}  # no '\r' in the name
    assert parse("").X.shape == (0, 2**20) and parse("\n\n").y.size == 0


def test_a_row_may_hold_no_feature():
    block = parse("1 |a\n0 |a x:0\n", ignore=("b",))
    assert block.X.shape == (2, 2**20) and block.X.nnz == 0


def test_numbers_are_read_exactly_as_pythons_float():
    rng = random.Random(11)
    numbers = [
        "1",
        "-0.5",
        ".5",
        "5.",
        "+2",
        "1e3",
        "1E-3",
        "0.1",
        "0.3",
        "9007199254740993",
        "1.7976931348623157e308",
        "2.2250738585072014e-308",
        "2.2250738585072011e-308",
        "4.9e-324",
        "1e-320",
        "123456789012345678901234567",
        "0.000000000000000000000000000123456789",
        "1" + "0" * 30 + "e-30",
        "1" * 40 + "e-20",
    ]
    for _ in range(3000):
        kind = rng.randrange(4)
        if kind == 0:
            numbers.append(repr(rng.uniform(-1, 1) * 10 ** rng.randrange(-300, 300)))
        elif kind == 1:
            numbers.append(f"{rng.random():.{rng.randrange(1, 30)}f}")
        elif kind == 2:
            numbers.append(f"{rng.randrange(1, 10 ** rng.randrange(1, 25))}e{rng.randrange(-330, 300)}")
        else:
            numbers.append(repr(float(np.frombuffer(rng.randbytes(8), np.float64)[0])))
    numbers = [x for x in numbers if np.isfinite(float(x)) and float(x) != 0]
    text = "".join(f"{x} |a f:{x}\n" for x in numbers)
    block = parse(text, n_features=1)
    expected = np.array([float(x) for x in numbers])
    np.testing.assert_array_equal(block.y, expected)
    np.testing.assert_array_equal(block.X.data, expected)  # each equal, not close


# ----------------------------------------------------------------------------------- interactions and n-grams


def test_a_quadratic_feature_is_the_fnv_combination_of_the_two_hashes_valued_their_product():
    n = 2**24
    block = parse("1 |a x:2 y |b z:3\n", n, interactions=("ab",))
    hx, hy, hz = feature_hash("a", "x"), feature_hash("a", "y"), feature_hash("b", "z")
    crossed_xz = (((hx * 16777619) & 0xFFFFFFFF) ^ hz) % n
    crossed_yz = (((hy * 16777619) & 0xFFFFFFFF) ^ hz) % n
    assert row(block.X) == {hx % n: 2.0, hy % n: 1.0, hz % n: 3.0, crossed_xz: 6.0, crossed_yz: 3.0}
    assert parse("1 |a x:2 y |b z:3\n", n).X.nnz == 3  # without -q: no crossed feature
    assert parse("1 |a x:2 y |b z:3\n", n, interactions=("ba",)).X.nnz == 5  # the order of the letters changes the hash
    assert crossed_xz not in row(parse("1 |a x:2 y |b z:3\n", n, interactions=("ba",)).X)


def test_interactions_take_every_namespace_by_its_first_letter():
    n = 2**24
    block = parse("1 |alpha x |apple y |b z |c w\n", n, interactions=("ab",))
    hz = feature_hash("b", "z")
    crossed = {combine(feature_hash("alpha", "x"), hz) % n, combine(feature_hash("apple", "y"), hz) % n}
    assert crossed <= set(row(block.X)) and block.X.nnz == 4 + 2


def test_a_namespace_crossed_with_itself_gives_each_pair_once_and_no_self_pair():
    n = 2**24
    block = parse("1 |a x y:2 z\n", n, interactions=("aa",))
    hx, hy, hz = (feature_hash("a", name) for name in "xyz")
    expected = {
        hx % n: 1.0,
        hy % n: 2.0,
        hz % n: 1.0,
        combine(hx, hy) % n: 2.0,
        combine(hx, hz) % n: 1.0,
        combine(hy, hz) % n: 2.0,
    }
    assert row(block.X) == expected  # not (y, x), not (x, x)


def test_cubic_interactions():
    n = 2**24
    block = parse("1 |a x:2 |b y:3 y2 |c z:5\n", n, interactions=("abc",))
    hx, hy, hy2, hz = feature_hash("a", "x"), feature_hash("b", "y"), feature_hash("b", "y2"), feature_hash("c", "z")
    got = row(block.X)
    assert got[combine(hx, hy, hz) % n] == 30.0 and got[combine(hx, hy2, hz) % n] == 10.0
    assert block.X.nnz == 4 + 2
    same = parse("1 |a p q r s\n", n, interactions=("aaa",)).X
    assert same.nnz == 4 + 4  # the 4 triples of 4 distinct features


def test_interactions_with_a_missing_namespace_add_nothing():
    block = parse("1 |a x y\n", interactions=("ab", "abc"))
    assert block.X.nnz == 2


def test_ngrams_of_consecutive_features_within_a_namespace():
    n = 2**24
    block = parse("1 |w the cat:2 sat |v on\n", n, ngram=3)
    the, cat, sat = (feature_hash("w", word) for word in ("the", "cat", "sat"))
    expected = {
        the % n: 1.0,
        cat % n: 2.0,
        sat % n: 1.0,
        feature_hash("v", "on") % n: 1.0,
        combine(the, cat) % n: 1.0,
        combine(cat, sat) % n: 1.0,
        combine(the, cat, sat) % n: 1.0,
    }
    assert row(block.X) == expected  # no n-gram across namespaces; an n-gram's value is 1
    assert parse("1 |w the cat:2 sat |v on\n", n, ngram=2).X.nnz == 6


def test_ignored_namespaces_are_left_out_of_features_and_interactions():
    n = 2**24
    text = "1 |a x |b y |bb z | d\n"
    block = parse(text, n, ignore=("b",), interactions=("ab",))
    assert row(block.X) == {feature_hash("a", "x") % n: 1.0, feature_hash("", "d") % n: 1.0}
    assert parse(text, n, ignore=(" ", "b")).X.nnz == 1
    assert parse(text, n, ignore=("ab",)).X.nnz == 1  # every character of the string counts


def test_many_interaction_entries_grow_the_arrays():
    words = " ".join(f"w{k}" for k in range(120))
    block = parse(f"1 |a {words}\n" * 3, n_features=2**30, interactions=("aa",))
    assert block.X.nnz == 3 * (120 + 120 * 119 // 2)  # (no collision in 2**30 columns)


# ----------------------------------------------------------------------------------- bad lines


@pytest.mark.parametrize(
    "line, message",
    [
        ("abc |a x", "the label 'abc' is not a number"),
        ("1e999 |a x", "the label '1e999' is not finite"),
        ("1 two |a x", "the importance 'two' is not a number"),
        ("1 -2 |a x", "the importance '-2' is negative"),
        ("1 2 x3 |a x", "the initial prediction 'x3' (the third value before the first '|') is not a number"),
        ("1 2 3 4 |a x", "more than three values before the first '|' ('1 2 3 4')"),
        ("1 'tag 2 |a x", "the tag \"'tag\" must come last before the first '|'"),
        ("1 a b", "no '|': an example needs a namespace"),
        ("1 |a x:1e", "feature 'x:1e' has a value that is not a number"),
        ("1 |a x:", "feature 'x:' has a value that is not a number"),
        ("1 |a x:nan", "feature 'x:nan' has a value that is not a number"),
        ("1 |a x:1e400", "feature 'x:1e400' has a value that is not finite"),
        ("1 |a:1e300 x:1e300", "feature 'x:1e300' has a value that is not finite"),
        ("1 |a:big x", "namespace 'a:big' has a scale that is not a number"),
    ],
)
def test_a_bad_line_is_named_by_its_line_number(line, message):
    text = f"1 |a x\n\n-1 |a y\n{line}\n1 |a z\n"
    with pytest.raises(DataError) as error:
        parse(text, where="clicks.vw")
    assert str(error.value).startswith(f"clicks.vw, line 4: {message}")
    with pytest.raises(DataError, match=r"^<stdin>, line 13: "):
        parse(text, first_line=10)


def test_skip_bad_skips_and_counts_the_bad_lines():
    text = "1 |a x\nabc |a x\n-1 |a y\n1 |a x:oops\n\nno bar\n0 |a z\n"
    block = parse(text, skip_bad=True, tags=True)
    assert block.skipped == 3
    np.testing.assert_array_equal(block.lines, [1, 3, 7])
    np.testing.assert_array_equal(block.y, [1, -1, 0])
    assert block.tags == [None, None, None] and block.X.shape[0] == 3
    many = parse("x |a b\n" * 100 + "1 |a b\n", skip_bad=True)  # more than the first room for bad lines
    assert many.skipped == 100 and many.lines.tolist() == [101]


def test_many_rows_and_numbers_left_to_python_grow_their_arrays():
    lines = [f"{k} |a x:{k}.000000000000000000000001 y:1e-320\n" for k in range(1, 3001)]
    block = parse("".join(lines))
    np.testing.assert_array_equal(block.y, np.arange(1, 3001))
    x, y = feature_hash("a", "x") % 2**20, feature_hash("a", "y") % 2**20
    assert [row(block.X, k)[x] for k in (0, 1, 2999)] == [1.0, 2.0, 3000.0]
    assert row(block.X, 5)[y] == float("1e-320")


# ----------------------------------------------------------------------------------- files and streams

LINES = [f"{k % 2 * 2 - 1} {1 + k % 3} 'r{k}|u id{k % 7} g{k % 5}:0.5 |i item{k % 11} |c c{k}\n" for k in range(500)]


@pytest.fixture
def vw_file(tmp_path):
    text = "".join(LINES[:100]) + "\n" + "".join(LINES[100:])  # an empty line, line 101
    path = tmp_path / "clicks.vw"
    path.write_text(text)
    return path


def assert_same_blocks(blocks, whole):
    assert sp.vstack([b.X for b in blocks]).shape == whole.X.shape
    assert (sp.vstack([b.X for b in blocks]) != whole.X).nnz == 0
    for name in ("y", "weights", "lines"):
        np.testing.assert_array_equal(np.concatenate([getattr(b, name) for b in blocks]), getattr(whole, name))
    if whole.tags is not None:
        assert sum((b.tags for b in blocks), []) == whole.tags


def test_read_vw_reads_a_file(vw_file):
    block = read_vw(vw_file, 2**18, interactions=("ui",), tags=True)
    assert isinstance(block, VWBlock) and block.X.shape == (500, 2**18)
    assert block.tags[:2] == ["r0", "r1"] and block.lines[99:102].tolist() == [100, 102, 103]
    label, weight, _, columns = reference_line(LINES[3], 2**18, interactions=("ui",))
    assert row(block.X, 3) == pytest.approx(columns) and (block.y[3], block.weights[3]) == (label, weight)
    X, y = VWFormat(2**18, interactions=("ui",)).read(vw_file)
    assert (X != block.X).nnz == 0 and np.array_equal(y, block.y)


def test_read_vw_refuses_missing_empty_and_rowless_files(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_vw(tmp_path / "none.vw")
    (tmp_path / "empty.vw").write_text("")
    with pytest.raises(DataError, match="is empty"):
        read_vw(tmp_path / "empty.vw")
    (tmp_path / "blank.vw").write_text("\n\nbad\n")
    with pytest.raises(DataError, match=r"blank.vw, line 3: no '\|'"):
        read_vw(tmp_path / "blank.vw")
    with pytest.raises(DataError, match=r"holds no example \(1 bad lines skipped\)"):
        read_vw(tmp_path / "blank.vw", skip_bad=True)


@pytest.mark.parametrize("block_rows", [1, 7, 64, 10_000])
def test_a_stream_in_small_reads_and_blocks_gives_read_vws_rows(vw_file, monkeypatch, block_rows):
    monkeypatch.setattr(vw, "READ_BYTES", 300)  # reads that cut lines
    form = VWFormat(2**18, interactions=("ui",))
    whole = read_vw(vw_file, 2**18, interactions=("ui",), tags=True)
    blocks = list(VWStream(vw_file, form, block_rows=block_rows, tags=True))
    assert all(0 < b.X.shape[0] <= block_rows for b in blocks)
    assert sum(b.X.shape[0] < block_rows for b in blocks[:-1]) <= 1  # full blocks, but by the empty line
    assert_same_blocks(blocks, whole)


def test_a_stream_reads_a_source_whose_read_returns_memoryviews():
    class Views(io.BytesIO):
        def read(self, size=-1):
            return memoryview(super().read(size))

    lines = "".join(LINES[:10]).encode()
    blocks = list(VWStream(Views(lines), VWFormat(64), block_rows=4))
    expected = list(VWStream(io.BytesIO(lines), VWFormat(64), block_rows=4))
    assert [b.lines.tolist() for b in blocks] == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10]]
    assert all((a.X != b.X).nnz == 0 and np.array_equal(a.y, b.y) for a, b in zip(blocks, expected, strict=True))


def test_a_stream_cuts_full_blocks_until_the_end():
    lines = "".join(LINES[:10])
    blocks = list(VWStream(io.BytesIO(lines.encode()), VWFormat(64), block_rows=4))
    assert [b.X.shape[0] for b in blocks] == [4, 4, 2]
    assert [b.lines.tolist() for b in blocks] == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10]]


def test_a_stream_over_a_binary_file_object(vw_file):
    whole = read_vw(vw_file, 2**10)
    blocks = list(VWStream(io.BytesIO(vw_file.read_bytes()), VWFormat(2**10), block_rows=128))
    assert [b.X.shape[0] for b in blocks] == [128, 128, 128, 116]
    assert_same_blocks(blocks, whole)
    last_without_newline = list(VWStream(io.BytesIO(b"1 |a x\n-1 |a y"), VWFormat(2**10)))
    assert len(last_without_newline) == 1 and last_without_newline[0].y.tolist() == [1, -1]


def test_a_stream_names_bad_lines_or_skips_them(vw_file):
    text = b"1 |a x\n" * 10 + b"oops |a x\n" + b"1 |a x\n" * 10
    with pytest.raises(DataError, match=r"^<stream>, line 11: the label 'oops' is not a number"):
        list(VWStream(io.BytesIO(text), VWFormat(16), block_rows=4))
    stream = VWStream(io.BytesIO(text), VWFormat(16), block_rows=4, skip_bad=True)
    blocks = list(stream)
    assert stream.skipped == 1 and sum(b.X.shape[0] for b in blocks) == 20
    assert 11 not in np.concatenate([b.lines for b in blocks])
    with open(vw_file, "rb") as file:
        assert list(VWStream(file, VWFormat(16)))[0].X.shape[0] == 500
    with pytest.raises(DataError, match="no such file"):
        list(VWStream(vw_file.parent / "none.vw", VWFormat(16)))


def test_following_a_file_picks_up_appended_lines_until_stopped(tmp_path):
    path = tmp_path / "live.vw"
    path.write_bytes(b"1 |a x\n-1 |a y\n")
    stop = threading.Event()
    stream = VWStream(path, VWFormat(2**10), block_rows=100, follow=True, poll_seconds=0.01, stop=stop)
    received, done = [], threading.Event()

    def consume():
        for block in stream:
            received.append(block)
        done.set()

    reader = threading.Thread(target=consume, daemon=True)
    reader.start()
    deadline = time.monotonic() + 10
    while not received and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [b.lines.tolist() for b in received] == [[1, 2]]  # handed out without waiting for 100 rows
    with path.open("ab") as file:
        file.write(b"0.5 |a z\n1 |a ")  # a partial line waits for its end
        file.flush()
        time.sleep(0.2)
        assert sum(b.X.shape[0] for b in received) == 3 and not done.is_set()
        file.write(b"w\n\n2 |b v\n")
    time.sleep(0.2)
    stop.set()
    assert done.wait(10)
    blocks = received
    np.testing.assert_array_equal(np.concatenate([b.y for b in blocks]), [1, -1, 0.5, 1, 2])
    np.testing.assert_array_equal(np.concatenate([b.lines for b in blocks]), [1, 2, 3, 4, 6])
    whole = read_vw(path, 2**10)
    assert (sp.vstack([b.X for b in blocks]) != whole.X).nnz == 0


def test_following_stops_when_a_callable_says_so_and_reads_the_whole_lines_that_came_before():
    source = io.BytesIO(b"1 |a x\n")
    calls = []

    def stop():
        calls.append(1)
        if len(calls) == 2:  # the lines written meanwhile are read before stopping
            source.seek(0, io.SEEK_END)
            source.write(b"2 |a y\n3 |a z")
            source.seek(7)
        return len(calls) >= 2

    blocks = list(VWStream(source, VWFormat(16), follow=True, poll_seconds=0.01, stop=stop))
    assert np.concatenate([b.y for b in blocks]).tolist() == [1, 2]  # a line without its end is never read


# ----------------------------------------------------------------------------------- settings


def test_to_dict_from_dict_round_trip_through_json():
    form = VWFormat(n_features=2**18, interactions=("ab", "abc"), ngram=2, ignore=("x", "yz"))
    data = json.loads(json.dumps(form.to_dict()))
    assert data == {"kind": "vw", "n_features": 2**18, "interactions": ["ab", "abc"], "ngram": 2, "ignore": ["x", "yz"]}
    assert VWFormat.from_dict(data) == form and hash(VWFormat.from_dict(data)) == hash(form)
    assert (form.kind, form.sparse, form.ids, form.output_names, form.n_outputs) == ("vw", True, (), (), 2**18)
    assert VWFormat().n_features == 2**20 and VWFormat(interactions=["ab"]).interactions == ("ab",)


@pytest.mark.parametrize(
    "settings, error, match",
    [
        ({"n_features": 0}, ValueError, "n_features must be an integer >= 1, got 0"),
        ({"n_features": 2.5}, ValueError, "n_features must be an integer >= 1, got 2.5"),
        ({"n_features": True}, ValueError, "n_features must be an integer >= 1, got True"),
        ({"n_features": 2**31}, ValueError, "n_features must be at most 2\\*\\*31 - 1"),
        ({"interactions": ("a",)}, ValueError, "interactions must hold strings of 2 or 3 ASCII characters.*'a'"),
        ({"interactions": ("abcd",)}, ValueError, "'abcd'"),
        ({"interactions": ("aé",)}, ValueError, "'aé'"),
        ({"interactions": (1,)}, TypeError, "interactions must hold strings, got int: 1"),
        ({"interactions": 12}, TypeError, "interactions must be a tuple of strings, got int: 12"),
        ({"ngram": 0}, ValueError, "ngram must be an integer >= 1, got 0"),
        ({"ignore": ("",)}, ValueError, "ignore must hold strings of 1 or more ASCII characters.*''"),
        ({"ignore": ("é",)}, ValueError, "'é'"),
    ],
)
def test_bad_settings_are_named(settings, error, match):
    with pytest.raises(error, match=match):
        VWFormat(**settings)
    with pytest.raises(error, match=match):
        read_vw("unused.vw", **settings)


def test_bad_stream_arguments_are_named(tmp_path):
    form = VWFormat(16)
    with pytest.raises(TypeError, match="form must be a VWFormat, got dict"):
        VWStream(io.BytesIO(b""), {"n_features": 16})
    with pytest.raises(TypeError, match="binary file object"):
        VWStream(io.StringIO("1 |a x\n"), form)
    with pytest.raises(TypeError, match="source must be a path or a binary file object, got int"):
        VWStream(3, form)
    with pytest.raises(ValueError, match="block_rows must be an integer >= 1, got 0"):
        VWStream(io.BytesIO(b""), form, block_rows=0)
    with pytest.raises(ValueError, match="poll_seconds must be a finite number > 0, got 0"):
        VWStream(io.BytesIO(b""), form, poll_seconds=0)
    with pytest.raises(TypeError, match="stop must be a threading.Event or a callable, got bool"):
        VWStream(io.BytesIO(b""), form, stop=True)
