"""The exit codes come from the engine (`exit_code.rs`); the CLI's names match them."""

from __future__ import annotations

from dbtest import _core
from dbtest.cli import exit_codes


def test_the_cli_names_every_code_of_the_engine():
    names = {n for n, v in vars(exit_codes).items() if n.isupper() and type(v) is int}
    assert names == {name for _code, name, _meaning in _core.EXIT_CODES}
    for code, name, _meaning in _core.EXIT_CODES:
        assert getattr(exit_codes, name) == code
