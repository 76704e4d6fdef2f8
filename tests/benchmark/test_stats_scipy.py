"""The engine's statistics (through `dbtest._core`) against NumPy and SciPy."""

import json

import numpy as np
import pytest
from scipy import stats as sps

from dbtest import _core
from dbtest._core import _testing


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def test_descriptive_statistics_match_numpy(rng):
    xs = rng.lognormal(mean=-11, sigma=0.3, size=501)
    s = _testing.bench_stats(xs.tolist(), 17)
    assert s["mean"] == pytest.approx(xs.mean(), rel=1e-12)
    assert s["median"] == pytest.approx(np.median(xs), rel=1e-12)
    assert s["stddev"] == pytest.approx(xs.std(ddof=1), rel=1e-10)
    q1, q3, p95, p99 = np.percentile(xs, [25, 75, 95, 99])
    assert (s["q1"], s["q3"]) == (pytest.approx(q1, rel=1e-12), pytest.approx(q3, rel=1e-12))
    assert s["iqr"] == pytest.approx(q3 - q1, rel=1e-10)
    assert s["p95"] == pytest.approx(p95, rel=1e-12) and s["p99"] == pytest.approx(p99, rel=1e-12)
    assert s["ops_per_sec"] == pytest.approx(1 / np.median(xs))
    assert (s["samples"], s["calls_per_sample"]) == (501, 17)
    iqr = q3 - q1
    mild = ((xs > q3 + 1.5 * iqr) & (xs <= q3 + 3 * iqr)) | (
        (xs < q1 - 1.5 * iqr) & (xs >= q1 - 3 * iqr)
    )
    severe = (xs > q3 + 3 * iqr) | (xs < q1 - 3 * iqr)
    assert (s["outliers_mild"], s["outliers_severe"]) == (int(mild.sum()), int(severe.sum()))


def test_empty_samples_are_a_clear_error():
    with pytest.raises(ValueError, match="at least one sample"):
        _testing.bench_stats([])


@pytest.mark.parametrize("seed", range(6))
def test_mann_whitney_matches_scipy_asymptotic(seed):
    r = np.random.default_rng(seed)
    x = r.normal(10, 2, size=int(r.integers(5, 80)))
    y = r.normal(10.5 + seed * 0.2, 2, size=int(r.integers(5, 80)))
    if seed % 2:  # ties, as a coarse timer produces
        x, y = np.round(x), np.round(y)
    u, p = _testing.bench_mann_whitney(x.tolist(), y.tolist())
    want = sps.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic")
    assert u == pytest.approx(want.statistic, rel=1e-12)
    assert p == pytest.approx(want.pvalue, rel=1e-8, abs=1e-300)


@pytest.mark.parametrize("seed", range(6))
def test_welch_matches_scipy(seed):
    r = np.random.default_rng(100 + seed)
    x = r.normal(5, 1 + seed, size=int(r.integers(3, 60)))
    y = r.normal(5.5, 0.5, size=int(r.integers(3, 60)))
    t, p = _testing.bench_welch(x.tolist(), y.tolist())
    want = sps.ttest_ind(x, y, equal_var=False)
    assert t == pytest.approx(want.statistic, rel=1e-10)
    assert p == pytest.approx(want.pvalue, rel=1e-7)


@pytest.mark.parametrize("n", [25, 200])
def test_bootstrap_ci_of_median_agrees_with_scipy(rng, n):
    xs = rng.gamma(shape=4.0, scale=1e-6, size=n)
    s = _testing.bench_stats(xs.tolist())
    ref = sps.bootstrap(
        (xs,), np.median, n_resamples=5000, method="percentile", random_state=7
    ).confidence_interval
    width = ref.high - ref.low
    # Different random resamples: the ends agree to a fraction of the width.
    assert abs(s["ci_low"] - ref.low) < 0.2 * width
    assert abs(s["ci_high"] - ref.high) < 0.2 * width
    assert s["ci_low"] <= s["median"] <= s["ci_high"]


def test_speedup_interval_agrees_with_scipy_two_sample_bootstrap(rng):
    base = rng.normal(20e-6, 1e-6, size=120)
    cur = rng.normal(10e-6, 0.6e-6, size=90)
    ratio, lo, hi = _testing.bench_speedup(base.tolist(), cur.tolist())
    assert ratio == pytest.approx(np.median(base) / np.median(cur))

    def stat(a, b):
        return np.median(a) / np.median(b)

    ref = sps.bootstrap(
        (base, cur), stat, n_resamples=5000, method="percentile", random_state=3
    ).confidence_interval
    width = ref.high - ref.low
    assert abs(lo - ref.low) < 0.2 * width and abs(hi - ref.high) < 0.2 * width


