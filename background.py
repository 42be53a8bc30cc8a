"""Periodic work in the background: the mail worker, the usage flush, the key-change feed, the rate-limit
sync and the clean-up round all run through `repeat`, started with the app and stopped before it closes.

Blocking work runs in a thread (`asyncio.to_thread`, not NiceGUI's `run.io_bound`, which answers None
instead of letting a cancellation through, so a loop built on it could not be stopped). A thread cannot be
interrupted: cancelling sets the loop's `stopping` event, which long work checks between its steps (the mail
worker between two messages), and waits for the thread to finish, at most `grace` seconds, before the
cancellation goes on. A failure is logged with its traceback and the loop goes on at its next round.
"""
from __future__ import annotations

import asyncio
import inspect
import logging
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

log = logging.getLogger('portico.background')

T = TypeVar('T')
STOP_SECONDS = 3.0  # SIGTERM must stop an instance within 5 s; the mail worker finishes its message in this time
_loops: dict[str, asyncio.Task] = {}


async def in_thread(function: Callable[..., T], *args: Any, stopping: threading.Event | None = None,
                    grace: float = 0.0) -> T:
    """`function(*args)` in a thread; a cancellation sets `stopping`, waits up to `grace` seconds for the
    thread to finish, and then goes through (unlike `run.io_bound`, which swallows it)."""
    future = asyncio.ensure_future(asyncio.to_thread(function, *args))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        if stopping is not None:
            stopping.set()
        future.add_done_callback(_log_late_failure)
        if grace > 0 and not future.done():
            await asyncio.wait({future}, timeout=grace)
        raise


def _log_late_failure(future: asyncio.Future) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error('background work failed while stopping', exc_info=future.exception())


async def repeat(name: str, work: Callable[[], Any], every: float | Callable[[], float], *,
                 wait_first: bool = False, stopping: threading.Event | None = None, grace: float = 0.0) -> None:
    """Call `work` every `every` seconds (a number, or a function read at each round) until cancelled.

    A plain function runs in a thread; a coroutine function is awaited (it does its own blocking parts through
    `in_thread`). `stopping` and `grace`: see `in_thread`."""
    is_async = inspect.iscoroutinefunction(work)
    interval = every if callable(every) else (lambda: every)
    if wait_first:
        await asyncio.sleep(interval())
    while True:
        try:
            if is_async:
                await work()
            else:
                await in_thread(work, stopping=stopping, grace=grace)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a background loop must survive a database or network hiccup
            log.exception('%s failed; trying again in %s s', name, interval())
        await asyncio.sleep(interval())


def start(name: str, loop: Awaitable[None]) -> asyncio.Task:
    """Run `loop` (a `repeat(...)`) as a task of its own, stopped by `stop_all`."""
    if name in _loops and not _loops[name].done():  # an app built again in the same process (tests)
        log.warning('background loop %s of an earlier start still ran; cancelled', name)
        _loops[name].cancel()
    task = asyncio.get_running_loop().create_task(loop, name=name)
    _loops[name] = task
    task.add_done_callback(_report)
    return task


def _report(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error('background loop %s ended', task.get_name(), exc_info=task.exception())


def running() -> list[str]:
    return sorted(name for name, task in _loops.items() if not task.done())


async def stop_all(timeout: float = STOP_SECONDS + 1) -> None:
    """Cancel every loop and wait until each has stopped (the mail worker first finishes the message it sends)."""
    tasks = [task for task in _loops.values() if not task.done()]
    _loops.clear()
    for task in tasks:
        task.cancel()
    if tasks:
        _, late = await asyncio.wait(tasks, timeout=timeout)
        for task in late:
            log.error('background loop %s did not stop within %s s', task.get_name(), timeout)
