"""The documentation: the site builds with no warning, and its examples run.

Every ```python block in docs/*.md and README.md runs as a script, each in a
fresh namespace, and every ```bash block whose first command is ``adk-store``
runs through the command line in process. Executing the documentation's own
examples is the one place this project runs code it reads from text: an
example that no longer works is a bug in the documentation.

The comment on the line before a block says where it runs:

- no comment: on the embedded SQLite default (``ADK_STORE_HOME`` is a fresh
  directory; ``ADK_STORE_URL`` names the same file for the commands);
- ``<!-- docs-test: postgresql -->``: on a fresh database of the suite's
  PostgreSQL server;
- ``<!-- docs-test: mysql -->`` (or ``mariadb``): on a fresh database of the
  suite's MariaDB server;
- ``<!-- docs-test: skip (why) -->``: not run, and the reason is required.

In a server block every URL of that database is replaced by the fresh
database's URL with the driver and dialect the block names, so the page shows
a real-looking URL. The blocks of one page on one target share that database,
a working directory and ``ADK_STORE_HOME``, and run in page order.
"""

from __future__ import annotations

import ast
import itertools
import os
import re
import runpy
import shlex
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import BACKENDS
from typer.testing import CliRunner

from adk_store.cli import app
from adk_store.cli.reference import REGENERATE, render

REPO = Path(__file__).resolve().parents[1]
PAGES = [*sorted((REPO / "docs").glob("*.md")), REPO / "README.md"]

LOCAL = "local"
SKIP = "skip"
# Marker kind -> the target its blocks run on.
TARGETS = {"postgresql": "postgresql", "mysql": "mysql", "mariadb": "mysql"}
# Target -> the backends of the suite (ADK_STORE_TEST_BACKENDS) that enable it.
TARGET_BACKENDS = {
    "postgresql": {"postgresql", "postgresql-psycopg"},
    "mysql": {"mysql-aiomysql", "mariadb-aiomysql", "mysql-asyncmy"},
}
URL_PATTERNS = {
    "postgresql": re.compile(r"\bpostgresql(?:\+(?P<driver>\w+))?://[^\s'\"`]+"),
    "mysql": re.compile(r"\b(?P<dialect>mysql|mariadb)(?:\+(?P<driver>\w+))?://[^\s'\"`]+"),
}

