"""Database passwords kept out of every message: URLs, driver errors and the CLI.

A password written into a URL without percent-encoding its ``@`` is cut at
that ``@`` by SQLAlchemy's parser, and the rest lands in the host or the
database name; a driver may echo the password, encoded or not, or such a
piece of it. None of these may reach an error message.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
import typer
from conftest import BACKENDS
from hypothesis import given, settings
from hypothesis import strategies as st
from servers import PostgresServer
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from adk_store import SqlSessionService, StoreConfigurationError
from adk_store.cli import app
from adk_store.cli.common import run_reporting_errors
from adk_store.engine import create_engine, describe_error, redact

runner = CliRunner()

# A password holding every character a URL gives meaning to, and its halves.
PASSWORD = "hunter2@wolf42:x/#?"
HALVES = ("hunter2", "wolf42:x/#?")
ENCODED_URL = f"postgresql+asyncpg://app:{quote(PASSWORD, safe='')}@db/agents"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql+asyncpg://app:p@ss@db/agents", "postgresql+asyncpg://app:***@db/agents"),
        (
            "postgresql+asyncpg://app:p@ss/word@db:5432/agents",
            "postgresql+asyncpg://app:***@db:5432/agents",
        ),
        (f"mysql+aiomysql://app:{PASSWORD}@db/x", "mysql+aiomysql://app:***@db/x"),
        (
            f"mysql+aiomysql://app:{quote(PASSWORD, safe='')}@db/x",
            "mysql+aiomysql://app:***@db/x",
        ),
        ("postgresql+asyncpg://a@corp:pw@db/agents", "postgresql+asyncpg://a%40corp:***@db/agents"),
        ("postgresql+asyncpg://app@db/agents", "postgresql+asyncpg://app@db/agents"),
        (
            "postgresql+asyncpg://app@db/agents?password=s3cret&ssl=require",
            "postgresql+asyncpg://app@db/agents?ssl=require&password=***",
        ),
        ("sqlite+aiosqlite:////tmp/a@b/x.db", "sqlite+aiosqlite:////tmp/a%40b/x.db"),
    ],
)
def test_redact_masks_everything_up_to_the_last_at(url: str, shown: str) -> None:
    assert redact(url) == shown


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+asyncpg://app:p@ss@db/agents",
        "postgresql+asyncpg://app:p@ss/word@db/agents",
        f"postgresql+asyncpg://app:{quote(PASSWORD, safe='')}@db/agents",
    ],
)
def test_redact_masks_a_parsed_url_the_same(url: str) -> None:
    """SQLAlchemy puts what follows a raw '@' in the host or database name."""
    assert redact(make_url(url)) == "postgresql+asyncpg://app:***@db/agents"


# The characters a URL gives meaning to, made likely.
_URL_CHARACTERS = st.sampled_from("@:/?#%&=[] ")


@settings(max_examples=200, deadline=None, database=None)
@given(password=st.text(_URL_CHARACTERS | st.characters(codec="utf-8"), min_size=1))
def test_no_password_survives_redaction(password: str) -> None:
    url = f"postgresql+asyncpg://app:{password}@db.example:5432/agents"
    assert redact(url) == "postgresql+asyncpg://app:***@db.example:5432/agents"


async def _fail_naming(name: str) -> None:
    """Raise a real driver error whose message holds ``name``: SQLite's "no such table"."""
    engine = create_engine("sqlite+aiosqlite://")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(f'SELECT * FROM "{name}"'))
    finally:
        await engine.dispose()


def _sqlite_error_naming(name: str) -> DBAPIError:
    with pytest.raises(DBAPIError) as raised:
        asyncio.run(_fail_naming(name))
    return raised.value


@pytest.mark.parametrize(
    "echoed",
    [
        PASSWORD,
        quote(PASSWORD, safe=""),
        quote(PASSWORD),
        f"before {HALVES[0]} after",
        f"host {HALVES[1]}",
    ],
)
def test_describe_error_never_echoes_the_password(echoed: str) -> None:
    error = _sqlite_error_naming(echoed)
    for given_url in (make_url(ENCODED_URL), ENCODED_URL):
        described = describe_error(error, given_url)
        assert described.startswith("OperationalError")
        for secret in (*HALVES, quote(PASSWORD, safe=""), quote_plus(PASSWORD)):
            assert secret not in described, (given_url, described)


