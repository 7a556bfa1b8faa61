#!/usr/bin/python3
"""Make the drift goldens: samples as CSV and the statistics scipy computes.

Run with Debian's python3 (numpy, scipy): /usr/bin/python3 make_golden.py
from this directory. Writes reference.csv, current.csv, golden.json,
iris_shifted.csv and iris.jsonl. Everything is seeded, so reruns give the
same files.

Binning mirrors berth's drift package: 20 equal-frequency bins from
numpy.quantile (method="linear") of the reference at i/20, duplicate edges
dropped, plus an underflow and an overflow bin; a value x goes to
searchsorted(edges, x, "right"), clamped so the last edge closes the last
bin, and to the overflow bin above it.
"""
import csv
import json
import math

import numpy as np
import scipy
from scipy import stats
from scipy.spatial.distance import jensenshannon

BINS = 20
EPS = 1e-4  # PSI: zero proportions are replaced by this
NUMERIC = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
SPECIES = ["setosa", "versicolor", "virginica"]


def sample(rng, n, species_p, petal_scale):
    cols = {
        "sepal_length": rng.normal(5.84, 0.83, n),
        "sepal_width": rng.normal(3.06, 0.44, n),
        "petal_length": rng.normal(3.76, 1.76, n) * petal_scale,
        "petal_width": np.abs(rng.normal(1.2, 0.76, n)),
    }
    cols = {k: np.round(v, 2) for k, v in cols.items()}
    cols["species"] = rng.choice(SPECIES, size=n, p=species_p)
    return cols


def write_csv(path, cols, n):
    names = list(cols)
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(names)
        for i in range(n):
            w.writerow([repr(float(cols[c][i])) if c != "species" else cols[c][i] for c in names])


def edges_of(x):
    q = np.arange(BINS + 1) / BINS
    return np.unique(np.quantile(x, q))


def binned(edges, x):
    b = max(len(edges) - 1, 1)
    idx = np.searchsorted(edges, x, side="right")
    idx = np.minimum(idx, b)
    idx[x > edges[-1]] = b + 1
    idx[x < edges[0]] = 0
    return idx, np.bincount(idx, minlength=b + 2)


def psi(r, c):
    p, q = r / r.sum(), c / c.sum()
    p = np.where(p == 0, EPS, p)
    q = np.where(q == 0, EPS, q)
    return float(np.sum((q - p) * np.log(q / p)))


def main():
    rng = np.random.default_rng(20261128)
    n, m = 600, 400
    ref = sample(rng, n, [0.34, 0.33, 0.33], 1.0)
    cur = sample(rng, m, [0.2, 0.3, 0.5], 1.3)
    write_csv("reference.csv", ref, n)
    write_csv("current.csv", cur, m)

    out = {"versions": {"numpy": np.__version__, "scipy": scipy.__version__}, "n": n, "m": m, "features": {}}
    for name in NUMERIC:
        e = edges_of(ref[name])
        ri, rc = binned(e, ref[name])
        ci, cc = binned(e, cur[name])
        d = float(np.max(np.abs(np.cumsum(rc) / n - np.cumsum(cc) / m)))
        en = n * m / (n + m)
        kb = stats.ks_2samp(ri, ci)  # the binned representation
        kr = stats.ks_2samp(ref[name], cur[name])  # the raw samples
        out["features"][name] = {
            "kind": "numeric",
            "edges": e.tolist(),
            "reference_counts": rc.tolist(),
            "current_counts": cc.tolist(),
            "psi": psi(rc, cc),
            "ks_statistic": d,
            "ks_pvalue": float(stats.kstwobign.sf(math.sqrt(en) * d)),
            "ks_2samp_binned_statistic": float(kb.statistic),
            "ks_2samp_binned_pvalue": float(kb.pvalue),
            "ks_2samp_raw_statistic": float(kr.statistic),
            "ks_2samp_raw_pvalue": float(kr.pvalue),
            "js_distance": float(jensenshannon(rc, cc, base=2)),
            "mean": float(np.mean(ref[name])),
            "variance": float(np.var(ref[name])),
        }

    rv, rcnt = np.unique(ref["species"], return_counts=True)
    order = sorted(range(len(rv)), key=lambda i: (-rcnt[i], rv[i]))
    cats = [str(rv[i]) for i in order]
    rc = np.array([int(np.sum(ref["species"] == c)) for c in cats])
    cc = np.array([int(np.sum(cur["species"] == c)) for c in cats])
    chi2, p, dof, _ = stats.chi2_contingency(np.array([rc, cc]), correction=False)
    gof = stats.chisquare(cc, f_exp=rc / n * m)
    out["features"]["species"] = {
        "kind": "categorical",
        "categories": cats,
        "reference_counts": rc.tolist(),
        "current_counts": cc.tolist(),
        "psi": psi(rc, cc),
        "js_distance": float(jensenshannon(rc, cc, base=2)),
        "chi2": float(chi2),
        "chi2_pvalue": float(p),
        "chi2_dof": int(dof),
        "chisquare_gof_statistic": float(gof.statistic),
        "chisquare_gof_pvalue": float(gof.pvalue),
    }
    with open("golden.json", "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")

    # iris with petal_length x 1.3, and iris as JSON Lines, for the CLI tests
    with open("../data/iris.csv") as f:
        rows = list(csv.DictReader(f))
    with open("iris_shifted.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        for r in rows:
            r = dict(r)
            r["petal_length"] = repr(round(float(r["petal_length"]) * 1.3, 4))
            w.writerow(r)
    with open("iris.jsonl", "w") as f:
        for r in rows:
            f.write(json.dumps({k: float(v) if k != "target" else int(v) for k, v in r.items()}) + "\n")


if __name__ == "__main__":
    main()
