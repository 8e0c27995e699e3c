"""What one process publishes on Redis, another decodes into the same events in order."""

from __future__ import annotations

from ventanilla.realtime.bus import decode, encode, encode_many


def test_a_commit_s_events_travel_as_one_message_and_come_out_in_order() -> None:
    created = {"event": "message.created", "data": {"id": 7, "text": "¿Y mi pedido?"}}
    woke = {"event": "conversation.status_changed", "data": {"new_status": "open"}}
    items = [
        ("conv:1", woke),
        ("contact:3", woke),
        ("agents", woke),
        ("conv:1", created),
        ("contact:3", created),
        ("agents", created),
    ]
    raw = encode_many(items)
    assert raw.count("message.created") == 1  # each event written once, with all its topics
    assert decode(raw) == items


def test_a_single_event_still_decodes() -> None:
    assert decode(encode("agents", {"n": 1})) == [("agents", {"n": 1})]


def test_malformed_messages_decode_to_nothing() -> None:
    for raw in (
        b"\xff",
        "not json",
        "[]",
        '{"t": 1, "p": {}}',
        '{"m": {}}',
        '{"m": [["agents", {}]]}',
        '{"m": [[["agents"], []]]}',
        '{"m": [[["agents", 5], {}]]}',
        '{"m": [[["agents"]]]}',
    ):
        assert decode(raw) is None, raw
