"""A gateway answer as the bytes it is sent as, written to the connection in one piece.

A decision's answer is fixed when its key is loaded (gateway/key_info.py), so its header lines can be encoded
then, once. uvicorn's own `send` checks and lower-cases every header of every answer, one by one, and writes the
head and the body apart: for an allowed call's six to nine headers that was a fifth of the decision's CPU time
(bench/introspection.py). Under uvicorn's httptools protocol, `write` puts the same bytes on the connection itself
(status line, uvicorn's date and server headers, then the answer's) and completes the response the way uvicorn's
`send` does. In any case it does not know (another server or protocol, a connection that closes after this answer,
a paused transport, a HEAD, an access log that would log the call) it leaves the answer to `send`.
"""
from __future__ import annotations

import logging

try:  # uvicorn's HTTP/1.1 protocol on httptools, the one the portal and the gateway-only process run on
    from uvicorn.protocols.http.httptools_impl import STATUS_LINE, RequestResponseCycle
except ImportError:  # pragma: no cover - without httptools uvicorn runs h11, answered through `send`
    STATUS_LINE, RequestResponseCycle = {}, None

# the cycle's attributes write() reads and sets: when a uvicorn release renames one, answers go through `send`
_KNOWN = RequestResponseCycle is not None and all(
    name in RequestResponseCycle.__init__.__code__.co_names for name in (
        'transport', 'flow', 'access_log', 'access_logger', 'default_headers', 'message_event', 'on_response',
        'disconnected', 'keep_alive', 'waiting_for_100_continue', 'response_started', 'response_complete',
        'chunked_encoding', 'expected_content_length'))


class Answer(tuple):
    """(status, headers, body), as the gateway paths answer, with a content-length among its headers; `lines` holds
    its header lines and body as they are written, encoded once."""

    def __new__(cls, status: int, headers: tuple[tuple[bytes, bytes], ...], body: bytes) -> Answer:
        answer = tuple.__new__(cls, (status, headers, body))
        answer.lines = b''.join([name + b': ' + value + b'\r\n' for name, value in headers]) + b'\r\n' + body
        return answer


_defaults: list = [None, b'']  # uvicorn's default headers (a new list every second: the date), and their lines


def write(send, method: str, answer) -> bool:
    """Write `answer` (an Answer) on the connection of `send` and complete the response; False when `send` must
    send it instead."""
    cycle = getattr(send, '__self__', None)
    if (type(cycle) is not RequestResponseCycle or not _KNOWN or type(answer) is not Answer or method == 'HEAD'
            or not cycle.keep_alive or cycle.disconnected or cycle.response_started or cycle.flow.write_paused
            or cycle.access_log and cycle.access_logger.isEnabledFor(logging.INFO)):
        return False
    defaults = cycle.default_headers
    if defaults is not _defaults[0]:
        _defaults[:] = defaults, b''.join([name + b': ' + value + b'\r\n' for name, value in defaults])
    # what uvicorn's send sets for a head with a content-length and the whole body
    cycle.response_started = cycle.response_complete = True
    cycle.waiting_for_100_continue = False
    cycle.chunked_encoding = False
    cycle.expected_content_length = 0
    cycle.transport.write(STATUS_LINE[answer[0]] + _defaults[1] + answer.lines)
    cycle.message_event.set()
    cycle.on_response()
    return True
