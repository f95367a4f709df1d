"""A user's events across all their sessions, a page per query (for memory services)."""

from __future__ import annotations

import pytest
from helpers import make_event, recorded_statements

from adk_store import SqlSessionService


async def _seed(service: SqlSessionService) -> list[tuple[str, str]]:
    """Three sessions of alice (one empty), one of bob; returns alice's (session, text) in order."""
    expected = []
    for session_id, count in (("s2", 4), ("s1", 3), ("s3", 0)):
        session = await service.create_session(
            app_name="app", user_id="alice", session_id=session_id
        )
        for index in range(count):
            text = f"{session_id}-{index}"
            await service.append_event(session, make_event(text))
    bob = await service.create_session(app_name="app", user_id="bob", session_id="s1")
    await service.append_event(bob, make_event("bob's"))
    for session_id, count in (("s1", 3), ("s2", 4)):
        expected += [(session_id, f"{session_id}-{index}") for index in range(count)]
    return expected


async def test_pages_cover_every_event_once_in_order(service: SqlSessionService) -> None:
    expected = await _seed(service)
    seen = []
    token = None
    pages = 0
    with recorded_statements(service.store.engine) as statements:
        while True:
            page = await service.list_user_events_page(
                app_name="app", user_id="alice", page_size=2, page_token=token
            )
            pages += 1
            seen += [(item.session_id, item.event.content.parts[0].text) for item in page.events]
            token = page.next_page_token
            if token is None:
                break
    assert seen == expected
    assert pages == 4
    queries = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(queries) == pages
    assert all("sessions" not in query for query in queries)

    streamed = [
        (item.session_id, item.event.content.parts[0].text)
        async for item in service.iter_user_events(app_name="app", user_id="alice", page_size=3)
    ]
    assert streamed == expected


async def test_events_appended_while_paging_are_not_skipped(service: SqlSessionService) -> None:
    await _seed(service)
    first = await service.list_user_events_page(app_name="app", user_id="alice", page_size=5)
    session = await service.get_session(app_name="app", user_id="alice", session_id="s2")
    assert session is not None
    await service.append_event(session, make_event("late"))
    rest = await service.list_user_events_page(
        app_name="app", user_id="alice", page_size=50, page_token=first.next_page_token
    )
    texts = [item.event.content.parts[0].text for item in first.events + rest.events]
    assert texts[-1] == "late" and len(texts) == len(set(texts)) == 8


async def test_page_tokens_are_checked(service: SqlSessionService) -> None:
    await _seed(service)
    page = await service.list_user_events_page(app_name="app", user_id="alice", page_size=1)
    assert page.next_page_token is not None
    with pytest.raises(ValueError, match="another listing"):
        await service.list_user_events_page(
            app_name="app", user_id="bob", page_token=page.next_page_token
        )
    with pytest.raises(ValueError, match="Invalid page_token"):
        await service.list_user_events_page(app_name="app", user_id="alice", page_token="%%%")
    listing = await service.list_sessions_page(app_name="app", page_size=1)
    with pytest.raises(ValueError, match="another listing"):
        await service.list_user_events_page(
            app_name="app", user_id="alice", page_token=listing.next_page_token
        )
    with pytest.raises(ValueError, match="page_size"):
        await service.list_user_events_page(app_name="app", user_id="alice", page_size=0)