def test_describe_error_masks_the_pieces_of_a_password_with_a_raw_at() -> None:
    url = f"postgresql+asyncpg://app:{PASSWORD}@db/agents"
    for echoed in HALVES:
        error = _sqlite_error_naming(f"no {echoed} here")
        for given_url in (url, make_url("postgresql+asyncpg://app:hunter2@wolf42@db/agents")):
            described = describe_error(error, given_url)
            assert "hunter2" not in described and "wolf42" not in described, described


def test_describe_error_keeps_a_message_without_the_password() -> None:
    error = _sqlite_error_naming("sessions")
    described = describe_error(error, make_url(f"postgresql://app:{quote(PASSWORD)}@db/x"))
    assert described == "OperationalError: no such table: sessions."


def test_a_password_with_a_raw_at_is_refused_unshown() -> None:
    """SQLAlchemy would take what follows the first '@' as the host: say to write %40."""
    url = "postgresql+asyncpg://app:hunter2@wolf42@127.0.0.1:9/agents"
    with pytest.raises(StoreConfigurationError) as raised:
        SqlSessionService(url)
    message = str(raised.value)
    assert "postgresql+asyncpg://app:***@127.0.0.1:9/agents" in message
    assert "as %40" in message
    assert "hunter2" not in message and "wolf42" not in message, message


def test_the_command_line_hides_a_password_with_a_raw_at() -> None:
    for password in ("hunter2@wolf42", PASSWORD):
        url = f"postgresql+asyncpg://app:{password}@127.0.0.1:9/agents"
        result = runner.invoke(app, ["db", "upgrade", "--url", url])
        assert result.exit_code == 1
        assert "hunter2" not in result.output and "wolf42" not in result.output, result.output
    assert "app:***@127.0.0.1:9/agents" in result.output


def _reported(
    action: Callable[[], Coroutine[Any, Any, None]],
    capsys: pytest.CaptureFixture[str],
    *urls: str,
) -> str:
    with pytest.raises(typer.Exit):
        run_reporting_errors(action, *urls)
    return capsys.readouterr().err


ECHOED = [PASSWORD, HALVES[0], quote(PASSWORD, safe="")]


def _assert_hidden(output: str) -> None:
    assert re.search(r"error:.*database operation failed: OperationalError", output), output
    for secret in (*HALVES, quote(PASSWORD, safe="")):
        assert secret not in output, output


@pytest.mark.parametrize("echoed", ECHOED)
def test_the_command_line_error_path_masks_the_urls_given(
    echoed: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _assert_hidden(_reported(lambda: _fail_naming(echoed), capsys, ENCODED_URL))


@pytest.mark.skipif("postgresql" not in BACKENDS, reason="no PostgreSQL backend selected")
@pytest.mark.parametrize("echoed", ECHOED)
def test_the_command_line_error_path_masks_the_urls_of_engines_used(
    echoed: str, postgres: PostgresServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # Trust authentication accepts any password: the engine connects with this one.
    url = f"postgresql+asyncpg://postgres:{quote(PASSWORD, safe='')}@127.0.0.1:{postgres.port}/"

    async def connect_then_fail() -> None:
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        finally:
            await engine.dispose()
        await _fail_naming(echoed)

    _assert_hidden(_reported(connect_then_fail, capsys))


def test_the_command_line_error_path_masks_the_url_of_the_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ADK_STORE_URL", ENCODED_URL)
    _assert_hidden(_reported(lambda: _fail_naming(PASSWORD), capsys))


def test_a_url_in_a_driver_message_is_shown_redacted() -> None:
    error = _sqlite_error_naming(f"see mysql+aiomysql://root:{quote(PASSWORD, safe='')}@db/x")
    assert (
        describe_error(error)
        == "OperationalError: no such table: see mysql+aiomysql://root:***@db/x."
    )


def test_command_line_errors_are_shown_as_text_not_markup(
    capsys: pytest.CaptureFixture[str],
) -> None:
    output = _reported(lambda: _fail_naming("[/bold] [red]"), capsys)
    assert "no such table: [/bold] [red]." in output
