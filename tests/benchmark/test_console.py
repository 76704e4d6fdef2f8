"""Console tables: number formatting, ratios, bars, the rendered table."""

from rich.console import Console

from dbtest.benchmark.console import (
    bar,
    format_interval,
    format_ops,
    format_ratio,
    format_time,
    print_results,
    progress_line,
)


def test_time_and_ops_formatting():
    assert format_time(1.234e-7) == "123 ns"
    assert format_time(1.234e-5) == "12.3 µs"
    assert format_time(0.0021) == "2.10 ms"
    assert format_time(3.0) == "3.00 s"
    assert format_time(None) == "-"
    assert format_interval(9.94e-6, 1.04e-5) == "9.94–10.4 µs"
    assert format_interval(9.9e-7, 1.2e-6) == "990 ns–1.20 µs"
    assert format_ops(99_150) == "99.15k" and format_ops(2.5e6) == "2.50M" and format_ops(0) == "-"


def test_ratio_wording_and_bars():
    assert format_ratio(2.31, 2.2, 2.43) == "2.31x faster (2.20–2.43)"
    assert format_ratio(0.5, 0.4, 0.625) == "2.00x slower (1.60–2.50)"
    assert bar(1.0, 1.0, 4) == "████"
    assert bar(0.5, 1.0, 4) == "██"
    assert bar(1 / 8, 1.0, 4) == "▌"
    assert bar(0.0, 1.0) == ""


def _result(name, median, baseline=False, comparison=None, error=None):
    stats = {
        "median": median,
        "ci_low": median * 0.98,
        "ci_high": median * 1.02,
        "ops_per_sec": 1 / median,
    }
    return {
        "id": f"b.py::g::{name}",
        "path": "b.py",
        "group": "g",
        "name": name,
        "is_baseline": baseline,
        "stats": None if error else stats,
        "error": error,
        "comparison": comparison,
    }


def test_table_shows_entries_ratios_significance_and_errors():
    results = [
        _result("json", 2e-5, baseline=True),
        _result(
            "pickle",
            1e-5,
            comparison={
                "speedup": 2.0,
                "ci_low": 1.9,
                "ci_high": 2.1,
                "p_value": 1e-9,
                "significant": True,
            },
        ),
        _result(
            "repr",
            2.02e-5,
            comparison={
                "speedup": 0.99,
                "ci_low": 0.95,
                "ci_high": 1.04,
                "p_value": 0.4,
                "significant": False,
            },
        ),
        _result("broken", 1.0, error="ValueError: boom"),
    ]
    report = {
        "baseline": "main",
        "threshold": 0.05,
        "gate": True,
        "regressions": ["b.py::g::json"],
        "entries": [
            {
                "id": "b.py::g::json",
                "status": "slower",
                "baseline_median": 1e-5,
                "current_median": 2e-5,
                "change": 1.0,
                "regression": True,
                "comparison": {"p_value": 1e-6},
            }
        ],
    }
    console = Console(width=140, record=True)
    print_results(results, report, console=console)
    text = console.export_text()
    assert "2.00x faster (1.90–2.10)" in text
    assert "1.01x slower (0.96–1.05)" in text and "n.s." in text
    assert "baseline" in text and "ValueError: boom" in text
    assert "benchmark errors" in text  # each error in full after the tables
    assert "REGRESSION" in text and "+100.0%" in text
    assert "b.py::g against baseline 'main' (fail above +5%)" in text
    # Without --fail-on-regression there is no gate: no threshold, no REGRESSION.
    ungated = Console(width=140, record=True)
    print_results(results, {**report, "gate": False}, console=ungated)
    plain = ungated.export_text()
    assert "REGRESSION" not in plain and "fail above" not in plain and "slower" in plain
    assert "████████████" in text  # the slowest entry gets the full bar
    narrow = Console(width=80, record=True)
    print_results(results, console=narrow)
    assert "2.00x faster" in narrow.export_text() and "(1.90" not in narrow.export_text()


def test_brackets_in_names_are_not_rich_markup():
    r = _result("batch", 1e-5)
    r["params"] = "n=1"
    r["group"] = "g [dim]"
    report = {
        "baseline": "main",
        "threshold": 0.05,
        "entries": [{"id": "b.py::g::batch[n=1]", "status": "new", "regression": False}],
    }
    console = Console(width=140, record=True)
    print_results([r], report, console=console)
    text = console.export_text()
    assert "batch[n=1]" in text and "g [dim]" in text
    assert text.count("batch[n=1]") == 2


def test_progress_line():
    line = progress_line({"id": "b.py::g::e", "phase": "sampling", "samples": 12})
    assert line == "b.py::g::e: sampling (12 samples)"


def test_a_long_benchmark_error_is_shown_whole_after_the_tables():
    long = "RuntimeError: " + "the service at localhost:5432 refused the connection " * 3
    console = Console(width=100, record=True)
    print_results([_result("fine", 1e-6), _result("down", 1.0, error=long)], console=console)
    text = " ".join(console.export_text().split())
    assert " ".join(f"b.py::g::down: {long}".split()) in text
