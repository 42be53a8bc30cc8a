"""The sharing rule (001 step 5), in one place: who sees which apps.

Every app of an organisation is visible to all its active members; in the default organisation, where
individual developers live, an app is visible to its owner only. Membership is read from the database
each time, so a user who leaves or is removed loses access at once.
"""
from __future__ import annotations

from db.models import App, Organisation, User, UserStatus


def apps_visible_to(user: User | None):
    """A query of the apps `user` may see and use (portal admins see them in the admin area instead)."""
    if user is None or user.status != UserStatus.ACTIVE:
        return App.select().where(App.id.is_null())  # nothing
    org = Organisation.get_by_id(user.organisation_id)
    if org.is_default:
        return App.select().where((App.organisation == org) & (App.owner == user))
    return App.select().where(App.organisation == org)


def can_see_app(user: User | None, app_id: int) -> App | None:
    """The app if `user` may see it, else None (an ID of another organisation's app is 'not found')."""
    if not 0 < app_id < 2 ** 63:  # beyond the column's range: no such app (and no database error)
        return None
    return apps_visible_to(user).where(App.id == app_id).first()
