"""The bridge over real loopback sockets, with a Python client standing in for the stage."""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin
from websockets.uri import parse_uri

from app import log
from app.errors import BridgeError
from app.stage import protocol
from app.stage.bridge import (
    CLOSE_BAD_HELLO,
    CLOSE_BUSY,
    PATH,
    Message,
    PeerConnected,
    PeerDisconnected,
    StageBridge,
)
from app.stage.protocol import Envelope, Hello, Ping, Pong


@pytest.fixture
def bridge() -> Iterator[StageBridge]:
    with StageBridge(hello_timeout_s=0.5) as b:
        yield b


def hello(token: str, protocol_version: int = 1) -> str:
    return protocol.serialise(Envelope("h-1", Hello(token, protocol_version, "test-client")))


def open_stage(bridge: StageBridge) -> ClientConnection:
    conn = connect(bridge.url, max_size=None, compression=None).__enter__()
    conn.send(hello(bridge.token))
    welcome = json.loads(conn.recv(timeout=5))
    assert welcome["type"] == "welcome" and welcome["re"] == "h-1"
    return conn


def closed_with(conn: ClientConnection) -> int | None:
    with pytest.raises(ConnectionClosed):
        conn.recv(timeout=5)
    return conn.close_code


def test_refuses_non_loopback_host() -> None:
    with pytest.raises(BridgeError) as exc:
        StageBridge(host="0.0.0.0")
    assert exc.value.reason == "not-loopback"


def test_binds_loopback_random_port(bridge: StageBridge) -> None:
    assert bridge.url.startswith("ws://127.0.0.1:") and bridge.url.endswith("/stage")
    assert bridge.port > 0
    with StageBridge() as other:
        assert other.port != bridge.port
        assert other.token != bridge.token


def test_wrong_path_is_refused(bridge: StageBridge) -> None:
    with pytest.raises(InvalidStatus) as exc:
        connect(bridge.url.replace("/stage", "/other"))
    assert exc.value.response.status_code == 404


@pytest.mark.expected_log(
    r"^refused a browser connection \(Origin http://evil\.example\)$",
    r"^refused a connection for host \['rebound\.example:\d+'\]$",
    r"^refused a connection for host \[\]$",
)
def test_browsers_and_foreign_hosts_are_refused(bridge: StageBridge) -> None:
    with pytest.raises(InvalidStatus) as exc:
        connect(bridge.url, origin=Origin("http://evil.example"))
    assert exc.value.response.status_code == 403
    for host in (f"rebound.example:{bridge.port}", None):
        assert handshake_status(bridge, host) == 403
    assert handshake_status(bridge, f"127.0.0.1:{bridge.port}") == 101


def handshake_status(bridge: StageBridge, host: str | None) -> int:
    """Status of a hand-written WebSocket upgrade request with the given Host header."""
    lines = [
        f"GET {PATH} HTTP/1.1",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
    ]
    if host is not None:
        lines.append(f"Host: {host}")
    with socket.create_connection(("127.0.0.1", bridge.port), timeout=5) as raw:
        raw.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        return int(raw.recv(1024).split()[1])


@pytest.mark.expected_log(r"^refused a peer: wrong token$")
def test_wrong_token_closes_4401(bridge: StageBridge) -> None:
    with connect(bridge.url) as conn:
        conn.send(hello(bridge.token + "x"))
        assert closed_with(conn) == CLOSE_BAD_HELLO
    assert not bridge.connected


@pytest.mark.expected_log(r"^refused a peer: no hello within [\d.]+ s$")
def test_missing_hello_closes_4401_after_timeout(bridge: StageBridge) -> None:
    with connect(bridge.url) as conn:
        assert closed_with(conn) == CLOSE_BAD_HELLO


@pytest.mark.expected_log(r"^refused a peer: no hello within [\d.]+ s$")
def test_a_hello_after_the_deadline_is_refused_and_nothing_it_says_counts(
    bridge: StageBridge,
) -> None:
    events: queue.Queue[object] = queue.Queue()
    bridge.add_listener(events.put)
    with connect(bridge.url) as conn:
        time.sleep(bridge.hello_timeout_s + 0.05)  # around the deadline: the two race
        with contextlib.suppress(ConnectionClosed):
            conn.send(hello(bridge.token))
            conn.send(protocol.serialise(Envelope("p-1", Pong(), re="x")))
        assert closed_with(conn) == CLOSE_BAD_HELLO
    assert not bridge.connected
    assert events.empty()


@pytest.mark.expected_log(
    r"^refused a peer: bad hello \(unknown-type: unknown message type 'ping'\)$",
)
def test_other_first_frame_closes_4401(bridge: StageBridge) -> None:
    with connect(bridge.url) as conn:
        conn.send(protocol.serialise(Envelope("p", Ping())))
        assert closed_with(conn) == CLOSE_BAD_HELLO


