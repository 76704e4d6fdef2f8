"""Parse the common `dbtest [run|unit|integration|bench|list]` command lines
without typer, from the option table (`dbtest.cli.options`).

Importing typer and turning a command's signature into click options costs
~45 ms, more than the rest of the CLI's start-up, and on a 2-core machine
it competes with the workers starting at the same time. This parser reads
well-formed command lines itself and declines (returns None) anything else:
`--help`, an unknown option, a missing or invalid value, combined short
flags. typer then handles the command line as always, with its own
messages. Both are made from the same table, so they agree.
"""

from __future__ import annotations

from dbtest.options import Option, Values, options_for

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_BY_FLAG: dict[str, dict[str, Option]] = {}


def _flags(command: str) -> dict[str, Option]:
    table = _BY_FLAG.get(command)
    if table is None:
        table = _BY_FLAG[command] = {f: o for o in options_for(command) for f in o.flags}
    return table


def _convert(opt: Option, text: str) -> Any:
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


def parse(command: str, argv: list[str], lenient: bool = False) -> Values | None:
    """The options of a well-formed command line, or None to leave it to typer.

    `lenient` reads what it can of any command line and skips the rest: the
    prewarm lookup, which only guesses how many workers the run will want.
    """
    by_flag = _flags(command)
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
        if arg in ("-h", "--help"):
            return None
        flag, eq, text = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        opt = by_flag.get(flag)
        if opt is None and not arg.startswith("--") and arg[:2] in by_flag:
            # A short option with its value attached: `-j2`, `-kname`.
            opt, eq, text = by_flag[arg[:2]], "=", arg[2:]
        if opt is None or (opt.kind is bool and eq):
            if lenient:
                continue
            return None  # unknown, -xq, --flag=value: typer decides
        if opt.kind is bool:
            values[opt.name] = True
            continue
        if not eq and opt.bare is not None:
            eq, text = "=", opt.bare  # `--cov`: a value needs `=`
        if not eq:
            if i >= len(argv) or argv[i] in by_flag:
                if lenient:
                    continue
                return None  # no value
            text = argv[i]
            i += 1
        value = _convert(opt, text)
        if value is None:
            if lenient:
                continue
            return None
        if opt.multiple:
            values.setdefault(opt.name, []).append(value)
        else:
            values[opt.name] = value
    return Values(command, paths=paths or None, **values)
