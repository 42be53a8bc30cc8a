"""The header's search box (issue 25, item 5): products, operations, guides and pages this visitor may see."""
from __future__ import annotations

from db.models import User


def header(user: User | None) -> None:
    """The search field of the header."""