MARKER = re.compile(r"<!--\s*docs-test:\s*(?P<kind>[\w-]+)\s*(?:\((?P<reason>[^)]*)\))?\s*-->")
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>```+)(?P<language>[\w-]*)")
ENV_ASSIGNMENT = re.compile(r"[A-Z_][A-Z0-9_]*=.*")


@dataclass(frozen=True)
class Block:
    """One fenced code block of a page, with the marker before it, if any."""

    page: Path
    line: int  # of the first line of code, 1-based
    language: str
    code: str
    kind: str | None
    reason: str | None

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(REPO)}:{self.line}"

    @property
    def target(self) -> str:
        if self.kind is None:
            return LOCAL
        return TARGETS.get(self.kind, self.kind)

    @property
    def runs(self) -> bool:
        """Whether the test executes this block (skipped ones excepted)."""
        if self.language == "python":
            return True
        return self.language == "bash" and _first_command(self.code)[:1] == ["adk-store"]


def parse(page: Path) -> tuple[list[Block], list[int]]:
    """The page's code blocks, and the line numbers of markers not followed by a block."""
    lines = page.read_text().splitlines()
    blocks: list[Block] = []
    used_markers: set[int] = set()
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        indent, fence = opening["indent"], opening["fence"]
        end = next(
            (
                number
                for number in range(index + 1, len(lines))
                if lines[number].strip() == fence and lines[number].startswith(indent)
            ),
            None,
        )
        if end is None:
            raise AssertionError(f"{page.name}:{index + 1}: code block is never closed")
        previous = index - 1
        while previous >= 0 and not lines[previous].strip():
            previous -= 1
        marker = MARKER.fullmatch(lines[previous].strip()) if previous >= 0 else None
        if marker is not None:
            used_markers.add(previous)
        code = "\n".join(line.removeprefix(indent) for line in lines[index + 1 : end])
        reason = (marker["reason"] or "").strip() if marker else ""
        blocks.append(
            Block(
                page=page,
                line=index + 2,
                language=opening["language"],
                code=code + "\n",
                kind=marker["kind"] if marker else None,
                reason=reason or None,
            )
        )
        index = end + 1
    orphans = [
        number + 1
        for number, line in enumerate(lines)
        if MARKER.search(line) and number not in used_markers
    ]
    return blocks, orphans


def _commands(code: str) -> list[list[str]]:
    """The commands of a shell block: continuation lines joined, comments dropped."""
    joined = code.replace("\\\n", " ")
    return [words for line in joined.splitlines() if (words := shlex.split(line, comments=True))]


def _first_command(code: str) -> list[str]:
    for words in _commands(code):
        return [word for word in words if not ENV_ASSIGNMENT.fullmatch(word)]
    return []


ALL_BLOCKS = [block for page in PAGES for block in parse(page)[0]]
RUNS = sorted(
    {(block.page, block.target) for block in ALL_BLOCKS if block.runs and block.kind != SKIP},
    key=lambda item: (str(item[0]), item[1]),
)


def test_site_builds_strictly_without_warnings(tmp_path: Path) -> None:
    site = tmp_path / "site"
    built = subprocess.run(  # noqa: PLW1510 - the exit code is asserted
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=REPO,
        # Material's notice about its end of life is not about these docs.
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    log = built.stdout + built.stderr
    assert built.returncode == 0, log
    assert "WARNING" not in log, log
    api = (site / "api" / "index.html").read_text()
    # The API reference is rendered from the docstrings, not only named.
    assert "list_sessions_page" in api and "keyset pages" in api
    assert "adk-store db upgrade" in (site / "cli" / "index.html").read_text()


def test_cli_reference_is_current() -> None:
    committed = (REPO / "docs" / "cli.md").read_text()
    assert committed == render(), f"docs/cli.md is out of date: run '{REGENERATE}'"


def test_markers_are_known_and_skips_say_why() -> None:
    problems: list[str] = []
    for page in PAGES:
        blocks, orphans = parse(page)
        problems += [f"{page.name}:{line}: marker not followed by a code block" for line in orphans]
        for block in blocks:
            if block.kind == SKIP:
                if block.reason is None:
                    problems.append(f"{block.where}: 'docs-test: skip' needs a reason in ()")
                if block.language == "python":
                    ast.parse(block.code, filename=block.where)
            elif block.kind is not None and block.kind not in TARGETS:
                problems.append(f"{block.where}: unknown marker {block.kind!r}")
            elif block.kind is not None and not block.runs:
                problems.append(f"{block.where}: marked {block.kind!r} but never run")
    assert not problems, "\n".join(problems)


_database_numbers = itertools.count()


def _server_urls(target: str, request: pytest.FixtureRequest) -> Callable[[str], str]:
    """A function that points every URL of the target's database at a fresh database."""
    if not TARGET_BACKENDS[target] & set(BACKENDS):
        pytest.skip(f"no {target} backend in ADK_STORE_TEST_BACKENDS")
    server = request.getfixturevalue("postgres" if target == "postgresql" else "mariadb")
    name = server.create_database(f"docs{os.getpid()}_{next(_database_numbers)}")

    def fresh(match: re.Match[str]) -> str:
        if target == "postgresql":
            return str(server.url(name, driver=match["driver"] or "asyncpg"))
        return str(server.url(name, driver=match["driver"] or "aiomysql", dialect=match["dialect"]))

    def substitute(code: str) -> str:
        replaced, count = URL_PATTERNS[target].subn(fresh, code)
        assert count, f"the block is marked {target} but names no {target} URL"
        return replaced

    return substitute


def _run_python(block: Block, code: str, directory: Path) -> None:
    # Padding keeps line numbers in tracebacks equal to the page's.
    script = directory / f"{block.page.stem}_line{block.line}.py"
    script.write_text("\n" * (block.line - 1) + code)
    runpy.run_path(str(script), run_name="__main__")


def _run_commands(block: Block, code: str, url: str) -> None:
    runner = CliRunner()
    for words in _commands(code):
        env = {"ADK_STORE_URL": url}
        while words and ENV_ASSIGNMENT.fullmatch(words[0]):
            key, _, value = words.pop(0).partition("=")
            env[key] = value
        assert words[:1] == ["adk-store"], (
            f"{block.where}: {shlex.join(words)!r} is not an adk-store command; "
            "split the block or mark it 'docs-test: skip (why)'"
        )
        result = runner.invoke(app, words[1:], env=env)
        assert result.exit_code == 0, f"{block.where}: {shlex.join(words)}\n{result.output}"


@pytest.mark.parametrize(
    ("page", "target"), RUNS, ids=[f"{page.name}-{target}" for page, target in RUNS]
)
def test_examples_run(
    page: Path,
    target: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    substitute = _server_urls(target, request) if target != LOCAL else (lambda code: code)
    home = tmp_path / "home"
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("ADK_STORE_HOME", str(home))
    for variable in ("ADK_STORE_URL", "ADK_STORE_TABLE_PREFIX", "XDG_DATA_HOME"):
        monkeypatch.delenv(variable, raising=False)
    sqlite_url = f"sqlite+aiosqlite:///{home / 'sessions.db'}"
    ran = 0
    for block in parse(page)[0]:
        if block.target != target or block.kind == SKIP or not block.runs:
            continue
        code = substitute(block.code)
        try:
            if block.language == "python":
                _run_python(block, code, tmp_path)
            else:
                _run_commands(block, code, sqlite_url)
        except Exception as error:
            error.add_note(f"in the example at {block.where}")
            raise
        ran += 1
    assert ran
