"""Feature hashing, compiled (issue 14, part 2): hash_texts is HashingVectorizer entry for entry, TextHasher
is its transformer, hash_columns is FeatureHasher on "column=value" strings."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.feature_extraction import FeatureHasher
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import normalize
from sklearn.utils import murmurhash3_32

from descend.text import TextHasher, hash_columns, hash_texts


def ascii_corpus(n_documents=3000, seed=0):
    """Words of 1 to 12 characters (letters of both cases, digits, underscores), 0 to 80 a document,
    between runs of spaces, tabs, newlines and punctuation; some documents empty or punctuation only.
    About 930 kB: large enough that the kernel cuts the rows into several chunks."""
    rng = np.random.default_rng(seed)
    characters = np.array(list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"))
    vocabulary = ["".join(rng.choice(characters, size=length)) for length in rng.integers(1, 13, size=800)]
    vocabulary += ["The", "the", "THE", "don't", "e-mail", "U.S.A.", "x", "I", "a_b", "__", "42"]
    separators = [" ", " ", " ", "  ", "\t", "\n", ", ", ". ", "!", "-", "'", "(", ") ", "/", '"', "; "]
    documents = []
    for _ in range(n_documents):
        words = rng.choice(vocabulary, size=rng.integers(0, 81))
        gaps = rng.choice(separators, size=len(words))
        documents.append("".join(w + g for w, g in zip(words, gaps)))
    documents[:4] = ["", " ... ", "a b c", "Hello, World! hello world."]
    return documents


def assert_same_matrix(ours, theirs):
    """Entry for entry: the same shape, row pointers, column indices and values, bit for bit."""
    assert isinstance(ours, sp.csr_matrix)
    assert ours.shape == theirs.shape
    assert ours.indices.dtype == theirs.indices.dtype and ours.indptr.dtype == theirs.indptr.dtype
    np.testing.assert_array_equal(ours.indptr, theirs.indptr)
    np.testing.assert_array_equal(ours.indices, theirs.indices)
    np.testing.assert_array_equal(ours.data, theirs.data)


CORPUS = ascii_corpus()


@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 2), (2, 3), (1, 3)])
@pytest.mark.parametrize("alternate_sign", [True, False])
def test_hash_texts_equals_hashing_vectorizer_on_a_generated_ascii_corpus(ngram_range, alternate_sign):
    parameters = dict(ngram_range=ngram_range, alternate_sign=alternate_sign)
    ours = hash_texts(CORPUS, 2**18, **parameters)
    theirs = HashingVectorizer(n_features=2**18, **parameters).transform(CORPUS)
    assert_same_matrix(ours, theirs)
    assert ours.nnz > 100_000
    assert (ours.data < 0).any() == alternate_sign  # both signs, when signed
    norms = sp.linalg.norm(ours, axis=1)
    np.testing.assert_allclose(norms[norms > 0], 1.0, rtol=1e-12)  # the rows with a token or more
    assert (norms > 0).sum() > 2900


@pytest.mark.parametrize(
    "parameters",
    [
        dict(norm="l1"),
        dict(norm=None),
        dict(lowercase=False),
        dict(norm=None, lowercase=False, ngram_range=(1, 2)),
    ],
)
def test_hash_texts_equals_hashing_vectorizer_for_each_norm_and_without_lowercasing(parameters):
    ours = hash_texts(CORPUS, 1000, **parameters)  # few columns: many collisions, summed
    theirs = HashingVectorizer(n_features=1000, **parameters).transform(CORPUS)
    assert_same_matrix(ours, theirs)
    if parameters.get("norm", "l2") is None:
        assert ours.data.max() > 1  # counts, collisions summed
        assert (ours.data == 0).any()  # a + and a - in one column: an explicit zero, as scikit-learn keeps it


def test_an_entry_is_the_signed_murmurhash3_of_the_token_at_its_absolute_value_modulo_n_features():
    # Tokens of 2 to 13 bytes: hash tails of 0 to 3 bytes after 0 to 3 blocks.
    tokens = ["ab", "abc", "abcd", "abcde", "abcdef", "abcdefg", "abcdefgh", "abcdefghi", "abcdefghijklm", "zz"]
    n_features = 2**31 - 1
    X = hash_texts(tokens, n_features, norm=None)
    for row, token in enumerate(tokens):
        h = murmurhash3_32(token, seed=0, positive=False)
        assert X[row].indices.tolist() == [abs(h) % n_features]
        assert X[row].data.tolist() == [1.0 if h >= 0 else -1.0]
    assert {np.sign(v) for v in X.data} == {-1.0, 1.0}


def test_a_document_counts_its_tokens_and_its_ngrams_joined_by_one_space():
    X = hash_texts(["Big  data,\tbig DATA!"], 2**20, ngram_range=(1, 2), alternate_sign=False, norm=None)
    counts = {}
    for token in ["big", "data", "big", "data", "big data", "data big", "big data"]:
        index = abs(murmurhash3_32(token, seed=0)) % 2**20
        counts[index] = counts.get(index, 0) + 1
    assert dict(zip(X.indices.tolist(), X.data.tolist())) == counts  # {big: 2, data: 2, big data: 2, data big: 1}


UNICODE_PIECES = (
    list("abcXYZ019_ .,'-\t\n")
    + list("ΣσςΟΔΑάΐ")
    + [
        "İ",
        "ı",
        "ß",
        "ẞ",
        "Ǆ",
        "ǅ",
        "\u0307",
        "\u0301",
        "中文",
        "٣",
        "Ⅻ",
        "²",
        "½",
        "😀",
        "\u00ad",
        "\u2019",
        "·",
        "\u212a",
        "Å",
        "ﬃ",
        "ǰ",
        "\U0001d400",
        "ᾼ",
        "\u0345",
        "ʰ",
        "\u200d",
        "Ⓐ",
        "ⓐ",
        "é",
        "e\u0301",
    ]
)


@pytest.mark.parametrize(
    "parameters", [dict(), dict(ngram_range=(1, 3)), dict(lowercase=False), dict(alternate_sign=False, norm="l1")]
)
def test_hash_texts_equals_hashing_vectorizer_on_unicode_text(parameters):
    rng = np.random.default_rng(1)
    documents = ["".join(rng.choice(UNICODE_PIECES, size=rng.integers(0, 60))) for _ in range(2000)]
    documents += ["ΟΔΟΣ", "ΟΔΟΣ.", "Σ", "aΣ", "a'Σ", "a'Σb", "ΑΣ\u0301", "ΑΣ\u0301Α", "İstanbul", "ǅemal"]
    ours = hash_texts(documents, 2**18, **parameters)
    assert_same_matrix(ours, HashingVectorizer(n_features=2**18, **parameters).transform(documents))


def test_unicode_lowercasing_is_pythons_final_sigma_and_dotted_capital_i_included():
    def same(a, b):
        return (hash_texts([a]) != hash_texts([b])).nnz == 0

    assert same("ΟΔΟΣ", "οδος") and not same("ΟΔΟΣ", "οδοσ")  # a final capital sigma is ς
    assert same("ΣΟΦΙΑ", "σοφια")  # and σ elsewhere
    assert same("ΟΔΟΣ'", "οδος")  # an apostrophe is case-ignorable: still final
    # "İ".lower() is "i" and a combining dot, which is not a word character: "i" alone is too short.
    assert same("İstanbul", "stanbul")
    assert same("STRASSE Straße", "strasse straße") and not same("straße", "strasse")
    assert hash_texts(["中文 ٣٣ x ²½"]).nnz == 3  # CJK, Arabic-Indic digits, ² and ½ are \w; "x" alone is short


def test_inputs_of_every_kind_give_the_same_matrix():
    documents = CORPUS[:300]
    expected = hash_texts(documents, 4096, ngram_range=(1, 2))
    arrow = pa.array(["padding"] * 5 + documents, pa.string())[5:]  # a slice: the offsets start at 5
    kinds = [
        tuple(documents),
        iter(documents),
        np.array(documents),
        np.array(documents, dtype=object),
        pd.Series(documents, index=np.arange(300) * 7),
        pd.Series(documents, dtype="category"),
        arrow,
        pa.array(documents, pa.large_string()),
        pa.array(documents, pa.string_view()),
        pa.chunked_array([documents[:100], documents[100:]]),
        pa.array(documents).dictionary_encode(),
        [d.encode() for d in documents],
    ]
    for texts in kinds:
        assert_same_matrix(hash_texts(texts, 4096, ngram_range=(1, 2)), expected)


def test_an_empty_document_is_a_row_of_zeros_and_no_documents_no_rows():
    X = hash_texts(["", "hello world", "a , ."], 64)
    assert X.shape == (3, 64)
    assert X.getnnz(axis=1).tolist() == [0, 2, 0]
    empty = hash_texts([], 64)
    assert empty.shape == (0, 64) and empty.nnz == 0


@pytest.mark.parametrize(
    "texts, error, message",
    [
        (["ok", "fine", "good", None], ValueError, r"texts\[3\] is missing \(None, NaN or null\)"),
        (["ok", float("nan")], ValueError, r"texts\[1\] is missing"),
        ([None, 7], ValueError, r"texts\[0\] is missing \(None\)"),  # found while looking for the int
        (["ok", "ok", 7], TypeError, r"texts\[2\] is a int \(7\), not a string"),
        (["ok", ["a", "list"]], TypeError, r"texts\[1\] is a list"),
        (["ok", b"\xff\xfe"], ValueError, r"texts\[1\] is bytes that are not UTF-8"),
        (["ok", "lone \ud800 surrogate"], ValueError, r"texts\[1\] cannot be encoded as UTF-8: surrogates not allowed"),
        (pa.array(["a", None, "b"]), ValueError, r"texts\[1\] is missing \(None, NaN or null\)"),
        (pd.Series(["a", "b", None, "c"]), ValueError, r"texts\[2\] is missing"),
        (pa.array([1, 2]), TypeError, "texts must hold strings, got Arrow type int64"),
        ("just one string", TypeError, "texts must be a sequence of strings, got a single str"),
        (
            np.array([["a", "b"], ["c", "d"]]),
            ValueError,
            r"texts must be one-dimensional, got an array of shape \(2, 2\)",
        ),
    ],
)
def test_a_document_that_is_not_a_string_is_an_error_naming_its_row(texts, error, message):
    with pytest.raises(error, match=message):
        hash_texts(texts)


@pytest.mark.parametrize(
    "parameters, error, message",
    [
        (dict(n_features=0), ValueError, "n_features must be an integer >= 1, got 0"),
        (dict(n_features=2**31), ValueError, r"n_features must be at most 2\*\*31 - 1"),
        (dict(n_features=1.5), ValueError, "n_features must be an integer"),
        (dict(ngram_range=(2, 1)), ValueError, r"min_n <= max_n, got \(2, 1\)"),
        (dict(ngram_range=(0, 1)), ValueError, r"ngram_range\[0\] must be an integer >= 1, got 0"),
        (dict(ngram_range=2), TypeError, "ngram_range must be a pair"),
        (dict(norm="l3"), ValueError, "Unknown norm 'l3'"),
        (dict(lowercase="yes"), TypeError, "lowercase must be True or False"),
        (dict(alternate_sign=1), TypeError, "alternate_sign must be True or False"),
    ],
)
def test_bad_parameters_are_errors_naming_them(parameters, error, message):
    with pytest.raises(error, match=message):
        hash_texts(["some text"], **parameters)
    with pytest.raises(error, match=message):
        TextHasher(**parameters).fit(["some text"])


@pytest.mark.parametrize("n_jobs", [2, 3, -1])
def test_the_result_does_not_depend_on_the_number_of_threads(n_jobs, monkeypatch):
    import descend.text

    # The corpus's bound of 620,000 entries is cut into chunks (2**16 entries or more: four a thread), in
    # one block, then in 4 blocks of several chunks each; the columns' 72,000 entries into chunks too.
    for block_entries in (descend.text.BLOCK_ENTRIES, 160_000):
        monkeypatch.setattr(descend.text, "BLOCK_ENTRIES", block_entries)
        one = hash_texts(CORPUS, 2**16, ngram_range=(1, 2), n_jobs=1)
        assert_same_matrix(hash_texts(CORPUS, 2**16, ngram_range=(1, 2), n_jobs=n_jobs), one)
        assert_same_matrix(TextHasher(2**16, ngram_range=(1, 2), n_jobs=n_jobs).transform(CORPUS), one)
    documents = CORPUS * 12
    columns = {"word": [d.split(" ")[0] for d in documents], "length": [len(d) for d in documents]}
    assert_same_matrix(hash_columns(columns, 2**10, n_jobs=n_jobs), hash_columns(columns, 2**10))


def test_bad_n_jobs_is_an_error_naming_it():
    with pytest.raises(ValueError, match="n_jobs"):
        hash_texts(["a text"], n_jobs=0)
    with pytest.raises(TypeError, match="n_jobs"):
        TextHasher(n_jobs="all").fit(["a text"])


def test_text_hasher_is_a_stateless_transformer_equal_to_hashing_vectorizer():
    hasher = TextHasher(2**12, ngram_range=(1, 2), norm="l1")
    assert hasher.get_params() == dict(
        n_features=2**12, ngram_range=(1, 2), lowercase=True, alternate_sign=True, norm="l1", n_jobs=None
    )
    copy = clone(hasher).set_params(alternate_sign=False)
    assert copy.alternate_sign is False and hasher.alternate_sign is True
    expected = HashingVectorizer(n_features=2**12, ngram_range=(1, 2), norm="l1").transform(CORPUS[:500])
    assert_same_matrix(hasher.transform(CORPUS[:500]), expected)  # no fit needed
    assert_same_matrix(hasher.fit_transform(CORPUS[:500]), expected)
    assert hasher.__sklearn_tags__().requires_fit is False


def test_text_hasher_in_a_pipeline_learns_a_rule_on_words():
    rng = np.random.default_rng(0)
    words = np.array(["good", "great", "bad", "awful", "plain", "table", "chair", "river", "stone", "cloud"])
    documents = [" ".join(rng.choice(words, size=8)) for _ in range(600)]
    labels = np.array([d.count("good") + d.count("great") > d.count("bad") + d.count("awful") for d in documents])
    model = make_pipeline(TextHasher(2**10, norm=None), LogisticRegression(C=10.0, max_iter=1000))
    model.fit(documents[:400], labels[:400])
    assert model.score(documents[400:], labels[400:]) > 0.95


def feature_hasher_reference(frame, n_features, alternate_sign=True):
    rows = [[f"{name}={value}" for name, value in zip(frame.columns, row)] for row in frame.itertuples(index=False)]
    return FeatureHasher(n_features, input_type="string", alternate_sign=alternate_sign).transform(rows)


def categorical_frame(n_rows=20_000, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "user": np.char.add("u", rng.integers(0, 50_000, n_rows).astype(str)),  # many levels
            "city": pd.Categorical(rng.choice(["Paris", "Zürich", "東京", "São Paulo"], n_rows)),
            "zip": rng.integers(-5, 100_000, n_rows),  # integers, written as str writes them
            "empty": np.full(n_rows, ""),
        }
    )


@pytest.mark.parametrize("alternate_sign", [True, False])
def test_hash_columns_equals_feature_hasher_on_column_equals_value_strings(alternate_sign):
    frame = categorical_frame()
    ours = hash_columns(frame, 2**12, alternate_sign=alternate_sign)
    assert_same_matrix(ours, feature_hasher_reference(frame, 2**12, alternate_sign))
    assert ours.shape == (20_000, 2**12) and np.abs(ours.sum(axis=1)).max() <= 4
    as_table = pa.Table.from_pandas(frame, preserve_index=False)
    as_dict = {name: frame[name].tolist() for name in frame.columns}
    for columns in (as_table, as_dict):
        assert_same_matrix(hash_columns(columns, 2**12, alternate_sign=alternate_sign), ours)


def test_hash_columns_normalizes_when_asked():
    frame = categorical_frame(2000)
    ours = hash_columns(frame, 256, norm="l2")
    expected = normalize(feature_hasher_reference(frame, 256), norm="l2")
    assert_same_matrix(ours, sp.csr_matrix(expected))


@pytest.mark.parametrize(
    "columns, error, message",
    [
        ({"a": ["x", "y", None]}, ValueError, r"column 'a', row 2 is missing"),
        ({"a": ["x", "y"], "b": pd.Series([1, None], dtype="Int64")}, ValueError, r"column 'b', row 1 is missing"),
        ({"a": ["x", 3, "y"]}, TypeError, r"column 'a', row 1 is a int \(3\), but the first item is a str"),
        ({"a": [1.5, 2.5]}, TypeError, "column 'a' holds double values: hash_columns hashes strings and integers"),
        ({"a": [True, False]}, TypeError, "column 'a' holds bool values"),
        ({"a": ["x", "y"], "b": ["z"]}, ValueError, "column 'b' has 1 rows, column 'a' has 2"),
        ({}, ValueError, "columns has no column to hash"),
        ([["a", "b"]], TypeError, "columns must be a pandas DataFrame, a pyarrow Table or a mapping"),
    ],
)
def test_bad_columns_are_errors_naming_the_column_and_row(columns, error, message):
    with pytest.raises(error, match=message):
        hash_columns(columns, 64)


def test_rows_hashed_in_blocks_are_the_same_rows(monkeypatch):
    import descend.text

    expected = hash_texts(CORPUS, 2**16, ngram_range=(1, 2))
    # A bound of 620,000 entries in 4 blocks, 2 for the columns' 240,000, each of several chunks (2**16 or more).
    monkeypatch.setattr(descend.text, "BLOCK_ENTRIES", 160_000)
    assert_same_matrix(hash_texts(CORPUS, 2**16, ngram_range=(1, 2)), expected)
    frame = categorical_frame(60_000)
    assert_same_matrix(hash_columns(frame, 2**12), feature_hasher_reference(frame, 2**12))
