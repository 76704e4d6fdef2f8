"""Parse the common `dbtest [run|unit|integration|bench]` command lines
without typer.

Importing typer and turning `run_command`'s signature into click options
costs ~45 ms, more than the rest of the CLI's start-up, and on a 2-core
machine it competes with the workers starting at the same time. This parser
reads well-formed command lines itself and declines (returns None) anything
else: `--help`, an unknown option, a missing or invalid value, combined
short flags. typer then handles the command line as always, with its own
messages. `OPTIONS` mirrors `run_cmd.run_command`; a test checks that they
agree, flag by flag.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dbtest.cli.run_exec import RunArgs


@dataclass(frozen=True)
class Opt:
    """One option of `run_command`: its parameter, flags and value type."""

    name: str
    flags: tuple[str, ...]
    kind: type = str  # bool for flags
    multiple: bool = False
    min: float | None = None


OPTIONS: tuple[Opt, ...] = (
    Opt("pattern", ("-k", "--pattern")),
    Opt("tags", ("--tags",), multiple=True),
    Opt("expr", ("-E", "--filter")),
    Opt("workers", ("-j", "--workers"), int, min=1),
    Opt("async_concurrency", ("--async-concurrency",), int, min=1),
    Opt("timeout", ("--timeout",), float, min=0.0),
    Opt("retries", ("--retries",), int, min=0),
    Opt("fail_fast", ("-x", "--fail-fast"), bool),
    Opt("max_fail", ("--max-fail",), int, min=1),
    Opt("in_process", ("--in-process",), bool),
    Opt("no_capture", ("-s", "--no-capture"), bool),
    Opt("verbose", ("-v", "--verbose"), bool),
    Opt("quiet", ("-q", "--quiet"), bool),
    Opt("durations", ("--durations",), int, min=0),
    Opt("last_failed", ("--lf", "--last-failed"), bool),
    Opt("failed_first", ("--ff", "--failed-first"), bool),
    Opt("headless", ("--headless",), bool),
    Opt("fmt", ("--format",)),
    Opt("output", ("--output", "-o")),
    Opt("json_path", ("--json",)),
    Opt("markdown_path", ("--markdown",)),
    Opt("junit_path", ("--junit",)),
    Opt("github_summary", ("--github-summary",), bool),
    Opt("partition", ("--partition",)),
    Opt("bench_time", ("--bench-time",), float, min=0.0),
    Opt("bench_min_samples", ("--bench-min-samples",), int, min=1),
    Opt("bench_warmup", ("--bench-warmup",), float, min=0.0),
    Opt("bench_processes", ("--bench-processes",), int, min=1),
    Opt("quick", ("--quick",), bool),
    Opt("bench_memory", ("--bench-memory",), bool),
    Opt("save_baseline", ("--save-baseline",)),
    Opt("compare", ("--compare",)),
    Opt("fail_on_regression", ("--fail-on-regression",)),
)

_BY_FLAG = {flag: opt for opt in OPTIONS for flag in opt.flags}


def _convert(opt: Opt, text: str) -> Any:
    """The option's value, or None when typer should judge it."""
    if opt.kind is str:
        return text
    try:
        value = opt.kind(text)
    except ValueError:
        return None
    if opt.min is not None and value < opt.min:
        return None
    return value


def parse(argv: list[str]) -> RunArgs | None:
    """The options of a well-formed command line, or None to leave it to typer."""
    values: dict[str, Any] = {}
    paths: list[str] = []
    i = 0
    only_paths = False
    while i < len(argv):
        arg = argv[i]
        i += 1
        if only_paths or arg == "-" or not arg.startswith("-"):
            paths.append(arg)
            continue
        if arg == "--":
            only_paths = True
            continue
        flag, eq, text = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        opt = _BY_FLAG.get(flag)
        if opt is None and not arg.startswith("--") and arg[:2] in _BY_FLAG:
            # A short option with its value attached: `-j2`, `-kname`.
            opt, eq, text = _BY_FLAG[arg[:2]], "=", arg[2:]
        if opt is None:
            return None  # unknown, --help, -xq...: typer decides
        if opt.kind is bool:
            if eq:
                return None
            values[opt.name] = True
            continue
        if not eq:
            if i >= len(argv) or argv[i] in _BY_FLAG:
                return None  # no value
            text = argv[i]
            i += 1
        value = _convert(opt, text)
        if value is None:
            return None
        if opt.multiple:
            values.setdefault(opt.name, []).append(value)
        else:
            values[opt.name] = value
    return RunArgs(paths=paths or None, **values)
