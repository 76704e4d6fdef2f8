"""The `dbtest` command. `main` routes `dbtest [PATHS] [OPTIONS]` to `dbtest run`."""

from __future__ import annotations

import os
import sys

from dbtest.cli import exit_codes

# Annotations only: importing typing (~9 ms) would delay starting the workers.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import NoReturn

# Subcommands; anything else on the command line means `run`.
SUBCOMMANDS = {"run", "list", "unit", "integration", "bench", "tui", "report"}


# Commands that start worker processes.
RUN_COMMANDS = {"run", "unit", "integration", "bench"}


def _prewarm(args: list[str], bench_only: bool = False) -> None:
    """Start the run's workers before importing the CLI's own modules: each
    needs ~60 ms to start, and so does the CLI, so the two overlap. Options
    are read roughly here; when the run's real settings differ, the run
    starts its own workers and these exit unused."""
    if any(a in ("--in-process", "--help", "-h") for a in args):
        return
    workers: int | None = None
    for i, a in enumerate(args):
        value = None
        if a in ("-j", "--workers") and i + 1 < len(args):
            value = args[i + 1]
        elif a.startswith("--workers="):
            value = a.split("=", 1)[1]
        elif a.startswith("-j") and a[2:].isdigit():
            value = a[2:]
        if value is not None and value.isdigit() and int(value) > 0:
            workers = int(value)
    if bench_only:
        workers = 1  # benchmarks run in one dedicated worker
    capture = not any(a in ("-s", "--no-capture") for a in args)
    # Only ever an optimisation: on any failure the run starts its workers.
    forked = False
    if not bench_only:  # benchmarks keep a worker of their own, started fresh
        try:
            from dbtest.cli.prefork import prefork

            forked = prefork(workers, capture)
        except Exception:  # noqa: BLE001
            forked = False
    if not forked:
        try:
            from dbtest import _core

            _core.prewarm_workers(sys.executable, workers, capture)
        except Exception:  # noqa: BLE001
            pass


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit code 4."""


def fail(message: str, code: int = exit_codes.USAGE_ERROR) -> NoReturn:
    """Print a one-line error to stderr and exit with `code`."""
    sys.stderr.write(f"dbtest: error: {message}\n")
    sys.stderr.flush()
    raise SystemExit(code)


def _typer_main(args: list[str]) -> int:
    """Parse and run the command line with typer."""
    import typer

    try:
        from click import ClickException
    except ImportError:  # typer >= 0.20 vendors click and no longer installs it
        from typer._click.exceptions import ClickException

    from dbtest.cli.app import build_app

    # Top-level help lists every command; otherwise build only the one used.
    app = build_app(args[0] if args[0] in SUBCOMMANDS else None)
    try:
        code = app(args=args, prog_name="dbtest", standalone_mode=False)
    except typer.Exit as e:
        code = e.exit_code
    except typer.Abort:
        code = exit_codes.INTERRUPTED
    except ClickException as e:
        fail(e.format_message().replace("\n", " "))
    return code if isinstance(code, int) else exit_codes.OK


def _guarded(command: Callable[[], int]) -> int:
    """Run `command`; bad input, Ctrl-C and our own bugs become one line and an exit code."""
    try:
        return command()
    except UsageError as e:
        fail(str(e))
    except KeyboardInterrupt:
        return exit_codes.INTERRUPTED
    except BrokenPipeError:
        # `dbtest list | head`: the reader went away; not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return exit_codes.OK
    except Exception as e:  # noqa: BLE001 - last line of defence: one line, not a traceback
        if os.environ.get("DBTEST_DEBUG"):
            raise
        fail(
            f"internal error: {type(e).__name__}: {e} (set DBTEST_DEBUG=1 for a traceback)",
            exit_codes.INTERNAL_ERROR,
        )


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or (args[0] not in SUBCOMMANDS and args[0] not in ("--help", "-h", "--version")):
        args = ["run", *args]

    if args[0] == "list":
        # Fast path: importing typer and rich costs ~57 ms, more than
        # the whole listing; `list --help` still goes through typer.
        from dbtest.cli.list_cmd import fast_list

        fast = fast_list(args[1:])
        if fast is not None:
            raise SystemExit(fast)

    code: int | None = None
    if args[0] in RUN_COMMANDS:
        _prewarm(args[1:], bench_only=args[0] == "bench")
        # Fast path: a well-formed command line starts the run without typer.
        from dbtest.cli import run_args, run_exec

        parsed = run_args.parse(args[1:])
        if parsed is not None:
            mode = run_exec.MODES[args[0]]
            code = _guarded(lambda: run_exec.run(mode, parsed))
    if code is None:
        code = _guarded(lambda: _typer_main(args))
    # Spare the exit a last garbage collection over everything the run kept.
    import gc

    gc.freeze()
    raise SystemExit(code)
