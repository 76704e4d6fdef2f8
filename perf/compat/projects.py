"""The panel's projects: pinned sdists from PyPI, each with the runner it uses.

Every version is exact and every sdist's sha256 is checked, so two runs of
the panel measure the same code. `deps` are the project's test dependencies,
pinned too, installed only in the project's own venv (never in dbtest's).
Plugins that change which tests run or in what order (pytest-randomly,
pytest-xdist, coverage) are left out on purpose: the oracle must be one
deterministic process.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PYTEST = "pytest==9.0.2"


@dataclass(frozen=True)
class Project:
    name: str
    version: str
    sha256: str
    runner: str  # "pytest" or "unittest"
    deps: tuple[str, ...] = ()
    exercises: str = ""
    # Extra arguments of the oracle, only where the project's own CI passes them.
    oracle_args: tuple[str, ...] = field(default=())

    @property
    def key(self) -> str:
        return f"{self.name}-{self.version}"


PROJECTS: tuple[Project, ...] = (
    Project(
        "toolz",
        "1.2.0",
        "9667a038e9d6ecba37995e26cb2f59ec6420b6ad8dd9677de59db9b956b08490",
        "pytest",
        (PYTEST,),
        "plain classes, skipif on sys.version_info, xfail_strict, testpaths",
    ),
    Project(
        "more-itertools",
        "11.2.1",
        "cbf08fd0af284dc69718b9b76a8e6203df624d70209ea511e4219d350c856f63",
        "unittest",
        (),
        "unittest TestCase suite, load_tests adding doctests, subTest",
    ),
    Project(
        "simplejson",
        "4.3.0",
        "ffe34ab51a0d37e6d1c661a5672df00d2d5e18804e38eac07abffb83fa5ec3d7",
        "unittest",
        (),
        "unittest suite inside the package (simplejson/tests), skips",
    ),
    Project(
        "pluggy",
        "1.7.0",
        "d1eaa46ebb595891b860ab086b4d09c8588af65ebd4361b8e8f4bb8920b90ba8",
        "pytest",
        (PYTEST,),
        "conftest fixture with params and ids, testpaths in tox.ini, filterwarnings=error",
    ),
    Project(
        "iniconfig",
        "2.3.1",
        "67f4b9c50da0dedf52af349e7749a80a9057a5031199791b906c3bb3ae878960",
        "pytest",
        (PYTEST,),
        "parametrize, tmp_path, monkeypatch, testpaths",
    ),
    Project(
        "humanize",
        "4.17.0",
        "1d6a36c453dbfbb3f0b34601d2e0b4ce5d48d780305cd45714843f0068fde6ac",
        "pytest",
        (PYTEST, "freezegun==1.5.5", "pytest-codspeed==5.0.4"),
        "heavy parametrize with pytest.param ids, freezegun, a plugin's fixture",
    ),
    Project(
        "platformdirs",
        "4.5.0",
        "70ddccdd7c99fc5942e9fc25636a8b34d04c24b335100223152c2803e4063312",
        "pytest",
        (PYTEST, "pytest-mock==3.15.1", "appdirs==1.4.4"),
        "conftest fixtures with params, monkeypatch, mocker (a plugin's fixture)",
    ),
    Project(
        "markupsafe",
        "3.0.4",
        "2e9ad7dd851bf45fab9f75cbff4cb493fee9979e8d8c7c9c3ee119022518edd6",
        "pytest",
        (PYTEST,),
        "a session-scoped autouse conftest fixture with params and pytest.param marks",
    ),
    Project(
        "flask",
        "3.1.3",
        "0ef0e52b8a9cd932855379197dd8f94047b359ca0a78695144304cb45f87c9eb",
        "pytest",
        (PYTEST, "asgiref==3.11.0", "python-dotenv==1.1.1"),
        "autouse conftest fixtures, conftest fixtures using tmp_path/monkeypatch, capsys, classes",
    ),
    Project(
        "click",
        "8.5.1",
        "9bbfada76703fd1d784b83eea012e3e8c6a001a876543ef104fa56aaaeb072b4",
        "pytest",
        (PYTEST,),
        "addopts = -m 'not stress' deselects a marker, conftest fixture, capsys, parametrize",
    ),
    Project(
        "structlog",
        "26.1.0",
        "f63a716cbd1b1291cf7661de7794b455acfa4c43c5bcf1630e6ad5ddc1adb3b7",
        "pytest",
        (PYTEST, "pytest-asyncio==1.3.0", "simplejson==3.20.1", "time-machine==2.19.0"),
        "autouse and name=/params conftest fixtures, plain classes, asyncio_mode=auto",
    ),
)


def by_name(name: str) -> Project:
    """The project called `name` (case-insensitive), or a ValueError naming the choices."""
    for project in PROJECTS:
        if project.name.lower() == name.lower():
            return project
    choices = ", ".join(p.name for p in PROJECTS)
    raise ValueError(f"unknown project {name!r} (choices: {choices})")
