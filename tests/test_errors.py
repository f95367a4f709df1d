"""Every error adk-store raises shares one base and keeps its standard or ADK type."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from google.adk.errors.already_exists_error import AlreadyExistsError

import adk_store
from adk_store import SqlSessionService, errors
from adk_store.errors import AdkStoreError, InvalidArgumentError, InvalidIdError

PUBLIC_ERRORS = [
    value
    for name, value in vars(errors).items()
    if inspect.isclass(value)
    and issubclass(value, BaseException)
    and value.__module__ == errors.__name__
    and not name.startswith("_")
]

# The standard and ADK types each class is also; callers catch these.
COMPATIBLE_BASES = {
    "SchemaNotReadyError": (RuntimeError,),
    "DuplicateEventError": (AlreadyExistsError,),
    "StoreConfigurationError": (ValueError,),
    "StoreConnectionError": (ConnectionError,),
    "UnstorableValueError": (ValueError,),
    "InvalidIdError": (ValueError, errors.UnstorableValueError),
    "InvalidArgumentError": (ValueError,),
    # A transient failure of its own kind: nothing standard names it.
    "TransactionConflictError": (),
    "PoolTimeoutError": (TimeoutError, errors.StoreConnectionError),
}


def test_every_public_error_has_the_common_base() -> None:
    assert {error.__name__ for error in PUBLIC_ERRORS} == {"AdkStoreError", *COMPATIBLE_BASES}
    for error in PUBLIC_ERRORS:
        assert issubclass(error, AdkStoreError), error


@pytest.mark.parametrize("name", sorted(COMPATIBLE_BASES))
def test_errors_keep_their_standard_and_adk_bases(name: str) -> None:
    error = getattr(errors, name)
    for base in COMPATIBLE_BASES[name]:
        assert issubclass(error, base), f"{name} is no longer a {base.__name__}"


def test_every_public_error_is_exported_from_the_package() -> None:
    for error in PUBLIC_ERRORS:
        assert error.__name__ in adk_store.__all__
        assert getattr(adk_store, error.__name__) is error


@pytest.mark.parametrize(
    ("user_id", "words"),
    [
        (42, "user_id must be a string, got int"),
        ("u" * 129, "user_id is 129 characters long; the limit is 128"),
        ("a\x00b", "user_id 'a\\\\x00b' contains the NUL character"),
    ],
    ids=["not-a-string", "too-long", "nul"],
)
async def test_an_invalid_id_is_a_library_error_and_a_value_error(
    tmp_path: Path, user_id: object, words: str
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'sessions.db'}"
    async with SqlSessionService(url, auto_migrate=True) as service:
        with pytest.raises(InvalidIdError, match=words) as raised:
            await service.create_session(app_name="app", user_id=user_id, session_id="s1")  # type: ignore[arg-type]
        assert isinstance(raised.value, AdkStoreError)
        assert isinstance(raised.value, ValueError)
        # Refused before anything was written.
        assert (await service.list_sessions(app_name="app")).sessions == []


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        ({"page_token": "not-a-token"}, "Invalid page_token"),
        ({"page_size": 0}, "page_size must be an integer from 1 to"),
    ],
    ids=["page-token", "page-size"],
)
async def test_a_malformed_argument_is_a_library_error_and_a_value_error(
    tmp_path: Path, arguments: dict[str, object], words: str
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'sessions.db'}"
    async with SqlSessionService(url, auto_migrate=True) as service:
        with pytest.raises(InvalidArgumentError, match=words) as raised:
            await service.list_sessions_page(app_name="app", **arguments)  # type: ignore[arg-type]
    assert isinstance(raised.value, AdkStoreError)
    assert isinstance(raised.value, ValueError)
