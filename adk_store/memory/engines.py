"""Each engine's full-text search over the memories: one class per database family.

Every class answers the same four questions: how to insert a memory unless
its key is stored, what else an inserted or cleared row carries (PostgreSQL's
``tsvector``), which condition matches a query and which expression ranks
the matches best first, and how a query's words are written in the engine's
query language. The words come from `adk_store.memory.text.query_words`
(``\\w+`` runs only) and are bound as one parameter, never spliced into SQL.
Any word of a query matches (the words are OR-ed), and the rank puts the
memories sharing most of them, and the rarest, first, as ADK's in-memory
service puts the memories sharing most words first.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnClause,
    Insert,
    String,
    Table,
    bindparam,
    cast,
    column,
    exists,
    func,
    insert,
    literal_column,
    select,
    table,
)
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ColumnElement, FromClause

from adk_store.dialects import MYSQL_NAMES
from adk_store.errors import StoreConfigurationError
from adk_store.identifiers import validate_identifier

# The columns of a memory's natural key, after the owner column.
KEY_COLUMNS = ("app_name", "user_id", "session_id", "id")
DEFAULT_TEXT_SEARCH_CONFIG = "english"
_SCORE_LABEL: ColumnElement[int] = literal_column("1")


class MemoryEngine:
    """The portable parts; a subclass per family supplies the search itself."""

    name = "portable"

    def __init__(self, memories: Table, owned: list[str]) -> None:
        self.memories = memories
        self.key = [memories.c[name] for name in (*owned, *KEY_COLUMNS)]

    def insert_new(self) -> Insert:
        """INSERT of one memory that does nothing when its key is stored: INSERT ... SELECT
        guarded by NOT EXISTS (a concurrent insert of the same key can still raise)."""
        columns = [c for c in self.memories.columns if c.name in self.inserted_columns()]
        guard = ~exists().where(*(column == bindparam(column.name) for column in self.key))
        values = [self.inserted_value(c.name).label(c.name) for c in columns]
        return insert(self.memories).from_select(
            [c.name for c in columns], select(*values).where(guard)
        )

    def inserted_columns(self) -> list[str]:
        """Every column an insert writes: all but the surrogate ``seq`` (and engine-only ones)."""
        return [c.name for c in self.memories.columns if c.name not in ("seq", "search_vector")]

    def inserted_value(self, name: str) -> ColumnElement[Any]:
        column = self.memories.c[name]
        return bindparam(name, type_=column.type)

    def cleared(self) -> dict[str, Any]:
        """What a deleted memory's row keeps: nothing to return and nothing to find."""
        return {"entry": None, "search_text": None}

    def source(self) -> FromClause:
        """The FROM of a search."""
        return self.memories

    def matches(self) -> ColumnElement[bool]:
        raise NotImplementedError

    def rank(self) -> ColumnElement[Any]:
        """An ORDER BY term putting the best match first."""
        raise NotImplementedError

    def query_text(self, words: list[str]) -> str:
        """``words`` in the engine's query language: any of them matches."""
        raise NotImplementedError

    def search_parameters(self) -> dict[str, Any]:
        """Parameters every search and insert binds besides the query (PostgreSQL's config)."""
        return {}


class PostgreSQLMemory(MemoryEngine):
    """``tsvector`` column, GIN index, ``websearch_to_tsquery`` and ``ts_rank``.

    The text search configuration (``english`` by default) is a ``regconfig``
    bound as a parameter, both when a memory's vector is computed and when a
    query is parsed; change it only with a re-ingest, or stems will differ.
    """

    name = "postgresql"

    def __init__(self, memories: Table, owned: list[str], config: str) -> None:
        super().__init__(memories, owned)
        self.config = validate_identifier("text search configuration", config)
        regconfig = cast(bindparam("text_search_config", type_=String()), postgresql.REGCONFIG)
        self.query = func.websearch_to_tsquery(regconfig, bindparam("query", type_=String()))
        self.vector = func.to_tsvector(
            regconfig, bindparam("search_text", type_=memories.c.search_text.type)
        )

    def insert_new(self) -> Insert:
        columns = self.inserted_columns()
        values: dict[str, Any] = {
            name: bindparam(name, type_=self.memories.c[name].type) for name in columns
        }
        values["search_vector"] = self.vector
        return (
            postgresql.insert(self.memories)
            .values(values)
            .on_conflict_do_nothing(index_elements=self.key)
        )

    def cleared(self) -> dict[str, Any]:
        return {**super().cleared(), "search_vector": None}

    def matches(self) -> ColumnElement[bool]:
        return self.memories.c.search_vector.bool_op("@@")(self.query)

    def rank(self) -> ColumnElement[Any]:
        return func.ts_rank(self.memories.c.search_vector, self.query).desc()

    def query_text(self, words: list[str]) -> str:
        # websearch_to_tsquery reads "or" between words as OR; quoting each
        # word keeps one that is itself "or" (or starts with "-") a word.
        return " or ".join(f'"{word}"' for word in words)

    def search_parameters(self) -> dict[str, Any]:
        return {"text_search_config": self.config}


