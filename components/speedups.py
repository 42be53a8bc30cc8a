"""NiceGUI 3.18 asks `inspect.signature` whether a change handler takes arguments each time it creates the
props, classes and style of an element: three times per element, about a third of a page build's time on the
event loop (a page of 20 table rows has about 550 elements). The answer for a bound method depends only on its
function, so it is remembered per function. Everything else is asked as before."""
from __future__ import annotations

import weakref
from collections.abc import Callable
from inspect import ismethod

from nicegui import helpers

_original = helpers.expects_arguments
_known: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def expects_arguments(func: Callable) -> bool:
    if not ismethod(func):
        return _original(func)
    function = func.__func__
    try:
        return _known[function]
    except (KeyError, TypeError):  # TypeError: a callable that cannot be weakly referenced
        answer = _original(func)
        try:
            _known[function] = answer
        except TypeError:
            pass
        return answer


def install() -> None:
    """Once, before the first page is built (NiceGUI's modules look the helper up at each call)."""
    helpers.expects_arguments = expects_arguments
