"""Every option of `dbtest run|unit|integration|bench`, `list` and `tui`, declared once.

From `OPTIONS` come the typer commands (`run_cmd`, `list_cmd`, `tui_cmd`),
the typer-free parser of common command lines and the prewarm lookup
(`run_args`), and the run request (`dbtest.runner.RunOptions.to_request`):
an option with `request=True` is the field of the same name of the
engine's `RunRequest` (rust_core/engine/src/session.rs), which a test
checks name by name and type by type. Adding a run option is one row here,
the field in `RunRequest`, and its test (docs/architecture.md).

This module is imported before the workers are started: it imports only the
engine's binding, which `dbtest.cli` has loaded already (for the one list of
report formats).
"""

from __future__ import annotations

from dbtest import ids as id_grammar
from dbtest._core import REPORT_FORMATS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

# The commands that run tests; each takes every option marked RUN.
RUN = ("run", "unit", "integration", "bench")
LIST = ("list",)
TUI = ("tui",)


class Option:
    """One option: its parameter name, flags, value type and where it goes.

    - `kind`: `str`, `int`, `float` or `bool` (a flag); `multiple`: may be
      given more than once (a list of strings).
    - `bare`: the value of the flag given without one (`--cov` is
      `--cov=`); a value then needs `=` (`--cov=src`), so a path after the
      flag stays a path.
    - `min`: the smallest value accepted while parsing; `above`: the value
      must be greater (checked with a one-line error once parsed).
    - `config`: the `[tool.dbtest]` key the option overrides, if any.
    - `flag_value`: the option's value may be left out, and then is this
      (`--changed` is `--changed HEAD`; see `with_flag_values`).
    - `request`: the engine's `RunRequest` has a field of this name and type.
    - `commands`: which commands take it.
    """

    __slots__ = (
        "name",
        "flags",
        "kind",
        "default",
        "multiple",
        "bare",
        "min",
        "above",
        "help",
        "config",
        "request",
        "commands",
        "flag_value",
    )

    def __init__(
        self,
        name: str,
        flags: tuple[str, ...],
        kind: type = str,
        *,
        help: str,
        default: Any = None,
        multiple: bool = False,
        bare: str | None = None,
        min: float | None = None,
        above: float | None = None,
        config: str | None = None,
        request: bool = False,
        commands: tuple[str, ...] = RUN,
        flag_value: str | None = None,
    ) -> None:
        self.name = name
        self.flags = flags
        self.kind = kind
        self.default = False if kind is bool else default
        self.multiple = multiple
        self.bare = bare
        self.min = min
        self.above = above
        self.help = help
        self.config = config
        self.request = request
        self.commands = commands
        self.flag_value = flag_value

    def __repr__(self) -> str:
        return f"Option({self.name!r}, {self.flags!r})"

    @property
    def annotation(self) -> Any:
        """The parameter's type as typer reads it."""
        if self.kind is bool:
            return bool
        if self.multiple:
            return list[str] | None
        return self.kind if self.default is not None else self.kind | None