def _entries(groups):
    return [
        {"id": f"b.py::g::{name}", "path": "b.py", "group": "g", "name": name, "samples": list(s)}
        for name, s in groups.items()
    ]


def test_compare_gate_and_baseline_files(tmp_path, rng):
    base = {
        "big": rng.normal(1e-5, 1e-8, 60),
        "small": rng.normal(1e-5, 1e-9, 60),
        "noisy": rng.lognormal(np.log(1e-5), 0.8, 8),
    }
    cur = {
        "big": rng.normal(1.3e-5, 1e-8, 60),  # significant and +30%: fails
        "small": rng.normal(1.01e-5, 1e-9, 60),  # significant, +1%: passes
        "noisy": base["noisy"] * 1.4,  # +40% within noise: passes
    }
    machine = json.dumps({"platform": "test", "python": "3.x", "cpu_count": 2})
    path = _testing.bench_save_baseline(
        str(tmp_path), "main", json.dumps(_entries(base)), machine, "deadbeef"
    )
    assert path.endswith(".dbtest/benchmarks/main.json")
    saved = _core.bench_load_baseline(str(tmp_path), "main")
    assert json.loads(saved)["commit"] == "deadbeef"
    report = json.loads(_testing.bench_compare(json.dumps(_entries(cur)), saved, 0.05))
    assert report["regressions"] == ["b.py::g::big"]
    status = {e["id"].split("::")[-1]: e["status"] for e in report["entries"]}
    assert status == {"big": "slower", "small": "slower", "noisy": "unchanged"}
    assert _core.bench_parse_threshold("5%") == pytest.approx(0.05)
    with pytest.raises(ValueError, match="no saved baseline"):
        _core.bench_load_baseline(str(tmp_path), "other")
    with pytest.raises(ValueError, match="invalid baseline name"):
        _testing.bench_save_baseline(str(tmp_path), "../x", "[]", machine, None)
    with pytest.raises(ValueError, match="invalid regression threshold"):
        _core.bench_parse_threshold("lots")


def test_analyze_end_to_end_from_the_runner_messages():
    r = np.random.default_rng(9)
    raw = [
        {
            "id": "b.py::g::base",
            "path": "b.py",
            "group": "g",
            "name": "base",
            "is_baseline": True,
            "samples": r.normal(2e-6, 1e-8, 50).tolist(),
            "calls_per_sample": 100,
            "error": None,
            "memory_peak": None,
            "params": None,
            "ev": "bench_result",
        },
        {
            "id": "b.py::g::fast",
            "path": "b.py",
            "group": "g",
            "name": "fast",
            "is_baseline": False,
            "samples": r.normal(1e-6, 1e-8, 50).tolist(),
            "calls_per_sample": 200,
            "error": None,
            "memory_peak": 64,
            "params": None,
            "ev": "bench_result",
        },
    ]
    out = json.loads(_testing.bench_analyze(json.dumps(raw)))
    assert out[1]["comparison"]["against"] == "b.py::g::base"
    assert out[1]["comparison"]["speedup"] == pytest.approx(2.0, rel=0.02)
    assert out[1]["comparison"]["significant"] is True
    assert out[1]["memory_peak"] == 64 and out[1]["stats"]["calls_per_sample"] == 200
    with pytest.raises(ValueError, match="invalid benchmark results"):
        _testing.bench_analyze("{")


@pytest.mark.parametrize("seed", range(6))
def test_wilcoxon_matches_scipy_approx(seed):
    r = np.random.default_rng(200 + seed)
    d = r.normal(0.002 * seed, 0.01, size=int(r.integers(10, 400)))
    if seed % 2:  # a coarse clock: ties and exact zeros
        d = np.round(d, 3)
    statistic, p = _testing.bench_wilcoxon(d.tolist())
    want = sps.wilcoxon(d, zero_method="wilcox", correction=False, method="approx")
    assert statistic == pytest.approx(want.statistic, rel=1e-12)
    assert p == pytest.approx(want.pvalue, rel=1e-8, abs=1e-300)