@pytest.mark.expected_log(
    r"^refused a peer: bad hello \(bad-payload: hello: missing field 'token'\)$",
)
def test_token_must_be_present(bridge: StageBridge) -> None:
    with connect(bridge.url) as conn:
        conn.send('{"v":1,"id":"h","type":"hello","payload":{"protocol":1,"engine":"x"}}')
        assert closed_with(conn) == CLOSE_BAD_HELLO


@pytest.mark.expected_log(r"^refused a peer speaking protocol 2$")
def test_wrong_protocol_closes_4401(bridge: StageBridge) -> None:
    with connect(bridge.url) as conn:
        conn.send(hello(bridge.token, protocol_version=2))
        assert closed_with(conn) == CLOSE_BAD_HELLO


@pytest.mark.expected_log(r"^refused a second stage while one is connected$")
def test_second_peer_is_refused_while_first_lives(bridge: StageBridge) -> None:
    first = open_stage(bridge)
    with connect(bridge.url) as second:
        second.send(hello(bridge.token))
        assert closed_with(second) == CLOSE_BUSY
    # The first peer is unaffected and still answered.
    first.send(protocol.serialise(Envelope("q", protocol.Log("info", "still here"))))
    first.close()
    # Once the first is gone a new stage may connect.
    open_stage(bridge).close()


@pytest.mark.expected_log(
    r"^refused a frame from the stage \((bad-json|unknown-type|bad-payload|bad-envelope)\): ",
)
def test_malformed_frames_get_error_replies_and_the_link_survives(bridge: StageBridge) -> None:
    events: queue.Queue[object] = queue.Queue()
    bridge.add_listener(events.put)
    conn = open_stage(bridge)
    cases = {
        "not json": ("bad-json", None),
        '{"v":1,"id":"x1","type":"teleport","payload":{}}': ("unknown-type", "x1"),
        '{"v":1,"id":"x2","type":"scene.apply","payload":{}}': ("unknown-type", "x2"),  # wrong way
        '{"v":1,"id":"x3","type":"log","payload":{"level":"loud","message":"m"}}': (
            "bad-payload",
            "x3",
        ),
        '{"v":1,"type":"pong","payload":{}}': ("bad-envelope", None),
    }
    for frame, (code, re) in cases.items():
        conn.send(frame)
        reply = json.loads(conn.recv(timeout=5))
        assert reply["type"] == "error"
        assert reply["payload"]["code"] == code
        assert reply.get("re") == re
    conn.send(protocol.serialise(Envelope("ok", protocol.Log("info", "fine"))))
    while not isinstance(event := events.get(timeout=5), Message):
        assert isinstance(event, PeerConnected)
    assert event.envelope.id == "ok"
    conn.close()


@pytest.mark.expected_log(r"^refused a frame from the stage \(bad-json\): ")
def test_a_text_frame_that_is_not_utf8_gets_an_error_reply(bridge: StageBridge) -> None:
    conn = open_stage(bridge)
    conn.send(b'{"v":1,"id":"\xff"}', text=True)
    reply = json.loads(conn.recv(timeout=5))
    assert reply["type"] == "error" and reply["payload"]["code"] == "bad-json"
    _, future = bridge.request(Ping())  # the link survives
    ping = json.loads(conn.recv(timeout=5))
    conn.send(protocol.serialise(Envelope("p1", Pong(), re=ping["id"])))
    assert future.result(timeout=5).id == "p1"
    conn.close()


def test_fragmented_and_binary_messages_arrive_whole_and_in_order(bridge: StageBridge) -> None:
    """Whole frames are handled as they are read; a message split into fragments takes the
    connection's own queue, and a binary frame holding JSON is read like a text one."""
    events: queue.Queue[object] = queue.Queue()
    bridge.add_listener(events.put)
    conn = open_stage(bridge)
    first = protocol.serialise(Envelope("m1", protocol.Log("info", "one")))
    conn.send([first[:10], first[10:25], first[25:]])
    conn.send(protocol.serialise(Envelope("m2", protocol.Log("info", "two"))).encode())
    conn.send(protocol.serialise(Envelope("m3", protocol.Log("info", "three"))))
    ids: list[str] = []
    while len(ids) < 3:
        event = events.get(timeout=5)
        if isinstance(event, Message):
            ids.append(event.envelope.id)
    assert ids == ["m1", "m2", "m3"]
    conn.close()


def test_oversized_frame_closes_1009(bridge: StageBridge) -> None:
    conn = open_stage(bridge)
    conn.send("x" * (protocol.MAX_FRAME_BYTES + 1))
    assert closed_with(conn) == 1009


