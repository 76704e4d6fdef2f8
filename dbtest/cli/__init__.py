"""The `dbtest` command. `main` routes `dbtest [PATHS] [OPTIONS]` to `dbtest run`."""

from __future__ import annotations

import os
import sys

from dbtest._core import UsageError
from dbtest.cli import exit_codes
from dbtest.cli.exit_codes import fail

# `UsageError` is the one class of bad input, raised by the engine and by
# the CLI's own checks alike; `_guarded` shows it as one line.
__all__ = ["UsageError", "fail", "main"]

# Annotations only: importing typing (~9 ms) would delay starting the workers.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from dbtest.options import Values

# Subcommands; anything else on the command line means `run`.
SUBCOMMANDS = {"run", "list", "unit", "integration", "bench", "tui", "report"}


# Commands that start worker processes.
RUN_COMMANDS = {"run", "unit", "integration", "bench"}

# Commands whose common command lines are parsed without typer (`run_args`).
FAST_COMMANDS = RUN_COMMANDS | {"list"}


def _prewarm(values: Values | None, bench_only: bool = False) -> None:
    """Start the run's workers before importing the CLI's own modules: each
    needs ~60 ms to start, and so does the CLI, so the two overlap. `values`
    are the options as `run_args` reads them leniently; when the run's real
    settings differ, the run starts its own workers and these exit unused."""
    if values is None or values.in_process:  # --help, or no workers to start
        return
    workers = 1 if bench_only else values.workers  # benchmarks run in one dedicated worker
    capture = not values.no_capture
    # Only ever an optimisation: on any failure the run starts its workers.
    forked = False
    try:
        from dbtest.cli.coverage_setup import worker_env

        env = worker_env(values)  # `--cov`: the run's workers measure
    except Exception:  # noqa: BLE001
        return
    if not bench_only:  # benchmarks keep a worker of their own, started fresh
        try:
            from dbtest.cli.prefork import prefork

            forked = prefork(workers, capture, env)
        except Exception:  # noqa: BLE001
            forked = False
    if not forked:
        try:
            from dbtest import _core

            _core.prewarm_workers(sys.executable, workers, capture, env)
        except Exception:  # noqa: BLE001
            pass


def _typer_main(args: list[str]) -> int:
    """Parse and run the command line with typer."""
    import typer

    try:
        from click import ClickException
    except ImportError:  # typer >= 0.20 vendors click and no longer installs it
        from typer._click.exceptions import ClickException

    from dbtest.cli.app import build_app
    from dbtest.options import with_bare_values

    if args[0] in RUN_COMMANDS or args[0] == "tui":
        args = [args[0], *with_bare_values(args[0], args[1:])]

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
        fail(str(e), e.exit_code)
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
    if args[0] in FAST_COMMANDS:
        from dbtest.options import with_flag_values

        # `--changed` with or without its REF, read the same by both parsers.
        args = [args[0], *with_flag_values(args[0], args[1:])]

    code: int | None = None
    if args[0] in FAST_COMMANDS:
        # Fast path: a well-formed command line runs without typer, whose
        # import (with rich, ~57 ms) would cost more than a whole listing.
        from dbtest.cli import run_args

        command = args[0]
        parsed = run_args.parse(command, args[1:])
        if command == "list":
            if parsed is not None:
                from dbtest.cli.list_cmd import show

                code = _guarded(lambda: show(parsed))
        else:
            lenient = parsed or run_args.parse(command, args[1:], lenient=True)
            _prewarm(lenient, bench_only=command == "bench")
            if parsed is not None:
                from dbtest.cli import run_exec

                code = _guarded(lambda: run_exec.run(run_exec.MODES[command], parsed))
    if code is None:
        code = _guarded(lambda: _typer_main(args))
    # Spare the exit a last garbage collection over everything the run kept.
    import gc

    gc.freeze()
    raise SystemExit(code)
