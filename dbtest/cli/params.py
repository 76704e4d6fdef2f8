"""The option table (`dbtest.options`) as the parameters typer reads.

typer turns a function's signature into click options; a command's
signature is made here from the table, so the typer commands and the
typer-free parser (`run_args`) take exactly the same options.
"""

from __future__ import annotations

import inspect
from typing import Any

import typer

from dbtest.options import Option, options_for


def typer_parameter(o: Option) -> inspect.Parameter:
    """`o` as the parameter typer turns into a click option."""
    help_text = o.help + (f" [config: {o.config}]" if o.config else "")
    info = typer.Option(o.default, *o.flags, help=help_text, min=o.min)
    return inspect.Parameter(
        o.name, inspect.Parameter.KEYWORD_ONLY, default=info, annotation=o.annotation
    )


def with_options(command: str, function: Any, *first: inspect.Parameter) -> Any:
    """`function` with the signature typer reads: `first`, then `command`'s options."""
    params = [*first, *(typer_parameter(o) for o in options_for(command))]
    function.__signature__ = inspect.Signature(params)
    function.__annotations__ = {p.name: p.annotation for p in params}
    return function


def paths_parameter(help_text: str) -> inspect.Parameter:
    """The positional PATHS of a command."""
    return inspect.Parameter(
        "paths",
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        default=typer.Argument(None, help=help_text),
        annotation=list[str] | None,
    )
