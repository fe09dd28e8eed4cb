"""The bounds attacker: the narrowest interval each unknown of a release series can be
put in, by linear programming over everything the releases publish.

Reads a JSON system from standard input: {"unknowns": n, "equations": [[[[i, c], ...],
rhs], ...]}, each equation sum(c * x_i) = rhs, every x_i >= 0. Writes [[lo, hi], ...],
one interval per unknown (hi null where unbounded), to standard output. Used by
crates/appraise-pipeline/tests/publish.rs; needs scipy (HiGHS).
"""

import json
import sys

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix


def main():
    system = json.load(sys.stdin)
    n = system["unknowns"]
    rows, cols, vals, rhs = [], [], [], []
    for r, (terms, b) in enumerate(system["equations"]):
        for i, c in terms:
            rows.append(r)
            cols.append(i)
            vals.append(c)
        rhs.append(b)
    a = coo_matrix((vals, (rows, cols)), shape=(len(rhs), n)).tocsr()
    b = np.array(rhs, dtype=float)
    out = []
    for i in range(n):
        bound = []
        for sign in (1.0, -1.0):
            c = np.zeros(n)
            c[i] = sign
            res = linprog(c, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
            if res.status == 3:
                bound.append(None)
            elif res.status != 0:
                raise SystemExit(f"unknown {i}: {res.message}")
            else:
                bound.append(sign * res.fun)
        out.append(bound)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
