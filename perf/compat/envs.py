"""What the panel downloads, installs and caches under perf/corpora/compat/.

- `sdists/`: each pinned sdist, fetched once from PyPI's simple index and
  checked against its pinned sha256;
- `venvs/<name>-<version>/`: one venv per project, built from the panel's own
  interpreter, with the project installed from its sdist, its test
  dependencies and dbtest's runtime dependencies. A stamp file says what it
  was built from; a venv whose stamp differs is rebuilt. dbtest itself (the
  wheel of the current checkout) and the oracle modules are reinstalled on
  every run;
- `trees/<name>-<version>/{oracle,dbtest}/`: the sdist freshly extracted for
  each runner on every run, so neither sees files the other's tests left.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import urllib.request
import zipfile
from pathlib import Path

from perf.compat.projects import Project

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / "perf" / "corpora" / "compat"
ORACLE_MODULES = Path(__file__).resolve().parent / "oracle"
INDEX = "https://pypi.org/simple"


class SetupError(Exception):
    """A download, build or install step failed; the message says which and why."""


def run(cmd: list[str], log: Path, **kwargs) -> None:
    """Run `cmd`, appending its output to `log`; a failure raises SetupError with its tail."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a", encoding="utf-8") as out:
        out.write(f"$ {' '.join(map(str, cmd))}\n")
        out.flush()
        proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, **kwargs)
    if proc.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-8:]
        raise SetupError(
            f"`{' '.join(map(str, cmd[:4]))} ...` exited {proc.returncode}: " + " | ".join(tail)
        )


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _sdist_url(project: Project) -> str:
    """The sdist's URL, from the simple index's JSON form (PEP 691)."""
    request = urllib.request.Request(
        f"{INDEX}/{_normalize(project.name)}/",
        headers={"Accept": "application/vnd.pypi.simple.v1+json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        files = json.load(response)["files"]
    wanted = _normalize(f"{project.name}-{project.version}")
    for entry in files:
        name = entry["filename"]
        if name.endswith(".tar.gz") and _normalize(name[: -len(".tar.gz")]) == wanted:
            return entry["url"]
    raise SetupError(f"no sdist of {project.key} on the index")


def fetch_sdist(project: Project) -> Path:
    """The pinned sdist, downloaded once and checked against its sha256."""
    target = CACHE / "sdists" / f"{project.key}.tar.gz"
    if target.exists() and _sha256(target) == project.sha256:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with urllib.request.urlopen(_sdist_url(project), timeout=120) as response:
            data = response.read()
    except OSError as exc:
        raise SetupError(f"download of {project.key} failed: {exc}") from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != project.sha256:
        raise SetupError(f"{project.key}: sha256 {digest} is not the pinned {project.sha256}")
    partial = target.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(target)
    return target


def build_dbtest_wheel() -> Path:
    """The wheel of the current checkout (`maturin build --release`)."""
    out = CACHE / "wheel"
    shutil.rmtree(out, ignore_errors=True)
    venv_maturin = REPO / ".venv" / "bin" / "maturin"
    maturin = str(venv_maturin) if venv_maturin.exists() else shutil.which("maturin")
    if maturin is None:
        raise SetupError("maturin not found: run `make install-dev` first")
    run(
        [maturin, "build", "--release", "--quiet", "-o", str(out)],
        CACHE / "logs" / "wheel.log",
        cwd=REPO,
    )
    wheels = sorted(out.glob("dbtest-*.whl"))
    if len(wheels) != 1:
        raise SetupError(f"expected one dbtest wheel in {out}, found {len(wheels)}")
    return wheels[0]


def python_of(venv: Path) -> Path:
    return venv / "bin" / "python"


def prepare_venv(project: Project, sdist: Path, wheel: Path) -> Path:
    """The project's venv, built or reused, with this checkout's dbtest in it."""
    venv = CACHE / "venvs" / project.key
    log = CACHE / "logs" / f"{project.key}-install.log"
    log.unlink(missing_ok=True)
    stamp = {
        "python": sys.version,
        "sdist": project.sha256,
        "deps": list(project.deps),
        "dbtest_requires": _requires(wheel),
    }
    stamp_file = venv / "panel-stamp.json"
    if not (stamp_file.exists() and json.loads(stamp_file.read_text()) == stamp):
        shutil.rmtree(venv, ignore_errors=True)
        run([sys.executable, "-m", "venv", str(venv)], log)
        pip = [str(python_of(venv)), "-m", "pip", "install", "--quiet"]
        run([*pip, str(sdist), *project.deps], log)
        run([*pip, str(wheel)], log)  # dbtest's runtime dependencies
        stamp_file.write_text(json.dumps(stamp, indent=1))
    python = str(python_of(venv))
    run(
        [python, "-m", "pip", "install", "--quiet", "--force-reinstall", "--no-deps", str(wheel)],
        log,
    )
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    for module in ORACLE_MODULES.glob("*.py"):
        shutil.copy(module, Path(site) / module.name)
    _check_version(project, python)
    return venv


def _requires(wheel: Path) -> list[str]:
    """dbtest's Requires-Dist, so a venv is rebuilt when they change."""
    with zipfile.ZipFile(wheel) as archive:
        meta = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        text = archive.read(meta).decode()
    return sorted(line for line in text.splitlines() if line.startswith("Requires-Dist:"))


def _check_version(project: Project, python: str) -> None:
    """dbtest's dependencies must not have replaced the project (click is one of them)."""
    code = f"import importlib.metadata as m; print(m.version({project.name!r}))"
    got = subprocess.run([python, "-c", code], capture_output=True, text=True).stdout.strip()
    if got != project.version:
        raise SetupError(
            f"{project.name} {got or '?'} is installed, not the pinned {project.version}"
        )


def fresh_tree(project: Project, sdist: Path, runner: str) -> Path:
    """The sdist extracted anew for one runner; returns the project's root."""
    dest = CACHE / "trees" / project.key / runner
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    with tarfile.open(sdist) as archive:
        archive.extractall(dest, filter="data")
    (root,) = [p for p in dest.iterdir() if p.is_dir()]
    return root
