"""Status chips: one colour per state, the same everywhere."""
from __future__ import annotations

from nicegui import ui

COLOURS = {  # dark enough for WCAG AA contrast as text on white
    'active': 'positive', 'approved': 'positive', 'sent': 'positive', 'published': 'positive',
    'pending': 'deep-orange-10', 'pending_approval': 'deep-orange-10', 'pending_verification': 'brown-8',
    'queued': 'blue-grey-8', 'sending': 'blue-9', 'invited': 'indigo-8',
    'inactive': 'grey-8', 'revoked': 'grey-8', 'rejected': 'negative', 'failed': 'negative',
    'delivered': 'positive', 'enabled': 'positive', 'disabled': 'grey-8',
}


def status_chip(status: str, label: str | None = None) -> ui.chip:
    text = label or status.replace('_', ' ')
    return ui.chip(text, color=COLOURS.get(status, 'grey-8')).props('dense outline square') \
        .classes('text-xs').mark(f'status-{status}')
