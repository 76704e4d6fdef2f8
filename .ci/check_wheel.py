"""Check a dbtest wheel the way a user without Rust gets it.

    python .ci/check_wheel.py                 # build the wheel here, then check it
    python .ci/check_wheel.py dist/X.whl      # check a wheel built elsewhere (CI)

Building (`maturin build --release`) reuses the release build that
`make install-dev` left in `target/`, so it costs packaging only. The check:
the wheel is one abi3 wheel for CPython 3.10+ (`cp310-abi3-<platform>`,
manylinux on Linux); it installs into a fresh venv with no Rust toolchain on
PATH and without building anything; `dbtest --version` names the wheel's
version; `dbtest list` and a run of a copy of `examples/` exit 0, as
`make demo` does. Exit code 0 when every step passed, 1 otherwise, with the
failing step named.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# `name-version-python-abi-platform.whl`: one wheel per platform for 3.10+.
WHEEL = re.compile(r"^dbtest-(?P<version>[^-]+)-cp310-abi3-(?P<platform>[^-]+)\.whl$")
PLATFORMS = {"linux": "manylinux", "darwin": "macosx", "win32": "win"}
RUST_TOOLS = ("cargo", "rustc", "rustup")


class CheckFailed(Exception):
    """One step of the check failed; the message says which and why."""


def main(argv: list[str]) -> int:
    """Build (unless a wheel is given) and check one wheel."""
    if len(argv) > 1 or (argv and argv[0].startswith("-")):
        print("usage: check_wheel.py [WHEEL]", file=sys.stderr)
        return 4
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="dbtest-wheel-") as tmp:
        work = Path(tmp)
        try:
            wheel = Path(argv[0]).resolve() if argv else build(work / "dist")
            version = check_tag(wheel)
            venv = fresh_venv(work / "venv")
            env = without_rust(os.environ)
            step("install without Rust", install, venv, wheel, env)
            dbtest = venv_exe(venv, "dbtest")
            step("dbtest --version", check_version, dbtest, version, env)
            project = work / "examples"
            shutil.copytree(ROOT / "examples", project, ignore=shutil.ignore_patterns(".dbtest"))
            step("examples", run_examples, dbtest, project, env)
        except CheckFailed as e:
            print(f"check_wheel: FAILED: {e}", file=sys.stderr)
            return 1
    print(f"check_wheel: {wheel.name} OK in {time.perf_counter() - started:.1f} s")
    return 0


def step(name: str, fn, *args) -> None:  # noqa: ANN001 - a step and its arguments
    """Run one step and say how long it took."""
    t = time.perf_counter()
    fn(*args)
    print(f"check_wheel: {name}: ok ({time.perf_counter() - t:.1f} s)")


def run(cmd: list[str], what: str, **kw) -> subprocess.CompletedProcess[str]:  # noqa: ANN003
    """Run `cmd`; a non-zero exit fails the check with its output."""
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        raise CheckFailed(f"{what}: exit code {p.returncode}\n{p.stdout}{p.stderr}")
    return p


def build(out: Path) -> Path:
    """`maturin build --release` into `out`; the one wheel it wrote."""
    t = time.perf_counter()
    maturin = [sys.executable, "-m", "maturin"]
    run([*maturin, "build", "--release", "--quiet", "--out", str(out)], "maturin build", cwd=ROOT)
    wheels = sorted(out.glob("*.whl"))
    if len(wheels) != 1:
        raise CheckFailed(f"maturin build: expected one wheel, got {[w.name for w in wheels]}")
    print(f"check_wheel: build {wheels[0].name}: ok ({time.perf_counter() - t:.1f} s)")
    return wheels[0]


def check_tag(wheel: Path) -> str:
    """The wheel's version, once its tag is the abi3 one for this platform."""
    m = WHEEL.match(wheel.name)
    if m is None:
        raise CheckFailed(f"{wheel.name}: not a cp310-abi3 wheel of dbtest")
    expected = PLATFORMS.get(sys.platform)
    if expected and not m["platform"].startswith(expected):
        raise CheckFailed(f"{wheel.name}: platform tag {m['platform']}, expected {expected}*")
    return m["version"]


def fresh_venv(path: Path) -> Path:
    """A new, empty venv from the base interpreter. Without pip of its own
    (seeding one costs 5 s): this interpreter's pip installs into it."""
    base = getattr(sys, "_base_executable", None) or sys.executable
    run([base, "-m", "venv", "--without-pip", str(path)], "python -m venv")
    return path


def venv_exe(venv: Path, name: str) -> str:
    """One of a venv's executables."""
    if sys.platform == "win32":
        return str(venv / "Scripts" / f"{name}.exe")
    return str(venv / "bin" / name)


def without_rust(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment with every PATH directory holding a Rust tool taken
    out, so nothing can quietly compile the extension."""
    env = dict(environ)
    dirs = env.get("PATH", "").split(os.pathsep)
    kept = [d for d in dirs if d and not any(shutil.which(t, path=d) for t in RUST_TOOLS)]
    env["PATH"] = os.pathsep.join(kept)
    for tool in RUST_TOOLS:
        if shutil.which(tool, path=env["PATH"]):
            raise CheckFailed(f"{tool} is still on PATH")
    for var in ("CARGO", "RUSTC", "CARGO_HOME", "RUSTUP_HOME", "VIRTUAL_ENV", "PYTHONPATH"):
        env.pop(var, None)
    # Installed with this PATH, the wheel must not need a compiler at all.
    env["PIP_ONLY_BINARY"] = ":all:"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def install(venv: Path, wheel: Path, env: dict[str, str]) -> None:
    """pip install the wheel (its dependencies from the index, binaries only)."""
    python = venv_exe(venv, "python")
    pip = [sys.executable, "-m", "pip", "--python", python]
    run([*pip, "install", "--quiet", str(wheel)], "pip install", env=env)
    # The installed package, not a source tree, is what runs.
    code = "import dbtest, dbtest._core, sys; sys.stdout.write(dbtest.__file__)"
    where = run([python, "-c", code], "import dbtest._core", env=env, cwd=venv).stdout
    if not Path(where).resolve().is_relative_to(venv.resolve()):
        raise CheckFailed(f"dbtest imported from {where}, not from the fresh venv")


def check_version(dbtest: str, version: str, env: dict[str, str]) -> None:
    """`dbtest --version` names the wheel's version."""
    out = run([dbtest, "--version"], "dbtest --version", env=env).stdout
    if out.split() != ["dbtest", version]:
        raise CheckFailed(f"dbtest --version printed {out!r}, expected 'dbtest {version}'")


def run_examples(dbtest: str, project: Path, env: dict[str, str]) -> None:
    """What `make demo` runs, in a copy of examples/ (benchmarks on the
    short preset): both exit 0."""
    run([dbtest, "list"], "dbtest list (examples)", cwd=project, env=env)
    p = run([dbtest, "--headless", "--quick"], "dbtest --headless (examples)", cwd=project, env=env)
    summary = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ""
    if not summary.startswith("PASSED"):
        raise CheckFailed(f"examples: last line {summary!r}, expected the PASSED summary")
    print(f"check_wheel: examples: {summary}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
