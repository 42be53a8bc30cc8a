"""Dialogs that remove themselves once closed, so a page never holds stale copies of a form."""
from __future__ import annotations

from nicegui import ui


def dialog() -> ui.dialog:
    box = ui.dialog()
    box.on_value_change(lambda event: None if event.value else box.delete())
    return box
