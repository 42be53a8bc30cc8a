"""Who may do what: pure rules over the database, no web session (Datasette's `can` / `ensure` pair).

Pages call `can` to hide what a user may not do; workflows call `ensure`, which raises. Who decides a
pending queue (registrations, apps, access requests) is said once, by `decider_scope`, and used both by
the rules and by the queries that list what waits for a user's decision.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from peewee import SQL

from db import settings
from db.models import Organisation, OrgStatus, Role, User, UserStatus
from domain.errors import PermissionDenied
from domain.i18n import Lazy


def is_signed_in(user: User | None) -> bool:
    return user is not None and user.status == UserStatus.ACTIVE


def is_portal_admin(user: User | None) -> bool:
    return is_signed_in(user) and user.is_portal_admin


def is_super_admin_of(user: User | None, organisation: Organisation | int | None) -> bool:
    """A super admin of this (active, non-default) organisation."""
    org_id = organisation.id if isinstance(organisation, Organisation) else organisation
    return (is_signed_in(user) and user.role == Role.SUPER_ADMIN and org_id is not None
            and user.organisation_id == org_id and _org_is_active_non_default(org_id))


def _org_is_active_non_default(org_id: int) -> bool:
    return Organisation.select().where((Organisation.id == org_id) & (Organisation.status == OrgStatus.ACTIVE)
                                       & ~Organisation.is_default).exists()


def _delegated(setting_key: str) -> bool:
    return bool(settings.get(setting_key))


# --- who decides a queue ----------------------------------------------------------------------------

REGISTRATIONS = 'registration'
APPS = 'app'
ACCESS = 'access'
_DELEGATION = {REGISTRATIONS: 'delegate_user_management', APPS: 'delegate_app_management',
               ACCESS: 'delegate_app_management'}


@dataclass(frozen=True)
class Scope:
    """Whose pending items a user decides: everyone's, one organisation's, or nobody's."""
    everyone: bool = False
    organisation_id: int | None = None

    @property
    def nobody(self) -> bool:
        return not self.everyone and self.organisation_id is None

    def includes(self, organisation_id: int | None) -> bool:
        return self.everyone or (self.organisation_id is not None and self.organisation_id == organisation_id)

    def filter(self, query, organisation_field):
        """Narrow a query of pending items to this scope (nothing for nobody)."""
        if self.everyone:
            return query
        if self.organisation_id is not None:
            return query.where(organisation_field == self.organisation_id)
        return query.where(SQL('1 = 0'))


EVERYONE = Scope(everyone=True)
NOBODY = Scope()


def decider_scope(user: User | None, kind: str) -> Scope:
    """000, cases 3-4 of each workflow: portal admins decide everything; with the delegation setting
    on, an organisation's super admins decide their own organisation's items too."""
    if is_portal_admin(user):
        return EVERYONE
    if _delegated(_DELEGATION[kind]) and is_super_admin_of(user, user.organisation_id):
        return Scope(organisation_id=user.organisation_id)
    return NOBODY


def may_manage_invite_codes(user: User | None, organisation: Organisation | int | None) -> bool:
    """Issue 15: portal admins for every team; an organisation's super admins for their own
    organisation's teams, when the setting `org_admins_invite_codes` allows it (default off)."""
    if is_portal_admin(user):
        return True
    org_id = organisation.id if isinstance(organisation, Organisation) else organisation
    return _delegated('org_admins_invite_codes') and is_super_admin_of(user, org_id)


def invite_code_scope(user: User | None) -> Scope:
    """Whose invite codes a user sees and manages: everyone's, their organisation's, or nobody's."""
    if is_portal_admin(user):
        return EVERYONE
    if user is not None and may_manage_invite_codes(user, user.organisation_id):
        return Scope(organisation_id=user.organisation_id)
    return NOBODY


# --- the rules ------------------------------------------------------------------------------------

def _admin(user: User | None, _obj: object) -> bool:
    return is_portal_admin(user)


RULES: dict[str, Callable[[User | None, object], bool]] = {
    'view_admin': _admin,
    'manage_settings': _admin,
    'manage_users': _admin,
    'manage_templates': _admin,
    'view_outbox': _admin,
    'manage_organisations': _admin,
    'manage_catalog': _admin,
    'manage_pages': _admin,
    'decide_registration': lambda user, registrant: decider_scope(user, REGISTRATIONS).includes(
        registrant.organisation_id),
    'decide_app': lambda user, app: decider_scope(user, APPS).includes(app.organisation_id),
    'decide_access': lambda user, request: decider_scope(user, ACCESS).includes(request.app.organisation_id),
    'manage_org_members': lambda user, org: is_portal_admin(user) or is_super_admin_of(user, org),
    'view_org_members': lambda user, org: is_portal_admin(user) or (
        is_signed_in(user) and user.organisation_id == getattr(org, 'id', org)),
    'submit_api': lambda user, _: is_super_admin_of(user, user.organisation_id) if user else False,
    'manage_invite_codes': may_manage_invite_codes,  # obj: the organisation of the code's team
    'view_dashboard': lambda user, _: is_signed_in(user),
    'edit_profile': lambda user, target: is_signed_in(user) and getattr(target, 'id', None) == user.id,
}


def can(user: User | None, action: str, obj: object = None) -> bool:
    """May `user` do `action` (to `obj`)? Pages use it to hide what the user may not do."""
    rule = RULES.get(action)
    return bool(rule and rule(user, obj))


def ensure(user: User | None, action: str, obj: object = None, message: str | Lazy | None = None) -> None:
    """Workflows call this first; it raises PermissionDenied when `can` says no."""
    if not can(user, action, obj):
        raise PermissionDenied(message) if message else PermissionDenied()
