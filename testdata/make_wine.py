#!/usr/bin/python3
"""Writes testdata/data/wine.csv: scikit-learn's copy of the UCI wine data set
(178 wines, 13 chemical measurements, 3 cultivars), as Debian's python3-sklearn
ships it (sklearn.datasets.load_wine, no download). The drift accuracy
measurements (bench/cmd/driftaccuracy, docs/drift-accuracy.md) read it.

Run from the repository root with Debian's interpreter:
    /usr/bin/python3 testdata/make_wine.py
Deterministic: floats are written with repr, which reads back bit-exactly.
"""
import os

from sklearn.datasets import load_wine


def main():
    wine = load_wine()
    names = [n.replace("/", "_").replace(" ", "_") for n in wine.feature_names]
    lines = [",".join(names + ["target"])]
    for row, target in zip(wine.data, wine.target):
        lines.append(",".join([repr(float(v)) for v in row] + [str(int(target))]))
    path = os.path.join("testdata", "data", "wine.csv")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    # read it back: the values must round-trip exactly
    with open(path, encoding="utf-8") as f:
        rows = f.read().splitlines()[1:]
    for line, row in zip(rows, wine.data):
        assert [float(v) for v in line.split(",")[:-1]] == [float(v) for v in row]


if __name__ == "__main__":
    main()
