"""Static checks of the whole package: no code execution from data, and SQL values bound.

Every module of ``adk_store`` and every migration script (shipped as
``adk_store/_migrations``) is parsed, never imported, and checked for:

- ``pickle``, ``marshal``, ``shelve`` and their relatives, ``eval``, ``exec``,
  ``compile`` of source text, ``__import__``, ``os.system`` and other shell
  spawning, ``shell=True``. The one exception is the restricted unpickler
  that reads ADK's legacy v0 tables: it may subclass ``pickle.Unpickler``
  (with a ``find_class`` that refuses), and must never call ``pickle.load`` /
  ``pickle.loads`` or build an unrestricted unpickler;
- SQL text built from non-constant parts (f-strings, ``+``, ``%``,
  ``.format``) passed to ``text()``, ``exec_driver_sql()`` or ``execute()``;

and every statement a store runs, compiled for each dialect, binds its values
instead of rendering them into the SQL.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.sql import Executable

from adk_store.engine import create_engine
from adk_store.layout import OwnerColumn, TableLayout
from adk_store.store import SessionStore

REPO = Path(__file__).resolve().parents[1]
SCANNED_DIRECTORIES = (REPO / "adk_store", REPO / "alembic")
RESTRICTED_UNPICKLER = Path("adk_store/transfer/restricted_pickle.py")

FORBIDDEN_MODULES = frozenset(
    {"pickle", "_pickle", "cPickle", "marshal", "shelve", "dill", "cloudpickle", "jsonpickle"}
)
FORBIDDEN_BUILTINS = frozenset({"eval", "exec", "compile", "__import__"})
FORBIDDEN_CALLS = frozenset(
    {
        "os.system",
        "os.popen",
        "os.execl",
        "os.execle",
        "os.execlp",
        "os.execlpe",
        "os.execv",
        "os.execve",
        "os.execvp",
        "os.execvpe",
        "os.spawnl",
        "os.spawnle",
        "os.spawnlp",
        "os.spawnlpe",
        "os.spawnv",
        "os.spawnve",
        "os.spawnvp",
        "os.spawnvpe",
        "os.posix_spawn",
        "os.posix_spawnp",
        "pty.spawn",
        "subprocess.getoutput",
        "subprocess.getstatusoutput",
        "asyncio.create_subprocess_shell",
        "importlib.import_module",
        *(f"builtins.{name}" for name in FORBIDDEN_BUILTINS),
    }
)
# What the restricted unpickler may name from pickle: the class it narrows
# (as a base class only) and the error type it raises.
RESTRICTED_PICKLE_NAMES = frozenset({"Unpickler", "UnpicklingError"})

# Calls whose first argument is SQL text.
SQL_TEXT_CALLS = frozenset({"text", "literal_column", "DDL", "exec_driver_sql", "execute"})
# Of those, the ones that also take statement objects: only string-building
# arguments are suspect there, not a variable holding a statement.
STATEMENT_CALLS = frozenset({"execute", "exec_driver_sql"})


def _python_files() -> Iterator[Path]:
    for directory in SCANNED_DIRECTORIES:
        yield from sorted(directory.rglob("*.py"))


def _dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _module_constants(tree: ast.Module) -> set[str]:
    """Names assigned a literal number or string at module level, in capitals."""
    names: set[str] = set()
    for statement in tree.body:
        if isinstance(statement, ast.Assign):
            targets, value = statement.targets, statement.value
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            targets, value = [statement.target], statement.value
        else:
            continue
        if isinstance(value, ast.Constant) and isinstance(value.value, (int, float, str)):
            names.update(
                target.id
                for target in targets
                if isinstance(target, ast.Name) and target.id.isupper()
            )
    return names


def _is_constant_text(node: ast.AST, constants: set[str]) -> bool:
    """Whether ``node`` is text fixed in the source: no value from outside can reach it."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name):
        return node.id in constants
    if isinstance(node, ast.JoinedStr):
        return all(
            isinstance(part, ast.Constant)
            or (isinstance(part, ast.FormattedValue) and _is_constant_text(part.value, constants))
            for part in node.values
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        return _is_constant_text(node.left, constants) and _is_constant_text(node.right, constants)
    if isinstance(node, ast.IfExp):
        return _is_constant_text(node.body, constants) and _is_constant_text(node.orelse, constants)
    return False


def _builds_text(node: ast.AST) -> bool:
    """Whether ``node`` assembles a string (rather than naming a statement object)."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        return True
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("format", "join")
    )


class _Scanner(ast.NodeVisitor):
    """Collects findings for one module: ``line: what``."""

    def __init__(self, tree: ast.Module, *, restricted_unpickler: bool) -> None:
        self.restricted_unpickler = restricted_unpickler
        self.constants = _module_constants(tree)
        self.aliases: dict[str, str] = {}  # local name -> what it was imported as
        self.findings: list[str] = []
        self.unpickler_bases: set[ast.Attribute] = set()

    def _find(self, node: ast.AST, what: str) -> None:
        self.findings.append(f"{getattr(node, 'lineno', '?')}: {what}")

    def _resolve(self, dotted: str) -> str:
        head, _, rest = dotted.partition(".")
        head = self.aliases.get(head, head)
        return f"{head}.{rest}" if rest else head

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            top = alias.name.split(".")[0]
            self.aliases[alias.asname or top] = alias.name if alias.asname else top
            if top in FORBIDDEN_MODULES and not (
                self.restricted_unpickler and alias.name == "pickle" and alias.asname is None
            ):
                self._find(node, f"imports {alias.name}")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        for alias in node.names:
            self.aliases[alias.asname or alias.name] = f"{module}.{alias.name}"
        if module.split(".")[0] in FORBIDDEN_MODULES:
            self._find(node, f"imports from {module}")
        for alias in node.names:
            if f"{module}.{alias.name}" in FORBIDDEN_CALLS or (
                module == "builtins" and alias.name in FORBIDDEN_BUILTINS
            ):
                self._find(node, f"imports {module}.{alias.name}")

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        unpickler_bases = [
            base
            for base in node.bases
            if isinstance(base, ast.Attribute)
            and self._resolve(_dotted(base) or "") == "pickle.Unpickler"
        ]
        if unpickler_bases:
            self.unpickler_bases.update(unpickler_bases)
            methods = {
                item.name: item
                for item in node.body
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
            }
            find_class = methods.get("find_class")
            if find_class is None:
                self._find(node, f"{node.name} subclasses pickle.Unpickler without find_class")
            elif not any(isinstance(inner, ast.Raise) for inner in ast.walk(find_class)):
                self._find(node, f"{node.name}.find_class never refuses a class")
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        dotted = _dotted(node)
        if dotted is not None and self._resolve(dotted).split(".")[0] == "pickle":
            name = self._resolve(dotted).partition(".")[2]
            allowed = name == "UnpicklingError" or (
                name == "Unpickler" and node in self.unpickler_bases
            )
            if not (self.restricted_unpickler and allowed):
                self._find(node, f"uses pickle.{name}")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        function = node.func
        if (
            isinstance(function, ast.Name)
            and function.id in FORBIDDEN_BUILTINS
            and function.id not in self.aliases
        ):
            self._find(node, f"calls {function.id}()")
        dotted = _dotted(function)
        if dotted is not None and self._resolve(dotted) in FORBIDDEN_CALLS:
            self._find(node, f"calls {self._resolve(dotted)}()")
        if isinstance(function, (ast.Name, ast.Attribute)):
            self._check_sql_text(
                node, function.id if isinstance(function, ast.Name) else function.attr
            )
        for keyword in node.keywords:
            if keyword.arg == "shell" and not (
                isinstance(keyword.value, ast.Constant) and keyword.value.value is False
            ):
                self._find(node, "passes shell=True (or a non-constant shell=)")
        self.generic_visit(node)

    def _check_sql_text(self, node: ast.Call, name: str) -> None:
        if name not in SQL_TEXT_CALLS or not node.args:
            return
        sql = node.args[0]
        if name in STATEMENT_CALLS and not _builds_text(sql):
            return
        if not _is_constant_text(sql, self.constants):
            self._find(node, f"passes SQL built from non-constant parts to {name}()")


def scan(source: str, *, restricted_unpickler: bool = False) -> list[str]:
    """Findings for one module's source, as ``line: what``."""
    tree = ast.parse(source)
    scanner = _Scanner(tree, restricted_unpickler=restricted_unpickler)
    scanner.visit(tree)
    return scanner.findings


def test_the_package_runs_no_code_from_data_and_builds_no_sql_from_values() -> None:
    findings: list[str] = []
    scanned = 0
    for path in _python_files():
        relative = path.relative_to(REPO)
        for finding in scan(
            path.read_text(), restricted_unpickler=relative == RESTRICTED_UNPICKLER
        ):
            findings.append(f"{relative}:{finding}")
        scanned += 1
    assert scanned > 30, "the scan found too few modules to be looking in the right place"
    assert findings == []


def test_the_restricted_unpickler_narrows_pickle_and_never_loads_directly() -> None:
    path = REPO / RESTRICTED_UNPICKLER
    if not path.exists():
        pytest.skip(f"{RESTRICTED_UNPICKLER} is not in this checkout")
    source = path.read_text()
    assert scan(source, restricted_unpickler=True) == []
    # It does subclass Unpickler: the exception above is used, not widened.
    tree = ast.parse(source)
    assert any(
        isinstance(node, ast.ClassDef)
        and any(_dotted(base) == "pickle.Unpickler" for base in node.bases)
        for node in ast.walk(tree)
    )


BAD_SNIPPETS = {
    "eval": "eval(data)",
    "exec": "exec(code)",
    "compile": "compile(source, 'x', 'exec')",
    "__import__": "__import__(name)",
    "builtins.eval": "import builtins\nbuiltins.eval(data)",
    "from builtins": "from builtins import exec as run",
    "import pickle": "import pickle",
    "pickle alias": "import pickle as p",
    "from pickle": "from pickle import loads",
    "marshal": "import marshal",
    "shelve": "import shelve",
    "dill": "import dill",
    "os.system": "import os\nos.system(command)",
    "os alias": "import os as o\no.popen(command)",
    "from os": "from os import system",
    "shell=True": "import subprocess\nsubprocess.run(command, shell=True)",
    "shell variable": "import subprocess\nsubprocess.run(command, shell=flag)",
    "shell spawn": "import asyncio\nasyncio.create_subprocess_shell(command)",
    "import_module": "import importlib\nimportlib.import_module(name)",
    "f-string text": "from sqlalchemy import text\ntext(f'SELECT * FROM t WHERE id = {value}')",
    "concatenated text": "import sqlalchemy as sa\nsa.text('SELECT * FROM ' + table)",
    "formatted text": "from sqlalchemy import text\ntext('DELETE FROM {}'.format(table))",
    "percent execute": "connection.exec_driver_sql('DROP TABLE %s' % table)",
    "f-string execute": "cursor.execute(f'PRAGMA {pragma}')",
    "awaited execute": "(await engine.connect()).execute('SELECT ' + column)",
    "variable text": "from sqlalchemy import text\ntext(query)",
    "literal_column": "from sqlalchemy import literal_column\nliteral_column(f'{x}')",
}
RESTRICTED_BAD_SNIPPETS = {
    "pickle.loads": "import pickle\npickle.loads(data)",
    "pickle.load": "import pickle\npickle.load(stream)",
    "unrestricted Unpickler": "import pickle\npickle.Unpickler(stream).load()",
    "no find_class": "import pickle\nclass U(pickle.Unpickler):\n    pass",
    "find_class that allows all": (
        "import pickle\nclass U(pickle.Unpickler):\n"
        "    def find_class(self, module, name):\n"
        "        return super().find_class(module, name)"
    ),
    "from pickle": "from pickle import Unpickler",
}
GOOD_SNIPPETS = {
    "re.compile": "import re\nre.compile('x')",
    "bound text": "from sqlalchemy import text\ntext('SELECT :id')",
    "constant f-string": (
        "TIMEOUT = 30\ndef f(cursor):\n    cursor.execute(f'PRAGMA busy_timeout={TIMEOUT}')"
    ),
    "choice of constants": "connection.exec_driver_sql('BEGIN IMMEDIATE' if write else 'BEGIN')",
    "statement object": "connection.execute(statement, params)",
    "argument list": "import subprocess\nsubprocess.run(['psql', '-c', sql], check=True)",
    "shell=False": "import subprocess\nsubprocess.run(['ls'], shell=False)",
}


@pytest.mark.parametrize("name", BAD_SNIPPETS)
def test_the_scan_catches(name: str) -> None:
    assert scan(BAD_SNIPPETS[name]), name


@pytest.mark.parametrize("name", RESTRICTED_BAD_SNIPPETS)
def test_the_scan_catches_in_the_restricted_unpickler(name: str) -> None:
    assert scan(RESTRICTED_BAD_SNIPPETS[name], restricted_unpickler=True), name


@pytest.mark.parametrize("name", GOOD_SNIPPETS)
def test_the_scan_passes(name: str) -> None:
    assert scan(GOOD_SNIPPETS[name]) == []


def test_a_restricted_unpickler_done_right_passes() -> None:
    source = (
        "import pickle\n"
        "class Refused(pickle.UnpicklingError):\n    pass\n"
        "class U(pickle.Unpickler):\n"
        "    def find_class(self, module, name):\n"
        "        if (module, name) in ALLOWED:\n"
        "            return super().find_class(module, name)\n"
        "        raise Refused(name)\n"
    )
    assert scan(source, restricted_unpickler=True) == []
    assert scan(source), "outside the restricted unpickler, importing pickle is refused"


# -- statements bind their values ----------------------------------------------------------

URLS = [
    "sqlite+aiosqlite://",
    "postgresql+asyncpg://app@db/agents",
    "postgresql+psycopg://app@db/agents",
    "mysql+aiomysql://app@db/agents",
    "mariadb+aiomysql://app@db/agents",
    "mysql+asyncmy://app@db/agents",
    "oracle+oracledb://app@db/agents",
]
HOSTILE_OWNER = "acme'); DROP TABLE adk_sessions; --"
# Values fixed when a statement is built (still sent as bound parameters),
# each for a reason: anything else must be supplied when the statement runs.
BUILD_TIME_VALUES: dict[object, str] = {
    0: "SQLite's compiler pairs a bound LIMIT with OFFSET 0",
    1: "the PostgreSQL append bumps revision + 1",
    "{}": "the PostgreSQL append skips an empty scope delta",
}
_QUOTED_IDENTIFIER = re.compile(r'"[^"]*"|`[^`]*`')
_STRING_LITERAL = re.compile(r"'(?:[^']|'')*'")
# A number standing alone: not part of a name or a placeholder ($1, :p_1, %(p_1)s).
_NUMBER_LITERAL = re.compile(r"(?<![\w$:%.])\d+(?:\.\d+)?(?!\w)")


def _all_statements(store: SessionStore) -> dict[str, Executable]:
    """Every statement of the store: by_name() walks every field, mappings included."""
    found = store.statements.by_name()
    for field in dataclasses.fields(store.statements):
        value = getattr(store.statements, field.name)
        if value is not None:
            assert any(name.startswith(field.name) for name in found), field.name
    return found


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("owned", [False, True], ids=["shared", "owned"])
def test_every_statement_binds_its_values(url: str, owned: bool) -> None:
    engine = create_engine(url)
    options: dict[str, Any] = {}
    if owned:
        options = {
            "layout": TableLayout(owner_column=OwnerColumn("tenant_id")),
            "owner": HOSTILE_OWNER,
        }
    try:
        store = SessionStore(engine, **options)
        statements = _all_statements(store)
        assert len(statements) >= 20
        owner_bound = 0
        for name, statement in statements.items():
            compiled = statement.compile(dialect=engine.dialect)
            sql = _QUOTED_IDENTIFIER.sub("IDENTIFIER", str(compiled))
            assert _STRING_LITERAL.findall(sql) == [], (name, sql)
            assert _NUMBER_LITERAL.findall(sql) == [], (name, sql)
            assert HOSTILE_OWNER not in str(compiled)
            for parameter, value in compiled.params.items():
                if owned and value == HOSTILE_OWNER:
                    owner_bound += 1
                elif value is not None:
                    assert value in BUILD_TIME_VALUES, (name, parameter, value)
        # The owner filters are there, as bound values.
        assert (owner_bound > 0) == owned
    finally:
        engine.sync_engine.dispose()


def test_the_literal_checks_catch_inline_values() -> None:
    """The patterns above do find a value rendered into SQL."""
    from sqlalchemy import column, literal_column, select, table

    sessions = table("sessions", column("id"))
    inline = select(sessions.c.id).where(
        sessions.c.id == literal_column("'x'"), sessions.c.id != literal_column("42")
    )
    sql = str(inline.compile())
    assert _STRING_LITERAL.findall(sql) == ["'x'"]
    assert _NUMBER_LITERAL.findall(sql) == ["42"]
