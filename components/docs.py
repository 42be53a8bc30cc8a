"""Product documentation: sanitised Markdown and plan summaries. (The API reference is Swagger UI on a page
of its own: pages/product.py.)

Markdown is converted and then cleaned with nh3, so no script or event handler reaches the page.
"""
from __future__ import annotations

import nh3
from nicegui import ui

from workflows.browse import plan_summary  # noqa: F401 - the one-line plan, read as docs.plan_summary

MARKDOWN_CSS = """
.portico-markdown h1 { font-size: 1.5rem; font-weight: 600; margin: 0.75rem 0 0.5rem; }
.portico-markdown h2 { font-size: 1.25rem; font-weight: 600; margin: 0.75rem 0 0.5rem; }
.portico-markdown h3 { font-size: 1.1rem; font-weight: 600; margin: 0.5rem 0 0.25rem; }
"""


def markdown(text: str) -> ui.markdown:
    """User-provided Markdown, converted on the server and cleaned by nh3 before it reaches the page."""
    ui.add_css(MARKDOWN_CSS)
    return ui.markdown(text or '', sanitize=nh3.clean).classes('w-full portico-markdown')
