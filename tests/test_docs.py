"""The documentation: the site builds with no warning, and its examples run.

Every ```python block in docs/*.md and README.md runs as a script, each in a
fresh namespace, and every ```bash block whose first command is ``adk-store``
runs through the command line in process. Executing the documentation's own
examples is the one place this project runs code it reads from text: an
example that no longer works is a bug in the documentation.

The comment on the line before a block says where it runs:

- no comment: on the embedded SQLite default (``ADK_STORE_HOME`` is a fresh
  directory, and no ``ADK_STORE_URL`` is set, as for a new user);
- ``<!-- docs-test: postgresql -->``: on a fresh database of the suite's
  PostgreSQL server;
- ``<!-- docs-test: mysql -->`` (or ``mariadb``): on a fresh database of the
  suite's MariaDB server;
- ``<!-- docs-test: install -->``: a shell block run as written with bash, in
  a copy of the checkout, as a new user runs it there (see
  `test_install_commands_work_as_written`);
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
import shutil
import subprocess
import sys
import sysconfig
import tomllib
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
INSTALL = "install"
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
# `pip install ...` written inline, in prose or a table.
INLINE_INSTALL = re.compile(r"`((?:\S*/)?pip3? install [^`]+)`")


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
        """Whether `test_examples_run` executes this block (skipped ones excepted)."""
        if self.kind == INSTALL:
            return False
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
    # Signatures are formatted (by Ruff, from the docs extra): one parameter a line.
    assert '<span class="nf">from_url</span><span class="p">(</span>\n' in api
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
            elif block.kind == INSTALL:
                if block.language != "bash":
                    problems.append(f"{block.where}: 'docs-test: install' is for bash blocks")
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


def _run_commands(block: Block, code: str) -> None:
    runner = CliRunner()
    for words in _commands(code):
        env: dict[str, str] = {}
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
    ran = 0
    for block in parse(page)[0]:
        if block.target != target or block.kind == SKIP or not block.runs:
            continue
        code = substitute(block.code)
        try:
            if block.language == "python":
                _run_python(block, code, tmp_path)
            else:
                _run_commands(block, code)
        except Exception as error:
            error.add_note(f"in the example at {block.where}")
            raise
        ran += 1
    assert ran


# -- install commands --------------------------------------------------------------

EXTRA_MISSING = "does not provide the extra"


def _pip_install_arguments(code: str) -> list[list[str]]:
    """What follows ``pip install`` in each command of a shell block."""
    found: list[list[str]] = []
    for line in code.replace("\\\n", " ").splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        command: list[str] = []
        for word in [*lexer, ";"]:
            if word not in ("&&", "||", ";", "|", "&"):
                command.append(word)
                continue
            pip = [i for i, w in enumerate(command[:-1]) if Path(w).name in ("pip", "pip3")]
            if pip and command[pip[0] + 1] == "install":
                found.append(command[pip[0] + 2 :])
            command = []
    return found


def _install(command: list[str], cwd: Path, env: dict[str, str], where: str) -> str:
    """Run an install command as the docs give it; its output, or a failure naming the page."""
    done = subprocess.run(  # noqa: PLW1510 - the exit code is asserted
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    log = done.stdout + done.stderr
    assert done.returncode == 0 and EXTRA_MISSING not in log, f"{where}:\n{log}"
    return log


def _documented_installs() -> dict[tuple[str, ...], str]:
    """Every ``pip install`` the pages show outside install and skipped blocks: arguments, where."""
    found: dict[tuple[str, ...], str] = {}
    for page in PAGES:
        text = page.read_text()
        for match in INLINE_INSTALL.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            arguments = tuple(shlex.split(match[1])[2:])
            found.setdefault(arguments, f"{page.relative_to(REPO)}:{line}")
        for block in parse(page)[0]:
            if block.language == "bash" and block.kind not in (INSTALL, SKIP):
                for arguments in _pip_install_arguments(block.code):
                    found.setdefault(tuple(arguments), block.where)
    return found


def _new_user_checkout(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A copy of the checkout, and the environment of a new user's shell there, offline.

    pip reaches no index: the dependencies are the ones installed for this
    test run, shown to every new virtual environment on PYTHONPATH, all but
    adk-store itself. So a command that installs adk-store by its name
    fails ("No matching distribution"), as it does for a user today, while
    one that installs the checkout gets its dependencies without a
    download. The build runs without isolation, on the hatchling here.
    """
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    )
    checkout = tmp_path / "adk-store"
    for name in listed.stdout.decode().split("\0"):
        if name and (REPO / name).is_file():
            (checkout / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, checkout / name)
    installed = tmp_path / "installed"
    installed.mkdir()
    for site in {Path(p) for p in (sysconfig.get_path("purelib"), sysconfig.get_path("platlib"))}:
        for entry in site.iterdir():
            own = entry.name.startswith(("adk_store", "_editable_impl_adk_store", "__editable__"))
            if not own and entry.suffix != ".pth" and entry.name != "__pycache__":
                (installed / entry.name).symlink_to(entry)
    commands = tmp_path / "bin"
    commands.mkdir()
    (commands / "python3").symlink_to(sys.executable)
    keep = ("HOME", "LANG", "LC_ALL", "TMPDIR")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env |= {
        "PATH": f"{commands}{os.pathsep}{os.defpath}",
        "PYTHONPATH": str(installed),
        "ADK_STORE_HOME": str(tmp_path / "home"),
        "PIP_NO_INDEX": "1",
        "PIP_NO_BUILD_ISOLATION": "0",
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_ROOT_USER_ACTION": "ignore",
    }
    return checkout, env


