"""components/speedups.py: NiceGUI's "does this handler take the event?" remembered per function gives the
answers NiceGUI's own check gives, for every kind of handler the portal and NiceGUI pass."""
from __future__ import annotations

import functools

from nicegui import helpers

from components import speedups


class Handlers:
    def no_args(self) -> None: ...
    def takes_event(self, event) -> None: ...
    def optional(self, event=None) -> None: ...
    def star(self, *args) -> None: ...

    @classmethod
    def class_takes(cls, event) -> None: ...

    @staticmethod
    def static_takes(event) -> None: ...


def plain(event) -> None: ...


def test_the_remembered_answers_are_nicegui_s_answers_for_every_kind_of_handler() -> None:
    one, two = Handlers(), Handlers()
    handlers = [one.no_args, one.takes_event, one.optional, one.star, Handlers.class_takes, Handlers.static_takes,
                plain, lambda: None, lambda e: None, functools.partial(plain), functools.partial(plain, 1), print,
                two.no_args, two.takes_event]
    for handler in handlers * 2:  # the second time from memory
        assert speedups.expects_arguments(handler) is speedups._original(handler), handler
    assert speedups._known[Handlers.takes_event] is True and speedups._known[Handlers.no_args] is False


def test_the_portal_installs_it_for_nicegui(user) -> None:
    """Building the app (main.py, as the test fixtures do) puts it where NiceGUI's modules look it up."""
    assert helpers.expects_arguments is speedups.expects_arguments
