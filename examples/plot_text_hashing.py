"""
Text classification with feature hashing
========================================

:func:`descend.text.hash_texts` turns texts into a sparse matrix without a vocabulary: each word goes to
column :math:`|h(w)| \\bmod n` of a signed 32-bit MurmurHash3 :math:`h`, with the sign of :math:`h` (as
scikit-learn's ``HashingVectorizer``). A linear classifier trains on the sparse rows directly. With few
columns, words collide and accuracy falls; a few thousand columns are enough here.
"""

import matplotlib.pyplot as plt
import numpy as np

from descend import GDClassifier
from descend.text import hash_texts

rng = np.random.default_rng(0)
common = [f"word{i}" for i in range(300)]
sports = ["match", "goal", "team", "score", "season", "coach", "league", "player", "win", "cup"]
finance = ["market", "stock", "bank", "rate", "price", "profit", "fund", "trade", "bond", "share"]


def document(topic_words):
    words = list(rng.choice(common, 12)) + list(rng.choice(topic_words, 2))
    return " ".join(rng.permutation(words))


texts = [document(sports) for _ in range(600)] + [document(finance) for _ in range(600)]
labels = np.array(["sports"] * 600 + ["finance"] * 600)
order = rng.permutation(len(texts))
texts, labels = [texts[i] for i in order], labels[order]
train, test = slice(0, 900), slice(900, None)

columns = [4, 16, 64, 256, 1024, 4096]
accuracies = []
for n_features in columns:
    X = hash_texts(texts, n_features=n_features)
    model = GDClassifier(alpha=0.01, batch_size=32, max_iter=100, tol=1e-4, random_state=0).fit(X[train], labels[train])
    accuracies.append(model.score(X[test], labels[test]))
    print(f"{n_features:5d} columns: accuracy {accuracies[-1]:.3f}")

figure, ax = plt.subplots(figsize=(6.5, 4))
ax.semilogx(columns, accuracies, marker="o")
ax.set_xlabel("hashed columns (n_features)")
ax.set_ylabel("held-out accuracy")
ax.set_title("1200 short texts, two topics: accuracy against hash width")
ax.grid(alpha=0.3)
