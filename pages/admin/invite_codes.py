"""API Consumers -> Invite Codes (issue 15; 003 "Invite Codes"): add, list, search, edit, deactivate, copy."""
from __future__ import annotations

from nicegui import ui

import session
from components.frame import admin_frame
from components.invite_codes import code_table


@ui.page('/admin/invite-codes')
@session.admin_required
def invite_codes_page() -> None:
    with admin_frame('Invite codes'):
        ui.label('Whoever registers with a code joins its team and organization at once, without an approval '
                 '(email verification still follows Settings), until its quota is used or it expires.') \
            .classes('text-grey-8')
        code_table()
