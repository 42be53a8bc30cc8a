"""Issue 27 (the decision's cost): a gateway answer written on the connection by gateway/wire.py is, byte for byte,
what uvicorn's own `send` writes for it, on a kept-alive connection, with pipelined requests, for HEAD and for a
client that closes; a real uvicorn server (httptools) on a port of its own."""
from __future__ import annotations

import socket
import threading
import time

import pytest
import uvicorn

from gateway import wire
from gateway.key_info import gone_answers
from tests.utils import free_port

ALLOWED = wire.Answer(200, ((b'x-portico-app', b'Bot'), (b'x-portico-app-id', b'7'), (b'x-portico-plan', b'Free'),
                            (b'x-portico-product', b'weather'), (b'deprecation', b'@1796659200'),
                            (b'content-length', b'0')), b'')
GONE = gone_answers('http://gateway.test/weather/v2/')[0]
written: list[str] = []


async def app(scope, receive, send) -> None:
    """/wire/<answer>: through wire.write (as the gateway paths); /send/<answer>: through uvicorn's send."""
    if scope['type'] != 'http':
        return
    how, _, which = scope['path'].strip('/').partition('/')
    answer = {'allowed': ALLOWED, 'gone': GONE}[which]
    if how == 'wire' and wire.write(send, scope['method'], answer):
        written.append(scope['path'])
        return
    status, headers, body = answer
    await send({'type': 'http.response.start', 'status': status, 'headers': headers})
    await send({'type': 'http.response.body', 'body': body})


@pytest.fixture(scope='module', params=[True, False], ids=['server header', 'no server header'])
def server(request):
    port = free_port()
    served = uvicorn.Server(uvicorn.Config(app, host='127.0.0.1', port=port, http='httptools', lifespan='off',
                                           log_level='warning', access_log=False, date_header=False,
                                           server_header=request.param))
    thread = threading.Thread(target=served.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not served.started:
        assert time.monotonic() < deadline, 'uvicorn did not start'
        time.sleep(0.05)
    yield port
    served.should_exit = True
    thread.join(10)


def exchange(port: int, requests: list[bytes], closes: bool = False) -> bytes:
    """Send the requests on one connection at once (pipelined), and read every byte answered (until the server
    closes, or for half a second once something came)."""
    with socket.create_connection(('127.0.0.1', port), timeout=5) as connection:
        connection.sendall(b''.join(requests))
        received = b''
        connection.settimeout(0.5 if not closes else 5)
        while True:
            try:
                chunk = connection.recv(65536)
            except TimeoutError:
                return received
            if not chunk:
                return received + b'<closed>'
            received += chunk


def request(how: str, which: str, method: str = 'GET', extra: str = '') -> bytes:
    return f'{method} /{how}/{which} HTTP/1.1\r\nHost: gateway.test\r\n{extra}\r\n'.encode()


@pytest.mark.parametrize('which', ['allowed', 'gone'])
def test_an_answer_written_by_the_gateway_is_the_bytes_uvicorn_sends(server, which) -> None:
    written.clear()
    for requests in ([('GET', '')], [('GET', ''), ('GET', ''), ('GET', '')], [('HEAD', '')],
                     [('GET', ''), ('GET', 'Connection: close\r\n')]):
        closes = 'close' in requests[-1][1]
        by_wire = exchange(server, [request('wire', which, *r) for r in requests], closes)
        by_send = exchange(server, [request('send', which, *r) for r in requests], closes)
        assert by_wire == by_send, requests
        assert by_wire.count(b'HTTP/1.1 ') == len(requests)
        assert by_wire.endswith(b'<closed>') == closes
    # the plain calls went through wire.write (HEAD and the closing call through send)
    assert written.count(f'/wire/{which}') == 1 + 3 + 1


def test_an_answer_of_the_right_shape_only_is_written_by_the_gateway(server) -> None:
    assert not wire.write(lambda message: None, 'GET', ALLOWED)  # not uvicorn's httptools cycle: send does it