class SQLiteMemory(MemoryEngine):
    """An external-content FTS5 table (created by revision 0003), ranked by ``bm25``.

    FTS5's ``rank`` column is ``bm25()`` (lower is better) and is what FTS5
    sorts on without computing the function twice.
    """

    name = "sqlite"

    def __init__(self, memories: Table, owned: list[str]) -> None:
        super().__init__(memories, owned)
        name = f"{memories.name}_fts"
        # Named, never declared: only revision 0003 knows its DDL. Its columns
        # here are the ones a search reads, quoted by the compiler as needed.
        self.fts = table(name, column("rowid"), column("rank"))
        # FTS5 matches the whole table when the left side of MATCH is its name.
        self.whole_table: ColumnClause[str] = column(name)

    def insert_new(self) -> Insert:
        return sqlite.insert(self.memories).on_conflict_do_nothing(index_elements=self.key)

    def source(self) -> FromClause:
        return self.memories.join(self.fts, self.fts.c.rowid == self.memories.c.seq)

    def matches(self) -> ColumnElement[bool]:
        return self.whole_table.op("MATCH")(bindparam("query", type_=String()))

    def rank(self) -> ColumnElement[Any]:
        return self.fts.c.rank.asc()

    def query_text(self, words: list[str]) -> str:
        return " OR ".join('"' + word.replace('"', '""') + '"' for word in words)


class MySQLMemory(MemoryEngine):
    """A ``FULLTEXT`` index searched in natural-language mode, ranked by its relevance.

    InnoDB indexes words of at least ``innodb_ft_min_token_size`` characters
    (3 by default) and leaves out its stopword list: shorter words and
    stopwords are never found (see docs/memory.md).
    """

    name = "mysql"

    def __init__(self, memories: Table, owned: list[str]) -> None:
        super().__init__(memories, owned)
        self.relevance = mysql.match(
            memories.c.search_text, against=bindparam("query", type_=String())
        ).in_natural_language_mode()

    def insert_new(self) -> Insert:
        # A no-op assignment rather than INSERT IGNORE, which would also hide
        # truncation and type errors.
        return mysql.insert(self.memories).on_duplicate_key_update({"seq": self.memories.c.seq})

    def matches(self) -> ColumnElement[bool]:
        return self.relevance > 0

    def rank(self) -> ColumnElement[Any]:
        return self.relevance.desc()

    def query_text(self, words: list[str]) -> str:
        # Natural-language mode has no operators but the double quote, which
        # no word contains.
        return " ".join(words)


class OracleMemory(MemoryEngine):
    """An Oracle Text ``CONTEXT`` index, ``CONTAINS`` and ``SCORE``.

    Compiled in the tests only: no Oracle server can run where they run.
    """

    name = "oracle"

    def matches(self) -> ColumnElement[bool]:
        # The label tying CONTAINS to SCORE must be a literal number.
        query = bindparam("query", type_=String())
        return func.contains(self.memories.c.search_text, query, _SCORE_LABEL) > 0

    def rank(self) -> ColumnElement[Any]:
        return func.score(_SCORE_LABEL).desc()

    def query_text(self, words: list[str]) -> str:
        # Braces make each word literal (reserved words such as "and" too);
        # ACCUM scores a row higher the more words it holds.
        return " ACCUM ".join("{" + word + "}" for word in words)


def engine_for(
    dialect: Dialect, memories: Table, owned: list[str], text_search_config: str
) -> MemoryEngine:
    """The full-text search of ``dialect``'s family; refuses a database with none we know."""
    name = dialect.name
    if name == "postgresql":
        return PostgreSQLMemory(memories, owned, text_search_config)
    if name in MYSQL_NAMES:
        return MySQLMemory(memories, owned)
    if name == "sqlite":
        return SQLiteMemory(memories, owned)
    if name == "oracle":
        return OracleMemory(memories, owned)
    raise StoreConfigurationError(
        f"adk-store's memory has no full-text search for {name}; it supports PostgreSQL, "
        "MySQL/MariaDB, SQLite and Oracle. Use one of those for memory."
    )