def test_request_is_answered_by_re_and_stale_answers_are_ignored(bridge: StageBridge) -> None:
    events: queue.Queue[object] = queue.Queue()
    bridge.add_listener(events.put)
    conn = open_stage(bridge)

    def echo() -> None:
        try:
            while True:
                frame = json.loads(conn.recv(timeout=5))
                if frame["type"] == "ping":
                    conn.send(
                        protocol.serialise(Envelope("r" + frame["id"], Pong(), re=frame["id"]))
                    )
        except (ConnectionClosed, TimeoutError):
            pass

    thread = threading.Thread(target=echo)
    thread.start()
    request_id, future = bridge.request(Ping())
    answer = future.result(timeout=5)
    assert answer.re == request_id and isinstance(answer.payload, Pong)

    forgotten_id, forgotten = bridge.request(Ping())
    bridge.forget(forgotten_id)
    assert forgotten.cancelled()
    conn.close()
    thread.join()
    kinds = [type(events.get(timeout=5))]
    while kinds[-1] is not PeerDisconnected:
        kinds.append(type(events.get(timeout=5)))
    assert kinds[0] is PeerConnected and Message in kinds


def test_pending_request_fails_when_stage_disconnects(bridge: StageBridge) -> None:
    conn = open_stage(bridge)
    _, future = bridge.request(Ping())
    conn.recv(timeout=5)
    conn.close()
    with pytest.raises(BridgeError) as exc:
        future.result(timeout=5)
    assert exc.value.reason == "stage-disconnected"


@pytest.mark.expected_log(r"^refused a frame from the stage \(bad-json\): ")
def test_a_bad_frame_and_a_close_in_one_write_end_quietly(bridge: StageBridge) -> None:
    """The reader thread meets the bad frame with the connection already closing: there is
    no one left to tell, and saying so must not fail (any error log fails this test)."""
    events: queue.Queue[object] = queue.Queue()
    bridge.add_listener(events.put)
    for _ in range(10):
        with open_stage(bridge) as conn:
            conn.protocol.send_text(b"not json")
            conn.protocol.send_close(1000, "bye")
            conn.socket.sendall(b"".join(conn.protocol.data_to_send()))
            conn.close_socket()
        while not isinstance(event := events.get(timeout=5), PeerDisconnected):
            assert isinstance(event, PeerConnected)


def test_a_stage_that_stops_reading_is_dropped_instead_of_blocking_senders() -> None:
    with StageBridge(send_timeout_s=0.5) as bridge:
        events: queue.Queue[object] = queue.Queue()
        bridge.add_listener(events.put)
        stalled = ClientProtocol(parse_uri(bridge.url), max_size=None)
        with socket.create_connection(("127.0.0.1", bridge.port)) as raw:
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            stalled.send_request(stalled.connect())
            raw.sendall(b"".join(stalled.data_to_send()))
            stalled.receive_data(raw.recv(4096))  # the 101 answer
            stalled.send_text(hello(bridge.token).encode())
            raw.sendall(b"".join(stalled.data_to_send()))
            assert isinstance(events.get(timeout=5), PeerConnected)
            # it reads nothing more: the socket buffers fill, then a send gives up

            def keep_sending() -> None:
                with contextlib.suppress(BridgeError):  # not-connected once it was dropped
                    while bridge.connected:
                        bridge.send_text("x" * 500_000)

            sender = threading.Thread(target=keep_sending, daemon=True)
            sender.start()
            sender.join(timeout=10)
            assert not sender.is_alive(), "a send blocked on the stalled stage"
            assert isinstance(events.get(timeout=5), PeerDisconnected)
            assert not bridge.connected


def test_send_without_stage_raises(bridge: StageBridge) -> None:
    with pytest.raises(BridgeError) as exc:
        bridge.send(Ping())
    assert exc.value.reason == "not-connected"


@pytest.mark.expected_log(r"^stage: no such expression$")
def test_stage_log_lines_go_to_the_stage_logger(
    bridge: StageBridge, caplog: pytest.LogCaptureFixture
) -> None:
    conn = open_stage(bridge)
    answered = threading.Event()
    bridge.add_listener(lambda event: answered.set() if isinstance(event, Message) else None)
    caplog.set_level(logging.DEBUG, logger=log.stage.name)
    conn.send(protocol.serialise(Envelope("l1", protocol.Log("warning", "no such expression"))))
    assert answered.wait(5)
    assert [
        (r.name, r.levelno, r.getMessage()) for r in caplog.records if r.name == log.stage.name
    ] == [(log.stage.name, logging.WARNING, "stage: no such expression")]
    conn.close()
