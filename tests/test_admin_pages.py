"""The admin's Settings, Email templates and Audit log pages."""
from __future__ import annotations

from db.models import AuditEvent, EmailTemplate
from tests.utils import admin_opens
from workflows import settings


# --- Settings --------------------------------------------------------------------------------------

async def test_admin_turns_on_auto_approve_users(user) -> None:
    await admin_opens(user, '/admin/settings')
    await user.should_see('API Consumer access')
    user.find(marker='setting-auto_approve_users').click()
    user.find(marker='settings-save').click()
    await user.should_see('Settings saved.')
    assert settings.get('auto_approve_users') is True
    assert AuditEvent.get(AuditEvent.action == 'settings.update').detail == {'changes': {'auto_approve_users': True}}


async def test_admin_renames_the_portal_and_the_header_follows(user) -> None:
    await admin_opens(user, '/admin/settings')
    user.find(marker='setting-portal_name').clear().type('Acme APIs')
    user.find(marker='settings-save').click()
    await user.should_see('Settings saved.')
    assert settings.get('portal_name') == 'Acme APIs'
    await user.open('/admin/settings')
    await user.should_see(marker='brand', retries=50)  # rows are read in a worker
    with user.scope(marker='brand'):
        await user.should_see('Acme APIs')


async def test_a_bad_admin_email_is_shown_next_to_the_field_and_nothing_is_stored(user) -> None:
    await admin_opens(user, '/admin/settings')
    before = settings.load()
    assert 'PORTICO_ADMIN_EMAIL' in user.find(marker='setting-admin_email').elements.pop().props['hint']
    user.find(marker='setting-auto_approve_apps').click()
    user.find(marker='setting-admin_email').clear().type('not-an-address')
    user.find(marker='settings-save').click()
    await user.should_see('Enter a valid email address.')
    assert user.find(marker='setting-admin_email').elements.pop().error == 'Enter a valid email address.'
    assert settings.load() == before  # the valid switch change was not stored either
    assert not AuditEvent.select().where(AuditEvent.action == 'settings.update').exists()


# --- Email templates -------------------------------------------------------------------------------

async def test_admin_edits_a_template_subject(user) -> None:
    await admin_opens(user, '/admin/email-templates')
    await user.should_see('Password reset link')
    await user.should_see(marker='template-default-reset')
    user.find(marker='template-edit-reset').click()
    await user.should_see('${link}')
    user.find(marker='template-subject').clear().type('Your new ${portal_name} password')
    user.find(marker='template-save').click()
    await user.should_see('Template saved.')
    row = EmailTemplate.get(EmailTemplate.key == 'reset')
    assert row.subject == 'Your new ${portal_name} password' and '${link}' in row.body
    await user.should_see(marker='template-customised-reset')
    await user.should_see('customised')


async def test_an_unknown_placeholder_is_refused(user) -> None:
    await admin_opens(user, '/admin/email-templates')
    user.find(marker='template-edit-created').click()
    user.find(marker='template-body').type('\nYour password: ${password}')
    user.find(marker='template-save').click()
    await user.should_see('Unknown placeholder: ${password}')
    assert user.find(marker='template-body').elements.pop().error.startswith('Unknown placeholder')
    assert EmailTemplate.select().count() == 0


async def test_reset_to_default_removes_the_override(user) -> None:
    await admin_opens(user, '/admin/email-templates')
    user.find(marker='template-edit-test').click()
    user.find(marker='template-subject').clear().type('Ping from ${portal_name}')
    user.find(marker='template-save').click()
    await user.should_see(marker='template-customised-test')
    assert EmailTemplate.select().count() == 1
    user.find(marker='template-edit-test').click()
    await user.should_see('Ping from ${portal_name}')
    user.find(marker='template-reset').click()
    user.find(marker='template-reset-confirm').click()
    await user.should_see('Template reset to the default.')
    await user.should_see(marker='template-default-test')
    assert EmailTemplate.select().count() == 0


async def test_preview_renders_the_sample_values(user) -> None:
    await admin_opens(user, '/admin/email-templates')
    user.find(marker='template-edit-verify').click()
    await user.should_see(marker='template-body')  # the editor is open, with no preview until one is asked for
    await user.should_not_see(marker='template-preview-area')
    user.find(marker='template-body').clear().type('Dear ${first_name} ${last_name}, open ${link}')
    user.find(marker='template-preview').click()
    await user.should_see(marker='template-preview-area')
    await user.should_see('Dear Ada Lovelace, open https://portal.example.com/auth/verify')
    assert EmailTemplate.select().count() == 0  # a preview saves nothing


# --- Audit log -------------------------------------------------------------------------------------

async def test_audit_log_is_empty_on_a_fresh_portal(user) -> None:
    await admin_opens(user, '/admin/audit')
    await user.should_see('Nothing happened yet.')


async def test_audit_log_lists_a_settings_change_with_its_author(user) -> None:
    await admin_opens(user, '/admin/settings')
    user.find(marker='setting-delegate_app_management').click()
    user.find(marker='settings-save').click()
    await user.should_see('Settings saved.')
    AuditEvent.create(actor=None, action='mail.cleanup', detail={})
    await user.open('/admin/audit')
    await user.should_see('settings.update')
    await user.should_see('mail.cleanup')
    await user.should_see('system')
    user.find(marker='audit-actor').type('provider.test')
    await user.should_see('1–1 of 1')
    await user.should_see(marker='audit-row', retries=50)  # rows are read in a worker
    with user.scope(marker='audit-row'):
        await user.should_see('settings.update')
        await user.should_see('admin@provider.test')
        await user.should_see('delegate_app_management')
    await user.should_not_see('mail.cleanup')
