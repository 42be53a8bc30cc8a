"""The admin's content pages (issue 25, item 2): Markdown pages with a slug, a menu place and an audience."""
from __future__ import annotations

from db.models import User


def menu(user: User | None, place: str) -> list[tuple[str, str]]:
    """(title, path) of the published pages of the menu `place` ('header' or 'footer') that `user` may see."""
    return []
