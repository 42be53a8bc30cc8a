"""Status chips: one colour per state, the same everywhere."""
from __future__ import annotations

from nicegui import ui

COLOURS = {
    'active': 'positive', 'approved': 'positive', 'sent': 'positive', 'published': 'positive',
    'pending': 'orange', 'pending_approval': 'orange', 'pending_verification': 'amber-7', 'queued': 'blue-grey',
    'sending': 'blue', 'invited': 'indigo-4',
    'inactive': 'grey', 'revoked': 'grey', 'rejected': 'negative', 'failed': 'negative',
}


def status_chip(status: str, label: str | None = None) -> ui.chip:
    text = label or status.replace('_', ' ')
    return ui.chip(text, color=COLOURS.get(status, 'grey')).props('dense outline square') \
        .classes('text-xs').mark(f'status-{status}')
