"""Test, type-check, lint and docs sessions. ``nox`` runs them all (what CI runs)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nox

nox.options.sessions = ["tests", "typing", "lint", "docs"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = False

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml("pyproject.toml")
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


def _start_postgres(session: nox.Session) -> str | None:
    """Install (if needed) and start the throw-away PostgreSQL the SQL tests use."""
    if os.environ.get("QBO_SYNC_TEST_POSTGRES_URL"):
        return os.environ["QBO_SYNC_TEST_POSTGRES_URL"]
    script = ROOT / "scripts" / "start-postgres.sh"
    if not script.exists() or sys.platform != "linux":
        return None
    out = session.run("bash", str(script), external=True, silent=True)
    assert isinstance(out, str)
    url = out.strip().splitlines()[-1].strip()
    session.log(f"PostgreSQL ready at {url.split('@')[-1]}")
    return url


def _script_output(session: nox.Session, name: str) -> str | None:
    """Run ``scripts/<name>`` (installs and starts a service) and return its last line."""
    script = ROOT / "scripts" / name
    if not script.exists() or sys.platform != "linux":
        return None
    out = session.run("bash", str(script), external=True, silent=True)
    assert isinstance(out, str)
    return out.strip().splitlines()[-1].strip()


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The whole test suite, with real PostgreSQL, Redis and Chromium where tests need them."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "test"))
    session.install("-e", ".")
    env = {"QBO_SYNC_REQUIRE_POSTGRES": "1"} if sys.platform == "linux" else {}
    url = _start_postgres(session)
    if url:
        env["QBO_SYNC_TEST_POSTGRES_URL"] = url
    redis_url = os.environ.get("QBO_SYNC_TEST_REDIS_URL") or _script_output(
        session, "start-redis.sh"
    )
    chromium = os.environ.get("QBO_SYNC_CHROMIUM") or _script_output(
        session, "install-chromium.sh"
    )
    if sys.platform == "linux":
        # A missing service fails those tests instead of skipping them.
        env["QBO_SYNC_REQUIRE_SERVICES"] = "1"
    if redis_url:
        env["QBO_SYNC_TEST_REDIS_URL"] = redis_url
    if chromium:
        env["QBO_SYNC_CHROMIUM"] = chromium
    args = session.posargs or ["-n", "2", "--dist", "loadgroup"]
    session.run("pytest", *args, env=env)


@nox.session(python=PYTHON)
def typing(session: nox.Session) -> None:
    """mypy --strict on the package, and on tests/typing as a user would write it."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "typing"))
    session.install("-e", ".")
    session.run("mypy", "--strict", "src/qbo_sync")
    session.run("mypy", "--strict", "tests/typing")


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff on everything."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "lint"))
    session.run("ruff", "check", "src", "tests", "benchmarks", "examples", "noxfile.py")


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """The documentation site, with every warning an error."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "docs"))
    session.install("-e", ".")
    session.run("mkdocs", "build", "--strict", "--site-dir", str(ROOT / ".nox" / "site"))


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Print the benchmark figures (not part of the default run)."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "test"))
    session.install("-e", ".")
    url = _start_postgres(session)
    env = {"QBO_SYNC_TEST_POSTGRES_URL": url} if url else {}
    for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        session.run("python", str(script), env=env)
