"""What Python keeps of an engine rule agrees with the engine: a style for
every role the engine gives summary text. (The exit-code constants are
checked in tests/e2e/test_exit_codes.py.)"""

from __future__ import annotations

from dbtest import _core
from dbtest.outcomes import ROLE_STYLE


def test_every_summary_role_has_a_style():
    assert set(_core.summary_roles()) == set(ROLE_STYLE)
