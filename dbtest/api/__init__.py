"""The authoring API: suites, decorators, parametrize, fixtures and ``expect``."""

from dbtest.api.decorators import skip, skip_if, test, xfail
from dbtest.api.expect import expect
from dbtest.api.fixtures import fixture
from dbtest.api.parametrize import parametrize
from dbtest.api.suite import TestSuite

__all__ = ["TestSuite", "expect", "fixture", "parametrize", "skip", "skip_if", "test", "xfail"]
