"""Timing what NiceGUI's simulated user does (bench/page_budget.py): the SQL statements it causes, the event
loop's longest stall meanwhile, and the steps to time, each a pair of coroutines: `prepare` (untimed: open the page,
the dialog) and `act` (timed: until the new rows, the dialog's field, the new options are shown).
"""
from __future__ import annotations

import asyncio
import time

from bench.big_portal import PASSWORD


class Counter:
    """SQL statements of every thread (list reads run in worker threads); the mail worker polls once a minute."""

    def __init__(self) -> None:
        from db.connection import database
        self.n = 0
        self.database = database.obj
        self.original = database.obj.execute_sql

    def __enter__(self) -> Counter:
        def counting(sql, params=None, *args, **kwargs):
            self.n += 1
            return self.original(sql, params, *args, **kwargs)

        self.database.execute_sql = counting
        return self

    def __exit__(self, *_) -> None:
        self.database.execute_sql = self.original


def found(user, marker: str) -> set:
    try:
        return set(user.find(marker=marker).elements)
    except AssertionError:
        return set()


async def shown(user, markers: list[str], before: set, timeout: float = 10.0) -> None:
    """Until an element with one of these markers that was not there `before` appears (the new rows)."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        for marker in markers:
            if found(user, marker) - before:
                return
        await asyncio.sleep(0.0005)
    raise AssertionError(f'{markers} did not appear')


async def log_in(user, email: str) -> None:
    await user.open('/login')
    user.find(marker='login-email').type(email)
    user.find(marker='login-password').type(PASSWORD)
    user.find(marker='login-submit').click()
    deadline = time.perf_counter() + 60  # argon2 at its production cost on a busy machine
    while found(user, 'login-card') and time.perf_counter() < deadline:
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)


class StallWatch:
    """The longest time the event loop went without running a task that asks to run every millisecond: how long
    the longest single piece of work (a page build, a handler) held the loop that every page, websocket and
    gateway call of the instance shares (DESIGN.md: no request blocks it for more than 50 ms)."""

    async def __aenter__(self) -> StallWatch:
        self.longest = 0.0
        self.task = asyncio.create_task(self._watch())
        await asyncio.sleep(0)
        return self

    async def _watch(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.001)
            self.longest = max(self.longest, (time.perf_counter() - before - 0.001) * 1000)

    async def __aexit__(self, *_) -> None:
        await asyncio.sleep(0.002)  # the watcher's last wake-up sees the end of the last piece of work
        self.task.cancel()


def opening(user, path: str):
    async def act() -> None:
        await user.open(path)
    return act


def searching(user, path: str, marker: str, text: str, markers: list[str] | None = None):
    """Open `path` (untimed), then type `text` in the table's search and wait for its new rows."""
    async def prepare() -> None:
        await user.open(path)

    async def act() -> None:
        watched = markers or [f'{marker}-count', f'{marker}-empty']
        before = set().union(*(found(user, m) for m in watched))
        user.find(marker=f'{marker}-search').type(text)
        await shown(user, watched, before)
    return prepare, act


def last_page(user, path: str, marker: str, count_marker: str | None = None):
    """Open `path` (untimed), then click the last page number and wait for its rows."""
    async def prepare() -> None:
        await user.open(path)

    async def act() -> None:
        watched = [count_marker or f'{marker}-count']
        before = set().union(*(found(user, m) for m in watched))
        [pages] = found(user, f'{marker}-pages')
        with user.client:
            pages.value = pages.props['max']
        await shown(user, watched, before)
    return prepare, act


def dialog(user, path: str, button: str, inside: str):
    """Open `path` (untimed), then click `button` and wait for the dialog's field `inside`."""
    async def prepare() -> None:
        await user.open(path)

    async def act() -> None:
        before = found(user, inside)
        user.find(marker=button).click()
        await shown(user, [inside], before)
    return prepare, act


def typing(user, path: str, button: str, picker: str, text: str):
    """Open `path` and the dialog (untimed), then type `text` into the picker and wait for its new options."""
    async def prepare() -> None:
        await user.open(path)
        user.find(marker=button).click()
        await shown(user, [picker], set())

    async def act() -> None:
        [select] = found(user, picker)
        options = select.options
        user.find(marker=picker).trigger('inputValue', text)  # what the browser sends as one types
        deadline = time.perf_counter() + 10
        while select.options is options and time.perf_counter() < deadline:
            await asyncio.sleep(0.0005)
    return prepare, act
