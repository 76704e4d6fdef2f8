"""Reference values for the engine's paired statistics, from SciPy.

Run once (SciPy is not a dependency of dbtest; the dev venv has it):

    .venv/bin/python perf/paired_reference.py

and the printed numbers go into rust_core/engine/tests/bench_paired.rs. The
data are closed-form, so the Rust test rebuilds them without an RNG.
"""

import math

import numpy as np
from scipy import stats


def cases():
    """name -> log-ratios, as bench_paired.rs builds them."""
    return {
        # A small shift with no ties.
        "shift": [0.003 + 0.01 * math.sin(1.7 * i) for i in range(40)],
        # No shift: symmetric around 0.
        "none": [0.01 * math.sin(2.3 * i + 0.5) for i in range(61)],
        # A coarse clock: values rounded, many ties, some exact zeros.
        "ties": [round(3 * math.sin(0.9 * i) + 0.6) / 1000 for i in range(50)],
        # A large effect over many rounds.
        "big": [0.69 + 0.02 * math.cos(0.37 * i) for i in range(300)],
    }


def main():
    for name, d in cases().items():
        r = stats.wilcoxon(d, zero_method="wilcox", correction=False, method="approx")
        print(f"{name}: statistic={r.statistic!r} pvalue={r.pvalue!r}")
    # Percentile bootstrap of the median of one group (the two-stage
    # bootstrap with a single process reduces to it): SciPy's interval, to
    # compare within Monte Carlo error (the RNGs differ).
    xs = np.array([1e-5 * (1 + 0.05 * math.sin(0.77 * i) + 0.01 * (i % 7)) for i in range(200)])
    b = stats.bootstrap(
        (xs,), np.median, n_resamples=20000, method="percentile", random_state=1
    ).confidence_interval
    print(f"bootstrap median: low={b.low!r} high={b.high!r}")


if __name__ == "__main__":
    main()