# In the order `--help` lists them.
OPTIONS: tuple[Option, ...] = (
    # Selecting.
    Option(
        "pattern",
        ("-k", "--pattern"),
        help="Glob (* and ?) or substring of the test id.",
        request=True,
        commands=RUN + LIST + TUI,
    ),
    Option(
        "tags",
        ("--tags",),
        multiple=True,
        help="Tests with any of these tags (a,b).",
        request=True,
        commands=RUN + LIST + TUI,
    ),
    Option(
        "expr",
        ("-E", "--filter"),
        help="Filter expression, e.g. 'tag(db) & not test(~slow)'.",
        request=True,
        commands=RUN + LIST + TUI,
    ),
    Option(
        "markexpr",
        ("-m", "--marks"),
        help="pytest mark expression, e.g. 'not slow'.",
        request=True,
        commands=RUN + LIST,
    ),
    # Running.
    Option(
        "workers",
        ("-j", "--workers"),
        int,
        min=1,
        help="Worker processes.",
        config="workers",
        request=True,
        commands=RUN + TUI,
    ),
    Option(
        "async_concurrency",
        ("--async-concurrency",),
        int,
        min=1,
        help="Async units per worker.",
        config="async-concurrency",
        request=True,
    ),
    Option(
        "timeout",
        ("--timeout",),
        float,
        min=0.0,
        above=0.0,
        help="Per-test timeout, s.",
        config="timeout",
        request=True,
    ),
    Option(
        "setup_timeout",
        ("--setup-timeout",),
        float,
        min=0.0,
        above=0.0,
        help="Budget of imports, hooks, wide fixtures, s.",
        config="setup-timeout",
        request=True,
    ),
    Option(
        "slow_timeout",
        ("--slow-timeout",),
        float,
        min=0.0,
        above=0.0,
        help="Announce SLOW after S s.",
        config="slow-timeout",
        request=True,
    ),
    Option(
        "run_timeout",
        ("--run-timeout",),
        float,
        min=0.0,
        above=0.0,
        help="Deadline of the whole run, s.",
        config="run-timeout",
        request=True,
    ),
    Option(
        "retries",
        ("--retries",),
        int,
        min=0,
        help="Re-run failures.",
        config="retries",
        request=True,
    ),
    Option(
        "fail_fast",
        ("-x", "--fail-fast"),
        bool,
        help="Stop at the first failure.",
        config="fail-fast",
        request=True,
    ),
    Option(
        "max_fail",
        ("--max-fail",),
        int,
        min=1,
        help="Stop after N failures.",
        config="max-fail",
        request=True,
    ),
    Option("in_process", ("--in-process",), bool, help="Run in this process."),
    Option("no_capture", ("-s", "--no-capture"), bool, help="Let output through.", request=True),
    # Output.
    Option("verbose", ("-v", "--verbose"), bool, help="List every test."),
    Option("quiet", ("-q", "--quiet"), bool, help="Only the summary."),
    Option("durations", ("--durations",), int, min=0, help="Show N slowest.", config="durations"),
    Option(
        "last_failed", ("--lf", "--last-failed"), bool, help="Only last failures.", request=True
    ),
    Option("failed_first", ("--ff", "--failed-first"), bool, help="Failures first.", request=True),
    Option(
        "changed",
        ("--changed",),
        help="Only tests the changes since REF affect (default HEAD: uncommitted ones).",
        request=True,
        commands=RUN + LIST,
        flag_value="HEAD",
    ),
    Option(
        "doctest_modules",
        ("--doctest-modules",),
        bool,
        help="Also run the docstring examples of every module.",
        config="doctest-modules",
        request=True,
        commands=RUN + LIST,
    ),
    Option("shuffle", ("--shuffle",), bool, help="Random order (a fresh seed).", request=True),
    Option("seed", ("--seed",), help="Random order from seed N, or last.", request=True),
    Option("watch", ("--watch",), bool, help="Run, then rerun what each change affects."),
    Option(
        "watch_delay",
        ("--watch-delay",),
        int,
        default=200,
        min=0,
        help="Quiet ms after a change before the rerun.",
        commands=RUN + TUI,
    ),
    Option("headless", ("--headless",), bool, help="Plain output for CI."),
    Option("fmt", ("--format",), default="console", help="|".join(REPORT_FORMATS)),
    Option("output", ("--output", "-o"), help="Write --format here."),
    Option("json_path", ("--json",), help="Also write JSON here."),
    Option("markdown_path", ("--markdown",), help="Also write Markdown."),
    Option("junit_path", ("--junit",), help="Also write JUnit XML."),
    Option(
        "github_summary",
        ("--github-summary",),
        bool,
        help="Append Markdown to $GITHUB_STEP_SUMMARY.",
    ),
    Option("partition", ("--partition",), help="slice:M/N, hash:M/N or auto.", request=True),
    # Coverage (coverage.py, the `dbtest[cov]` extra): measured in every
    # worker, combined and reported by the CLI (docs/coverage.md).
    Option(
        "cov",
        ("--cov",),
        multiple=True,
        bare="",
        help="Measure coverage of SOURCE (--cov=SOURCE); bare: the project root.",
        commands=RUN + TUI,
    ),
    Option(
        "cov_report",
        ("--cov-report",),
        multiple=True,
        help="term|term-missing|html[:DIR]|xml[:FILE]|json[:FILE]|lcov[:FILE] (default term).",
        commands=RUN + TUI,
    ),
    Option("cov_branch", ("--cov-branch",), bool, help="Measure branches too.", commands=RUN + TUI),
    Option(
        "cov_fail_under",
        ("--cov-fail-under",),
        float,
        min=0.0,
        help="Fail (exit 1) when the total coverage is under N %.",
    ),
    Option(
        "cov_context",
        ("--cov-context",),
        help="test: record which tests ran each line (shown in the HTML report).",
        commands=RUN + TUI,
    ),
    # Benchmarks: how entries are measured, in `dbtest tui` too (each run).
    Option(
        "bench_time",
        ("--bench-time",),
        float,
        min=0.0,
        above=0.0,
        help="Seconds of measurement per entry.",
        config="bench-time",
        request=True,
        commands=RUN + TUI,
    ),
    Option(
        "bench_min_samples",
        ("--bench-min-samples",),
        int,
        min=1,
        help="Samples per entry at least.",
        config="bench-min-samples",
        request=True,
        commands=RUN + TUI,
    ),
    Option(
        "bench_warmup",
        ("--bench-warmup",),
        float,
        min=0.0,
        help="Seconds of warm-up per entry.",
        config="bench-warmup",
        request=True,
        commands=RUN + TUI,
    ),
    Option(
        "bench_processes",
        ("--bench-processes",),
        int,
        min=1,
        help="Fresh processes per benchmark group.",
        request=True,
        commands=RUN + TUI,
    ),
    Option(
        "bench_equivalence",
        ("--bench-equivalence",),
        help="e.g. 2%: within this of the baseline, the same (default 2%; instructions 0.5%).",
        request=True,
        commands=RUN + TUI,
    ),
    Option(
        "quick",
        ("--quick",),
        bool,
        help="Short benchmark preset.",
        request=True,
        commands=RUN + TUI,
    ),
    Option(
        "bench_memory",
        ("--bench-memory",),
        bool,
        help="Peak memory per call.",
        request=True,
        commands=RUN + TUI,
    ),
    Option(
        "instrument",
        ("--instrument",),
        help="time, or instructions (counted by valgrind's callgrind).",
        request=True,
        commands=RUN + TUI,
    ),
    Option("save_baseline", ("--save-baseline",), help="Save as NAME."),
    Option("compare", ("--compare",), help="Compare with baseline NAME."),
    Option(
        "fail_on_regression", ("--fail-on-regression",), help="e.g. 5%: fail on a real slowdown."
    ),
    # `dbtest list` only.
    Option("list_format", ("--format",), default="text", help="text or json.", commands=LIST),
    Option("bench", ("--bench",), bool, help="Only benchmark entries.", commands=LIST),
    Option("tests", ("--tests",), bool, help="Only tests (no benchmarks).", commands=LIST),
    Option(
        "full_parse",
        ("--full-parse",),
        bool,
        help="Also report syntax errors inside function bodies.",
        commands=LIST,
    ),
    # `dbtest tui` only.
    Option(
        "fresh",
        ("--fresh",),
        bool,
        help="Ignore the saved session (.dbtest/tui.json).",
        commands=TUI,
    ),
)


