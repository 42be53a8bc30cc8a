"""Status chips: one colour per state, the same everywhere."""
from __future__ import annotations

from nicegui import ui

from domain.i18n import N_, _

from db.models import (AccessStatus, ApiStatus, AppStatus, CredentialStatus, DeliveryStatus, OrgStatus, OutboxStatus,
                       UserStatus)

COLOURS = {  # dark enough for WCAG AA contrast as text on white; the statuses of every table share these words
    UserStatus.ACTIVE: 'positive', AccessStatus.APPROVED: 'positive', OutboxStatus.SENT: 'positive',
    ApiStatus.PUBLISHED: 'positive',
    OrgStatus.PENDING: 'deep-orange-10', UserStatus.PENDING_APPROVAL: 'deep-orange-10',
    UserStatus.PENDING_VERIFICATION: 'brown-8',
    OutboxStatus.QUEUED: 'blue-grey-8', OutboxStatus.SENDING: 'blue-9', UserStatus.INVITED: 'indigo-8',
    UserStatus.INACTIVE: 'grey-8', CredentialStatus.REVOKED: 'grey-8', AppStatus.REJECTED: 'negative',
    OutboxStatus.FAILED: 'negative',
    DeliveryStatus.DELIVERED: 'positive', 'enabled': 'positive', 'disabled': 'grey-8',
}
# the words of the statuses as shown (translated where shown: `_(word)`)
WORDS = (N_('pending'), N_('active'), N_('rejected'), N_('pending verification'), N_('pending approval'),
         N_('invited'), N_('inactive'), N_('approved'), N_('revoked'), N_('queued'), N_('sending'), N_('sent'),
         N_('failed'), N_('delivered'), N_('published'), N_('draft'), N_('enabled'), N_('disabled'), N_('expired'),
         N_('Active'), N_('Inactive'), N_('Team member'), N_('Super admin'))


def status_chip(status: str, label: str | None = None) -> ui.chip:
    text = _(str(label or status.replace('_', ' ')))
    return ui.chip(text, color=COLOURS.get(status, 'grey-8')).props('dense outline square') \
        .classes('text-xs').mark(f'status-{status}')