def test_install_commands_work_as_written(tmp_path: Path) -> None:
    """Each install block runs as written; every other ``pip install`` shown resolves.

    The blocks marked ``docs-test: install`` (the README's and the
    quickstart's) run with bash in the checkout, in page order, and leave
    an installed ``adk-store``. Every other ``pip install`` the pages show,
    inline or in a block, runs with ``--dry-run`` in a new environment:
    the package or path must exist, its extras too, and its requirements
    must be met by the versions the suite runs on.
    """
    checkout, env = _new_user_checkout(tmp_path)
    bash = shutil.which("bash")
    assert bash is not None
    ran = []
    for page in PAGES:
        for block in parse(page)[0]:
            if block.kind != INSTALL:
                continue
            log = _install([bash, "-euo", "pipefail", "-c", block.code], checkout, env, block.where)
            ran.append(block.where)
    assert len(ran) >= 2, ran
    # The README's block ends with the demo, on a fresh store.
    assert "New session 'demo-session'" in log
    version = subprocess.run(
        [checkout / ".venv" / "bin" / "adk-store", "--version"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert version.stdout.startswith("adk-store ")

    clean = tmp_path / "clean"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", clean], check=True)
    installs = _documented_installs()
    assert (".[postgres]",) in installs and len(installs) >= 5, installs
    for arguments, where in installs.items():
        command = [str(clean / "bin" / "python"), "-m", "pip", "install", "--dry-run", *arguments]
        _install(command, checkout, env, f"{where}: {shlex.join(command)}")


def test_docs_extra_brings_a_signature_formatter() -> None:
    """mkdocstrings-python formats signatures only with Ruff or Black installed."""
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    names = {re.split(r"[\s<>=!~\[;]", requirement)[0] for requirement in extras["docs"]}
    assert names & {"ruff", "black"}, extras["docs"]


def test_cli_reference_reads_as_plain_text() -> None:
    page = (REPO / "docs" / "cli.md").read_text()
    entities = sorted(set(re.findall(r"&#?\w+;", page)))
    assert not entities, f"HTML entities in docs/cli.md: {entities}"
    assert "Google's Agent Development Kit" in page and "1<=x<=10" in page
    # Summaries whole, commands in the order --help lists them.
    cut = [line for line in page.splitlines() if line.startswith("* `") and line.endswith("...")]
    assert not cut, cut
    order = [line.split("`")[1] for line in page.splitlines() if line.startswith("## `adk-store ")]
    assert [name.removeprefix("adk-store ") for name in order] == [
        "demo",
        "db",
        "sessions",
        "memory",
        "import",
        "copy",
        "prune",
        "bench",
        "torture",
    ]


def test_quickstart_says_where_the_default_file_is(tmp_path: Path) -> None:
    """The quickstart names each place `adk-store demo` puts the file, in the order it looks."""
    quickstart = " ".join((REPO / "docs" / "quickstart.md").read_text().split())
    named = [
        "$ADK_STORE_HOME/sessions.db",
        "$XDG_DATA_HOME/adk-store/sessions.db",
        "~/.local/share/adk-store/sessions.db",
    ]
    assert all(f"`{path}`" in quickstart for path in named), named
    assert sorted(named, key=quickstart.index) == named
    runner = CliRunner()
    for variables, path in [
        ({"ADK_STORE_HOME": tmp_path / "a"}, tmp_path / "a" / "sessions.db"),
        ({"XDG_DATA_HOME": tmp_path / "x"}, tmp_path / "x" / "adk-store" / "sessions.db"),
        ({"HOME": tmp_path / "h"}, tmp_path / "h" / ".local/share/adk-store/sessions.db"),
    ]:
        env = {"ADK_STORE_HOME": None, "XDG_DATA_HOME": None, "ADK_STORE_URL": None}
        env |= {name: str(value) for name, value in variables.items()}
        result = runner.invoke(app, ["demo", "--turns", "1"], env=env)
        assert result.exit_code == 0, result.output
        assert f"Store: sqlite+aiosqlite:///{path}" in result.output
        assert path.is_file()
