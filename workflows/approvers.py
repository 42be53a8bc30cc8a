"""Who is told that something waits for a decision (000's tables: the organisation's contact address, the API
admin address, and with delegation the organisation's super admins)."""
from __future__ import annotations

from db.models import App, Organisation, Role, User, UserStatus
from mail import outbox
from workflows import settings


def notify(template: str, app: App, requester: User, values: dict, **context) -> None:
    """000: the organisation's contact address; and the API admin address, who decides too."""
    org = Organisation.get_by_id(app.organisation_id)
    recipients = set(settings.admin_addresses())
    if not org.is_default:
        if org.contact_email:
            recipients.add(org.contact_email)
        elif values['delegate_app_management']:
            recipients.update(admin.email for admin in super_admins_of(org.id))
    for address in sorted(recipients):
        outbox.queue(template, address, requester_name=requester.full_name, requester_email=requester.email,
                     organisation_name=org.name, **context)


def super_admins_of(organisation_id: int) -> list[User]:
    return list(User.select().where((User.organisation == organisation_id) & (User.role == Role.SUPER_ADMIN)
                                    & (User.status == UserStatus.ACTIVE)))
