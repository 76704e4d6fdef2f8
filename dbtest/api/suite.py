"""``TestSuite``: a class grouping tests that share lifecycle hooks."""

from __future__ import annotations

from typing import Any, ClassVar


class TestSuite:
    """Base class of dbtest suites.

    Tests are methods named ``test_*`` or decorated with ``@test``; sync or
    ``async``. One instance runs all of a suite's tests, so state created in
    ``setup_suite`` (e.g. a database client) is available in every test; all
    hooks and tests run on the same event loop.

    Hooks (each may be sync or async, and may take fixtures by parameter name):
    ``setup_suite`` / ``teardown_suite`` once per suite run, ``setup`` /
    ``teardown`` around each test.

    Class attributes: ``tags`` (applied to every test), ``concurrency``
    (how many of the suite's async tests may run at once; default 1),
    ``ordered`` (``True``: ``--shuffle`` keeps the tests in file order).
    """

    __test__ = False  # keep pytest from collecting the base class
    tags: ClassVar[list[str]] = []
    concurrency: ClassVar[int] = 1
    ordered: ClassVar[bool] = False

    def setup_suite(self) -> Any:
        """Runs once before the suite's first test."""

    def teardown_suite(self) -> Any:
        """Runs once after the suite's last test, even when tests failed."""

    def setup(self) -> Any:
        """Runs before each test."""

    def teardown(self) -> Any:
        """Runs after each test, even when it failed."""


HOOK_NAMES = frozenset({"setup_suite", "teardown_suite", "setup", "teardown"})
