"""API Consumers -> Invite Codes (issue 15; 003 "Invite Codes"): add, list, search, edit, deactivate, copy."""
from __future__ import annotations


from components.frame import admin_frame, admin_page
from components.invite_codes import code_table
from domain.i18n import N_, _


INTRO = N_('Whoever registers with a code joins its team and organization at once, without an approval '
           '(email verification still follows Settings), until its quota is used or it expires.')


@admin_page('/admin/invite-codes')
def invite_codes_page() -> None:
    with admin_frame(_('Invite codes'), intro=_(INTRO)):
        code_table()