def with_bare_values(command: str, argv: list[str]) -> list[str]:
    """`argv` with each flag that has a `bare` value and was given without
    one spelled `--flag=VALUE`, as typer (click) cannot take an optional value."""
    bare = {f: o.bare for o in options_for(command) if o.bare is not None for f in o.flags}
    if not bare:
        return argv
    out: list[str] = []
    for i, arg in enumerate(argv):
        if arg == "--":
            return out + argv[i:]
        out.append(f"{arg}={bare[arg]}" if arg in bare else arg)
    return out


def options_for(command: str) -> tuple[Option, ...]:
    """The options `command` takes, in `--help` order."""
    return tuple(o for o in OPTIONS if command in o.commands)


def with_flag_values(command: str, argv: list[str]) -> list[str]:
    """`argv` with each option whose value may be left out (`flag_value`)
    written `--flag=VALUE`, for typer and `run_args` alike.

    The next word is the value unless there is none, it is an option, or it
    names an existing file, directory or test id (`dbtest --changed tests/`
    is a path); `--changed=REF` is never ambiguous.
    """
    import os

    by_flag = {f: o for o in options_for(command) if o.flag_value is not None for f in o.flags}
    if not by_flag:
        return argv
    out: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--":
            out.extend(argv[i - 1 :])
            break
        opt = by_flag.get(arg)
        if opt is None:
            out.append(arg)
            continue
        nxt = argv[i] if i < len(argv) else None
        if nxt is None or nxt.startswith("-") or os.path.exists(id_grammar.path_of(nxt)):
            value = opt.flag_value
        else:
            value, i = nxt, i + 1
        out.append(f"{arg}={value}")
    return out


def request_options() -> Iterator[Option]:
    """The options that are fields of the engine's `RunRequest`."""
    return (o for o in OPTIONS if o.request)


class Values:
    """The options of one command line by name (`values.workers`), each at
    its default unless given; `paths` are the positional arguments."""

    def __init__(self, command: str, paths: list[str] | None = None, **given: Any) -> None:
        self.command = command
        self.paths = paths
        for o in options_for(command):
            setattr(self, o.name, given.pop(o.name, o.default))
        if given:
            raise TypeError(f"dbtest {command} has no option {', '.join(sorted(given))}")

    def as_dict(self) -> dict[str, Any]:
        """Every option's value by name, and `paths`."""
        return {k: v for k, v in vars(self).items() if k != "command"}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Values) and vars(self) == vars(other)

    def __repr__(self) -> str:
        given = ", ".join(f"{k}={v!r}" for k, v in self.as_dict().items())
        return f"Values({self.command!r}, {given})"
