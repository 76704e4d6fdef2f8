"""The option table (`dbtest.options`) agrees with the engine: each option
marked `request` is a field of `RunRequest` of the same name and type, each
field of `RunRequest` is fed, each config key exists, and docs/cli.md names
every flag."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dbtest._core import _testing
from dbtest.options import OPTIONS, request_options
from dbtest.runner import RunOptions

DOCS = Path(__file__).resolve().parents[2] / "docs"

# `RunRequest` fields that are not options: where, which, on what.
NOT_OPTIONS = {"cwd", "paths", "mode", "ids", "python", "meta", "changed_paths", "worker_env"}

SAMPLE = {str: "x", int: 3, float: 1.5, bool: True}


def _echo(request: dict) -> dict:
    return json.loads(_testing.run_request_echo(json.dumps(request)))


def test_every_field_of_run_request_is_an_option_or_known():
    fields = set(_echo({}))
    assert fields == {o.name for o in request_options()} | NOT_OPTIONS


@pytest.mark.parametrize("option", list(request_options()), ids=lambda o: o.name)
def test_each_request_option_is_the_engines_field_of_its_type(option):
    value = ["a,b", "c"] if option.multiple else SAMPLE[option.kind]
    echoed = _echo({option.name: value})[option.name]
    assert echoed == value and type(echoed) is type(value)
    if option.kind is int:
        with pytest.raises(ValueError, match="bad run request"):
            _echo({option.name: 1.5})
    if option.kind is not str and not option.multiple:
        with pytest.raises(ValueError, match="bad run request"):
            _echo({option.name: "x"})


def test_an_unknown_field_is_an_error_not_ignored():
    with pytest.raises(ValueError, match="unknown field"):
        _echo({"no_such_option": 1})


def test_the_request_python_sends_is_read_as_sent():
    options = RunOptions(root="/p", paths=["tests"], expr="tag(db)", workers=2, tags=["a,b"])
    request = options.to_request()
    echoed = _echo(request)
    for key, value in request.items():
        if key == "meta":  # the engine adds what it fills in later
            assert value.items() <= echoed[key].items()
        else:
            assert echoed[key] == value, key
    with pytest.raises(TypeError, match="no_such"):
        RunOptions(no_such=1)


def test_config_keys_are_the_engines():
    known = set(_testing.config_keys())
    for o in OPTIONS:
        assert o.config is None or o.config in known, o.name


def test_docs_cli_md_names_every_flag():
    text = (DOCS / "cli.md").read_text()
    for o in OPTIONS:
        assert any(f"`{f}" in text or f", {f}" in text for f in o.flags), o.flags


def test_flags_are_unique_per_command():
    from dbtest.options import options_for

    for command in ("run", "list", "tui"):
        flags = [f for o in options_for(command) for f in o.flags]
        assert len(flags) == len(set(flags)), command
