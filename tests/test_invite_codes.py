"""Issue 15, invite codes (003 "Invite Codes"): a partner's developers and a hackathon's participants
register straight into a team without approvals, through the pages, with the real emails."""
from __future__ import annotations

import os
import threading
from datetime import datetime, time, timedelta

import pytest

from db import clock
from db.connection import is_postgres
from db.models import (AuditEvent, Catalog, CatalogProduct, CatalogTeam, InviteCode, InviteCodeState, Membership,
                       Organisation, Product, Team, User, UserStatus, Visibility)
from permissions import PermissionDenied
from tests.test_attacks import counters  # noqa: F401 - the fixture: database or Redis counters
from tests.utils import (PASSWORD, a_user, an_admin, an_org_with, at_the_start_of_a_window, choose, field_error,
                         in_days, log_in, opens_as, set_settings, settle, until)
from domain.errors import DomainError, NotFound
from workflows import invite_codes, registration, throttle, tokens, unverified

PG = os.environ.get('PORTICO_TEST_DATABASE_URL', '')
# the parallel checks on the database of this run (SQLite by default), and named once more for PostgreSQL, which a
# run with PORTICO_TEST_DATABASE_URL uses: without it that one is skipped, so a report shows it did not run there
THIS_RUNS_AND_POSTGRESQL = ['this run', pytest.param('postgresql', marks=pytest.mark.skipif(
    not PG, reason='needs PORTICO_TEST_DATABASE_URL (PostgreSQL)'))]


def a_team(org_name: str, name: str = 'Default team') -> Team:
    return Team.select().join(Organisation).where((Organisation.name == org_name) & (Team.name == name)).get()


async def add_code(user, page: str, team_label: str, quota: int, expires: str, note: str,
                   marker: str = 'codes') -> str:
    """Open the page, Add invite code, fill the dialog, Save; returns the link shown once."""
    await user.open(page)
    user.find(marker=f'{marker}-add').click()
    await user.should_see(marker='code-team')
    choose(user, 'code-team', team_label)
    user.find(marker='code-quota').clear().type(str(quota))
    user.find(marker='code-expires').clear().type(expires)
    user.find(marker='code-note').type(note)
    user.find(marker='code-save').click()
    await user.should_see(marker='code-created')
    [link] = user.find(marker='code-link').elements
    [code] = user.find(marker='code-plain').elements
    assert link.value.endswith(f'/register?code={code.value}') and code.value.startswith('inv_')
    user.find(marker='code-done').click()
    return link.value


async def register_with(user, link_or_path: str, email: str, first: str = 'Dev', code: str | None = None) -> None:
    path = link_or_path.replace('http://portal.test', '')
    await user.open(path)
    user.find(marker='register-first').type(first)
    user.find(marker='register-last').type('Person')
    user.find(marker='register-email').type(email)
    user.find(marker='register-password').type(PASSWORD)
    user.find(marker='register-confirm').type(PASSWORD)
    if code is not None:
        user.find(marker='register-invite-code').clear().type(code)
    user.find(marker='register-submit').click()
    await settle(0.4)


# --- the stories --------------------------------------------------------------------------------------

async def test_partner_admin_shares_a_link_and_three_developers_land_in_the_partners_team(mailbox, user) -> None:
    set_settings(org_admins_invite_codes=True)
    partner = an_org_with('Partner Co', super_admin='boss@partner.test', contact_email='')
    a_user('deputy@partner.test', first='Dee', organisation=partner, role='super_admin')
    Team.create(organisation=partner, name='Integrators')
    an_org_with('Rival', super_admin='boss@rival.test')

    await opens_as(user, 'boss@partner.test', '/dashboard/users')
    await user.should_see(marker='org-invite-codes')
    link = await add_code(user, '/dashboard/users', 'Partner Co · Integrators', 3, in_days(14), 'Partner devs',
                          marker='org-codes')
    await user.should_see('0 of 3', retries=50)
    await user.open('/logout')

    for number in (1, 2, 3):
        await register_with(user, link, f'dev{number}@partner.test', first=f'Dev{number}')
        await user.should_see(marker='outcome-verify_email', retries=50)  # email verification still follows Settings
        message = await mailbox.wait_for(f'dev{number}@partner.test', 'Confirm your email address')
        await user.open(message.path('/auth/verify'))
        user.find(marker='verify-confirm').click()
        await user.should_see(marker='page-title', content='Catalogs', retries=30)  # active and signed in:
        assert User.get(User.email == f'dev{number}@partner.test').status == UserStatus.ACTIVE  # no approval
        await mailbox.wait_for(f'dev{number}@partner.test', 'account is ready')
        await user.open('/logout')

    integrators = Team.get(Team.name == 'Integrators')
    await until(lambda: len(mailbox.to('boss@partner.test', 'invite code')) == 3
                and len(mailbox.to('deputy@partner.test', 'invite code')) == 3, timeout=10)
    for number in (1, 2, 3):
        dev = User.get(User.email == f'dev{number}@partner.test')
        assert dev.status == UserStatus.ACTIVE and dev.organisation_id == partner.id and dev.role == 'team_member'
        assert [m.team_id for m in Membership.select().where(Membership.user == dev)] == [integrators.id]
        for admin in ('boss@partner.test', 'deputy@partner.test'):
            notice = [m for m in mailbox.to(admin, 'joined Partner Co with an invite code')
                      if f'dev{number}@partner.test' in m.body]
            assert notice and 'team: Integrators' in notice[0].body
    assert not mailbox.to('boss@rival.test') and not mailbox.to('api-admin@provider.test')
    assert InviteCode.get().used == 3
    assert AuditEvent.select().where(AuditEvent.action == 'invite_code.redeem').count() == 3

    # a developer signs in and is a member of the partner's organisation
    await opens_as(user, 'dev2@partner.test', '/dashboard/users')
    await user.should_see('Members of Partner Co')
    await user.should_not_see(marker='org-invite-codes')  # a team member manages no codes
    await user.open('/logout')
    # the rival's super admin sees none of the partner's codes
    await opens_as(user, 'boss@rival.test', '/dashboard/users')
    await user.should_see(marker='org-invite-codes')
    await user.should_see('No invite codes yet')
    await user.should_not_see('Partner devs')


async def test_hackathon_code_runs_out_at_its_quota_and_refuses_after_its_expiry(mailbox, user) -> None:
    set_settings(require_email_verification=False)
    hack = an_org_with('Hackathon 2030', super_admin='', contact_email='')
    weekend = Catalog.create(name='Hackathon weekend', visibility=Visibility.CUSTOM)
    CatalogProduct.create(catalog=weekend, product=Product.create(name='Sandbox', slug='sandbox', summary='Play'))
    CatalogTeam.create(catalog=weekend, team=a_team('Hackathon 2030'))
    an_admin('admin@provider.test')
    await log_in(user, 'admin@provider.test')
    await settle()
    link = await add_code(user, '/admin/invite-codes', 'Hackathon 2030 · Default team', 2, in_days(2), 'Weekend')
    await user.open('/logout')

    await register_with(user, link, 'ann@hack.test', first='Ann')
    await user.should_see(marker='outcome-active')
    await register_with(user, link, 'bob@hack.test', first='Bob')
    await user.should_see(marker='outcome-active')
    await register_with(user, link, 'cat@hack.test', first='Cat')
    await user.should_see('used by as many people as it allows')
    assert 'used by as many people' in field_error(user, 'register-invite-code')
    assert not User.select().where(User.email == 'cat@hack.test').exists()
    assert {u.email for u in User.select().where(User.organisation == hack)} == {'ann@hack.test', 'bob@hack.test'}
    await mailbox.wait_for('ann@hack.test', 'account is ready')

    # with the team's access: the weekend's Custom catalog, granted to the hackathon's team
    await opens_as(user, 'ann@hack.test', '/catalogs')
    await user.should_see(marker='product-sandbox')
    await user.open('/logout')

    # the admin raises the quota; after the weekend the code refuses anyway
    await opens_as(user, 'admin@provider.test', '/admin/invite-codes')
    await user.should_see('2 of 2')
    code = InviteCode.get()
    user.find(marker=f'code-edit-{code.id}').click()
    await user.should_see(marker='code-edit-save')
    user.find(marker='code-quota').clear().type('1')
    user.find(marker='code-edit-save').click()
    await user.should_see('2 people have used this code already')
    user.find(marker='code-quota').clear().type('5')
    user.find(marker='code-edit-save').click()
    await user.should_see('Invite code saved.')
    await user.should_see('2 of 5', retries=50)
    await user.open('/admin')
    await user.should_see(marker='codes-near-limits')
    await user.should_see('Weekend (Hackathon 2030 · Default team)')  # it expires within three days
    await user.open('/logout')

    clock.advance(timedelta(days=3))
    await register_with(user, link, 'dan@hack.test', first='Dan')
    await user.should_see('This invite code expired on')
    assert not User.select().where(User.email == 'dan@hack.test').exists()
    assert InviteCode.get().used == 2


async def test_invalid_and_inactive_codes_get_a_message_next_to_the_field_and_create_nothing(user) -> None:
    admin = an_admin()
    an_org_with('Acme')
    code, raw = invite_codes.create(a_team('Acme').id, 5, in_days(5), 'active', '', by=admin)
    await register_with(user, '/register', 'guess@x.test', code='inv_' + 'A' * 43)
    await user.should_see('This invite code is not valid')
    assert 'not valid' in field_error(user, 'register-invite-code')
    invite_codes.deactivate(code.id, by=admin)
    await register_with(user, f'/register?code={raw}', 'late@x.test')
    await user.should_see('This invite code is no longer active')
    assert User.select().where(User.email.in_(['guess@x.test', 'late@x.test'])).count() == 0
    assert InviteCode.get_by_id(code.id).used == 0


async def test_admin_deactivates_and_activates_a_code_on_the_page(user) -> None:
    admin = an_admin()
    an_org_with('Acme')
    code, _ = invite_codes.create(a_team('Acme').id, 5, in_days(5), 'active', 'Beta testers', by=admin)
    await opens_as(user, 'admin@provider.test', '/admin/invite-codes')
    await user.should_see('Beta testers')
    user.find(marker=f'code-deactivate-{code.id}').click()
    user.find(marker='code-deactivate-confirm').click()
    await user.should_see('Invite code deactivated.')
    assert InviteCode.get_by_id(code.id).state == InviteCodeState.INACTIVE
    await user.should_see(marker=f'code-activate-{code.id}', retries=50)  # the table reads again in a worker
    user.find(marker=f'code-activate-{code.id}').click()
    await user.should_see('Invite code activated.')
    assert InviteCode.get_by_id(code.id).state == InviteCodeState.ACTIVE
    await user.should_see(marker=f'code-deactivate-{code.id}', retries=50)
    user.find(marker='codes-search').type('nothing like it')
    await user.should_see('Nothing matches', retries=50)
    actions = [e.action for e in AuditEvent.select().where(AuditEvent.target_type == 'invitecode')
               .order_by(AuditEvent.id)]
    assert actions == ['invite_code.create', 'invite_code.deactivate', 'invite_code.activate']


# --- rules ----------------------------------------------------------------------------------------------

def test_org_super_admins_manage_codes_only_with_the_setting_and_only_their_own(db) -> None:
    acme = an_org_with('Acme', super_admin='boss@acme.test')
    an_org_with('Beta', super_admin='boss@beta.test')
    acme_boss, beta_boss = User.get(User.email == 'boss@acme.test'), User.get(User.email == 'boss@beta.test')
    member = a_user('member@acme.test', organisation=acme)
    admin = an_admin()
    with pytest.raises(PermissionDenied):
        invite_codes.create(a_team('Acme').id, 3, in_days(3), 'active', '', by=acme_boss)  # setting off
    set_settings(org_admins_invite_codes=True)
    acme_code, _ = invite_codes.create(a_team('Acme').id, 3, in_days(3), 'active', '', by=acme_boss)
    with pytest.raises(DomainError, match='Choose a team from the list'):
        invite_codes.create(a_team('Beta').id, 3, in_days(3), 'active', '', by=acme_boss)
    with pytest.raises(PermissionDenied):
        invite_codes.create(a_team('Acme').id, 3, in_days(3), 'active', '', by=member)
    beta_code, _ = invite_codes.create(a_team('Beta').id, 3, in_days(3), 'active', '', by=admin)
    assert [c.id for c in invite_codes.listing(acme_boss)[0]] == [acme_code.id]
    assert [c.id for c in invite_codes.listing(beta_boss)[0]] == [beta_code.id]
    assert invite_codes.listing(member)[0] == []
    assert {c.id for c in invite_codes.listing(admin)[0]} == {acme_code.id, beta_code.id}
    assert list(invite_codes.teams_for(acme_boss).values()) == ['Acme · Default team']
    for action in (lambda: invite_codes.find(beta_code.id, acme_boss),
                   lambda: invite_codes.edit(beta_code.id, 9, in_days(3), 'active', '', by=acme_boss),
                   lambda: invite_codes.deactivate(beta_code.id, by=acme_boss),
                   lambda: invite_codes.reveal(beta_code, acme_boss)):
        with pytest.raises(NotFound):
            action()
    assert InviteCode.get_by_id(beta_code.id).quota == 3
    set_settings(org_admins_invite_codes=False)  # switched off again: their codes are out of their reach
    with pytest.raises(NotFound):
        invite_codes.deactivate(acme_code.id, by=acme_boss)


def test_bad_input_gets_a_message_for_its_field_and_changes_nothing(db) -> None:
    admin = an_admin()
    an_org_with('Acme')
    team = a_team('Acme').id
    cases = [((team, 0, in_days(3), 'active', ''), 'quota'), ((team, 'ten', in_days(3), 'active', ''), 'quota'),
             ((team, 10**9, in_days(3), 'active', ''), 'quota'), ((team, 3, '', 'active', ''), 'expires_on'),
             ((team, 3, '31/12/2030', 'active', ''), 'expires_on'),
             ((team, 3, in_days(-1), 'active', ''), 'expires_on'),
             ((team, 3, '9999-12-31', 'active', ''), 'expires_on'), ((team, 3, in_days(3), 'paused', ''), 'state'),
             ((team, 3, in_days(3), 'active', 'x' * 201), 'note'), ((team, 3, in_days(3), 'active', 'a\x00b'), 'note'),
             ((999, 3, in_days(3), 'active', ''), 'team'), ((None, 3, in_days(3), 'active', ''), 'team')]
    for args, field in cases:
        with pytest.raises(DomainError) as caught:
            invite_codes.create(*args, by=admin)
        assert caught.value.field == field, (args, str(caught.value))
    assert InviteCode.select().count() == 0 and AuditEvent.select().count() == 0
    code, _ = invite_codes.create(team, 3, in_days(0), 'active', '', by=admin)  # today: until midnight UTC
    assert code.expires_at > clock.now()


def test_a_copy_of_the_database_holds_no_usable_code(db, tmp_path) -> None:
    admin = an_admin()
    an_org_with('Acme')
    code, raw = invite_codes.create(a_team('Acme').id, 3, in_days(3), 'active', '', by=admin)
    stored = InviteCode.get_by_id(code.id)
    assert raw not in (stored.code_hash, stored.code_encrypted) and stored.code_hash == invite_codes.digest(raw)
    assert raw.startswith('inv_') and len(raw) >= 45 and stored.code_prefix == raw[:10]
    assert invite_codes.reveal(stored, admin) == raw  # Copy works with the portal's secret key ...
    if not PG:
        files = b''.join(path.read_bytes() for path in (tmp_path / 'data').glob('portico.db*'))
        assert raw[4:].encode() not in files  # ... but the files on disk do not hold it
    assert not any(raw in str(event.detail) for event in AuditEvent.select())


def test_guessing_codes_is_throttled_per_client(counters) -> None:  # noqa: F811 - the imported fixture
    """With the counters in the database, and in Redis as with several instances."""
    admin = an_admin()
    an_org_with('Acme')
    _, raw = invite_codes.create(a_team('Acme').id, 50, in_days(3), 'active', '', by=admin)
    bound = throttle.LIMITS['invite-code-client'].attempts
    at_the_start_of_a_window('invite-code-client:198.51.100.9')  # the count never straddles two windows
    for number in range(bound):
        with pytest.raises(invite_codes.InvalidCode):
            registration.register('Gus', 'Guess', f'g{number}@x.test', PASSWORD, PASSWORD, client='198.51.100.9',
                                  invite_code=f'inv_guess{number}')
    with pytest.raises(throttle.TooManyAttempts, match='Too many wrong invite codes') as refused:
        registration.register('Gus', 'Guess', 'right@x.test', PASSWORD, PASSWORD, client='198.51.100.9',
                              invite_code=raw)  # even the right code, from the guesser's address
    assert refused.value.field == 'invite_code'  # said next to the field
    assert not User.select().where(User.email.startswith('g') | (User.email == 'right@x.test')).exists()
    # another client is not held up, and right codes are not counted: a hackathon room shares one address
    for number in range(bound + 2):
        registration.register('Hal', 'Hacker', f'h{number}@x.test', PASSWORD, PASSWORD, client='203.0.113.5',
                              invite_code=raw)
    assert InviteCode.get().used == bound + 2


def test_an_existing_address_is_told_the_same_and_takes_no_place(db) -> None:
    admin = an_admin()
    an_org_with('Acme')
    a_user('taken@x.test')
    code, raw = invite_codes.create(a_team('Acme').id, 1, in_days(3), 'active', '', by=admin)
    assert registration.register('T', 'Taken', 'taken@x.test', PASSWORD, PASSWORD, invite_code=raw)[1] == \
        registration.Outcome.VERIFY_EMAIL
    assert InviteCode.get_by_id(code.id).used == 0
    assert User.get(User.email == 'taken@x.test').organisation.is_default


def test_crafted_codes_are_refused_without_harm(db) -> None:
    admin = an_admin()
    an_org_with('Acme')
    _, raw = invite_codes.create(a_team('Acme').id, 1, in_days(3), 'active', '', by=admin)
    for number, crafted in enumerate(("' OR 1=1 --", raw.upper(), raw[:-1], 'x' * 100_000, '\udcff', 'inv_%00',
                                      f' {raw} ')):
        try:
            registration.register('C', 'Crafted', f'c{number}@x.test', PASSWORD, PASSWORD, invite_code=crafted)
        except invite_codes.InvalidCode:
            continue
        assert crafted.strip() == raw  # only the code itself (spaces around it trimmed) works
    assert InviteCode.get().used == 1


def test_the_overview_lists_codes_near_their_quota_or_expiry(db) -> None:
    admin = an_admin()
    an_org_with('Acme')
    team = a_team('Acme').id
    one_left, _ = invite_codes.create(team, 10, in_days(30), 'active', 'one left', by=admin)
    plenty, _ = invite_codes.create(team, 10, in_days(30), 'active', 'plenty', by=admin)
    soon, _ = invite_codes.create(team, 10, in_days(1), 'active', 'soon', by=admin)
    off, _ = invite_codes.create(team, 10, in_days(1), 'inactive', 'off', by=admin)
    big, _ = invite_codes.create(team, 1000, in_days(30), 'active', 'big', by=admin)
    InviteCode.update(used=9).where(InviteCode.id == one_left.id).execute()
    InviteCode.update(used=5).where(InviteCode.id == plenty.id).execute()
    InviteCode.update(used=900).where(InviteCode.id == big.id).execute()  # 10 % left
    assert {c.note for c in invite_codes.near_limits()} == {'one left', 'soon', 'big'}
    clock.advance(timedelta(days=3))
    assert {c.note for c in invite_codes.near_limits()} == {'one left', 'big'}  # an expired code is no news


async def test_a_crafted_link_fills_the_field_as_text(user) -> None:
    await user.open('/register?code=%3Cscript%3Ealert(1)%3C%2Fscript%3E' + 'x' * 5000)
    [field] = user.find(marker='register-invite-code').elements
    assert field.value.startswith('<script>alert(1)</script>') and len(field.value) == 200


# --- the quota under concurrency --------------------------------------------------------------------------

def _register_in_parallel(raw: str, count: int) -> list[str]:
    """`count` threads register with the same code at the same moment; what each was told."""
    from db.connection import database
    barrier = threading.Barrier(count)
    answers: list[str] = []

    def one(number: int) -> None:
        barrier.wait()
        try:
            registration.register('Par', 'Allel', f'p{number}@x.test', PASSWORD, PASSWORD,
                                  client=f'192.0.2.{number}', invite_code=raw)
            answers.append('created')
        except DomainError as error:
            answers.append(str(error))
        finally:
            database.close()

    threads = [threading.Thread(target=one, args=(number,)) for number in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def _check_parallel_quota() -> None:
    admin = an_admin()
    an_org_with('Acme')
    code, raw = invite_codes.create(a_team('Acme').id, 7, in_days(3), 'active', '', by=admin)
    InviteCode.update(used=2).where(InviteCode.id == code.id).execute()  # K = 5 places left
    answers = _register_in_parallel(raw, 16)
    assert answers.count('created') == 5, answers
    assert all('used by as many people as it allows' in answer for answer in answers if answer != 'created')
    assert User.select().where(User.email.startswith('p')).count() == 5
    assert InviteCode.get_by_id(code.id).used == 7
    assert AuditEvent.select().where(AuditEvent.action == 'invite_code.redeem').count() == 5


@pytest.mark.parametrize('database', THIS_RUNS_AND_POSTGRESQL)
def test_parallel_registrations_take_exactly_the_places_left(db, database) -> None:
    assert database != 'postgresql' or is_postgres()
    _check_parallel_quota()


async def test_parallel_registrations_through_the_page_create_exactly_the_places_left(user) -> None:
    """12 browsers (each its own cookies and page) fill the form from the link and click Register at the
    same moment; the server registers them on its worker threads. 4 places left: 4 accounts."""
    import httpx
    from nicegui.testing.user import User as Browser
    set_settings(require_email_verification=False)
    admin = an_admin()
    an_org_with('Acme')
    code, raw = invite_codes.create(a_team('Acme').id, 6, in_days(3), 'active', '', by=admin)
    InviteCode.update(used=2).where(InviteCode.id == code.id).execute()
    browsers = [Browser(httpx.AsyncClient(transport=user.http_client._transport, base_url='http://test'))
                for _ in range(12)]
    for number, browser in enumerate(browsers):
        await browser.open(f'/register?code={raw}')
        browser.find(marker='register-first').type('Par')
        browser.find(marker='register-last').type(f'Allel{number}')
        browser.find(marker='register-email').type(f'web{number}@x.test')
        browser.find(marker='register-password').type(PASSWORD)
        browser.find(marker='register-confirm').type(PASSWORD)
    for browser in browsers:  # all at once: each click starts the registration in a worker thread
        browser.find(marker='register-submit').click()

    def answered(browser) -> bool:
        return _has(browser, 'outcome-active') or bool(field_error(browser, 'register-invite-code'))

    await until(lambda: all(answered(browser) for browser in browsers), timeout=30)
    created = [browser for browser in browsers if _has(browser, 'outcome-active')]
    assert len(created) == 4
    refused = [field_error(browser, 'register-invite-code') for browser in browsers if browser not in created]
    assert len(refused) == 8 and all('used by as many people as it allows' in message for message in refused)
    assert User.select().where(User.email.startswith('web')).count() == 4
    assert InviteCode.get_by_id(code.id).used == 6


def _has(browser, marker: str) -> bool:
    try:
        return bool(browser.find(marker=marker).elements)
    except AssertionError:
        return False


# --- the email and the schema -----------------------------------------------------------------------------

async def test_the_joined_email_is_editable_like_the_others(mailbox, user) -> None:
    from mail import templates
    from workflows import mail_admin
    admin = an_admin()
    an_org_with('Acme', super_admin='boss@acme.test')
    set_settings(require_email_verification=False)
    assert 'invite_code_joined' in templates.DESCRIPTIONS
    _, body = templates.default('invite_code_joined')
    assert templates.placeholders(body) <= set(templates.SAMPLE_CONTEXT)
    mail_admin.save_template('invite_code_joined', 'Welcome aboard: ${registrant_name}',
                             '${registrant_name} is in ${team_name} of ${organisation_name}.', by=admin)
    _, raw = invite_codes.create(a_team('Acme').id, 2, in_days(2), 'active', '', by=admin)
    await register_with(user, f'/register?code={raw}', 'eve@acme.test', first='Eve')
    await user.should_see(marker='outcome-active')
    message = await mailbox.wait_for('boss@acme.test', 'Welcome aboard: Eve Person')
    assert message.body.strip() == 'Eve Person is in Default team of Acme.'


def test_an_older_database_gets_the_invite_code_table_with_the_same_schema(db) -> None:
    from db import migrations
    from db.connection import database
    fresh_columns = {c.name: c.data_type for c in database.get_columns('invite_code')}
    fresh_indexes = {i.name: (tuple(i.columns), i.unique) for i in database.get_indexes('invite_code')}
    database.drop_tables([InviteCode])
    migrations.models.SchemaVersion.delete().execute()
    # the table came with step 6 (an older stamp would run step 4 again, which PostgreSQL refuses)
    migrations.models.SchemaVersion.create(version=5)
    assert migrations.migrate() == f'database upgraded from schema version 5 to {migrations.LATEST}'
    assert {c.name: c.data_type for c in database.get_columns('invite_code')} == fresh_columns
    assert {i.name: (tuple(i.columns), i.unique) for i in database.get_indexes('invite_code')} == fresh_indexes
    admin = an_admin()
    an_org_with('Acme')
    assert invite_codes.create(a_team('Acme').id, 1, in_days(1), 'active', '', by=admin)[0].id


# --- the security review: a leaked code, places held by expired registrations, codes withdrawn -------------

def _verification_mails(prefix: str) -> int:
    from db.models import OutboxMessage
    return OutboxMessage.select().where((OutboxMessage.template_key == 'verify')
                                        & OutboxMessage.recipient.startswith(prefix)).count()


def test_one_client_holding_a_leaked_code_cannot_drain_it_nor_send_mail_without_bound(counters) -> None:  # noqa: F811
    """The attack: one client with a valid code registers made-up addresses as fast as it can. It gets
    the per-client bound for codes (higher than without a code: a hackathon room shares an address), in
    the hour and in the day; other clients keep registering with the same code."""
    admin = an_admin()
    an_org_with('Acme')
    code, raw = invite_codes.create(a_team('Acme').id, 1000, in_days(30), 'active', '', by=admin)
    hourly = throttle.LIMITS['register-code-client'].attempts
    daily = throttle.LIMITS['register-code-client-day'].attempts
    assert throttle.LIMITS['register-client'].attempts < hourly < daily
    now = clock.now()  # start just after midnight UTC, so that the hours below stay in one day's window
    clock.advance(datetime.combine(now.date() + timedelta(days=1), time(0, 1)) - now)
    created, refused = 0, 0

    def flood(count: int) -> None:
        nonlocal created, refused
        for _ in range(count):
            try:
                registration.register('Fake', 'Person', f'fake{created + refused}@made-up.test', PASSWORD,
                                      PASSWORD, client='198.51.100.66', invite_code=raw)
                created += 1
            except throttle.TooManyAttempts as error:
                assert str(error) == registration.REGISTER_LIMIT
                refused += 1

    flood(hourly + 1)
    assert (created, refused) == (hourly, 1)
    while created + refused < daily:  # the next hours of the same day, until the day's bound
        clock.advance(timedelta(hours=1))
        flood(hourly)
    assert created == daily - 1  # every attempt counts towards the day, the refused one too
    clock.advance(timedelta(hours=1))  # a new hour, the same day: still refused
    flood(3)
    assert created == daily - 1
    assert User.select().where(User.email.endswith('@made-up.test')).count() == created
    assert _verification_mails('fake') == created and InviteCode.get_by_id(code.id).used == created
    # the room next door, behind another address, is not held up
    registration.register('Real', 'Person', 'real@acme.test', PASSWORD, PASSWORD, client='203.0.113.7',
                          invite_code=raw)
    assert InviteCode.get_by_id(code.id).used == created + 1
    clock.advance(timedelta(days=1))  # the next day the client may register again
    flood(1)
    assert created == daily


def test_an_expired_unverified_registration_gives_its_place_back(db) -> None:
    """The attack: made-up addresses take every place of a code and never verify. Their places come back
    when their links expire: at a new registration of the address, and in the periodic clean-up."""
    from workflows import maintenance
    admin = an_admin()
    an_org_with('Acme')
    code, raw = invite_codes.create(a_team('Acme').id, 2, in_days(30), 'active', '', by=admin)
    for email in ('ghost1@made-up.test', 'ghost2@made-up.test'):
        assert registration.register('G', 'Host', email, PASSWORD, PASSWORD, invite_code=raw)[1] == \
            registration.Outcome.VERIFY_EMAIL
    registration.register('Plain', 'Pending', 'plain@x.test', PASSWORD, PASSWORD)  # no code
    with pytest.raises(invite_codes.InvalidCode, match='used by as many people'):
        registration.register('R', 'Eal', 'real@acme.test', PASSWORD, PASSWORD, invite_code=raw)
    assert maintenance.run_once()['code_registrations'] == 0  # the links still work: nothing goes
    assert InviteCode.get_by_id(code.id).used == 2

    clock.advance(tokens.LIFETIMES[tokens.VERIFY] + timedelta(minutes=1))
    # the address registers again (with the code): the old row goes, its place comes back and is taken anew
    registration.register('G', 'Host', 'ghost1@made-up.test', PASSWORD, PASSWORD, invite_code=raw)
    assert InviteCode.get_by_id(code.id).used == 2
    assert User.select().where(User.email == 'ghost1@made-up.test').count() == 1
    # the periodic clean-up deletes the other one and gives its place back; an ordinary one stays
    assert maintenance.run_once()['code_registrations'] == 1
    assert not User.select().where(User.email == 'ghost2@made-up.test').exists()
    assert User.get(User.email == 'plain@x.test').status == UserStatus.PENDING_VERIFICATION
    assert InviteCode.get_by_id(code.id).used == 1
    releases = list(AuditEvent.select().where(AuditEvent.action == 'invite_code.release').order_by(AuditEvent.id))
    assert [(e.target_id, e.detail['email'], e.detail['reason']) for e in releases] == [
        (code.id, 'ghost1@made-up.test', 'expired'), (code.id, 'ghost2@made-up.test', 'expired')]
    registration.register('R', 'Eal', 'real@acme.test', PASSWORD, PASSWORD, invite_code=raw)  # the place is free
    assert InviteCode.get_by_id(code.id).used == 2
    assert maintenance.run_once()['code_registrations'] == 0  # a second round changes nothing
    assert InviteCode.get_by_id(code.id).used == 2


def _check_parallel_clean_ups() -> None:
    """8 clean-ups at once (several instances, and re-registrations of the same addresses): every expired
    registration's place comes back exactly once."""
    from db.connection import database
    admin = an_admin()
    an_org_with('Acme')
    code, raw = invite_codes.create(a_team('Acme').id, 6, in_days(30), 'active', '', by=admin)
    for number in range(6):
        registration.register('G', 'Host', f'ghost{number}@made-up.test', PASSWORD, PASSWORD, invite_code=raw)
    clock.advance(tokens.LIFETIMES[tokens.VERIFY] + timedelta(minutes=1))
    barrier = threading.Barrier(8)
    errors: list[str] = []

    def one(number: int) -> None:
        barrier.wait()
        try:
            if number < 6:
                unverified.drop_expired_code_registrations()
            else:  # the same address again, without a code this time
                registration.register('G', 'Host', 'ghost0@made-up.test', PASSWORD, PASSWORD)
        except Exception as error:  # noqa: BLE001 - a lost race may say so; the counts below must hold
            if not isinstance(error, DomainError):
                errors.append(repr(error))
        finally:
            database.close()

    threads = [threading.Thread(target=one, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    unverified.drop_expired_code_registrations()
    assert InviteCode.get_by_id(code.id).used == 0, errors
    assert AuditEvent.select().where(AuditEvent.action == 'invite_code.release').count() == 6
    assert User.select().where(User.email.endswith('@made-up.test')
                               & (User.status == UserStatus.PENDING_VERIFICATION)).count() <= 1


@pytest.mark.parametrize('database', THIS_RUNS_AND_POSTGRESQL)
def test_parallel_clean_ups_give_each_place_back_once(db, database) -> None:
    assert database != 'postgresql' or is_postgres()
    _check_parallel_clean_ups()


async def verify_through_the_page(user, mailbox, email: str) -> None:
    message = await mailbox.wait_for(email, 'Confirm your email address')
    await user.open(message.path('/auth/verify'))
    user.find(marker='verify-confirm').click()
    await settle()


async def test_a_code_deactivated_before_the_verification_no_longer_approves(mailbox, user) -> None:
    """The attack: a code is deactivated (it leaked) while registrations made with it wait for their
    verification. They do not join by themselves: they wait for an approval, told why, and the places
    go back; the organisation's admins get no 'joined' email."""
    admin = an_admin()
    acme = an_org_with('Acme', super_admin='boss@acme.test', contact_email='')
    Team.create(organisation=acme, name='Partners')
    code, raw = invite_codes.create(a_team('Acme', 'Partners').id, 5, in_days(30), 'active', '', by=admin)
    await register_with(user, f'/register?code={raw}', 'early@acme.test', first='Early')
    await user.should_see(marker='outcome-verify_email', retries=50)
    await register_with(user, f'/register?code={raw}', 'leaked@made-up.test', first='Leak')
    await user.should_see(marker='outcome-verify_email', retries=50)
    await verify_through_the_page(user, mailbox, 'early@acme.test')  # before the deactivation: joins
    await user.should_see(marker='page-title', content='Catalogs', retries=30)
    await user.open('/logout')
    assert InviteCode.get_by_id(code.id).used == 2

    invite_codes.deactivate(code.id, by=admin)
    await verify_through_the_page(user, mailbox, 'leaked@made-up.test')
    await user.should_see(marker='outcome-code_withdrawn')
    await user.should_see('The invite code you registered with has been withdrawn')
    leaked = User.get(User.email == 'leaked@made-up.test')
    assert leaked.status == UserStatus.PENDING_APPROVAL and leaked.last_login_at is None
    assert [m.team_id for m in Membership.select().where(Membership.user == leaked)] == [a_team('Acme').id]
    assert InviteCode.get_by_id(code.id).used == 1  # its place went back
    await mailbox.wait_for('leaked@made-up.test', 'waiting for approval')
    await mailbox.wait_for('api-admin@provider.test', 'Leak Person')  # the usual approver is asked
    await until(lambda: len(mailbox.to('boss@acme.test', 'invite code')) == 1, timeout=10)  # Early's only
    assert not [m for m in mailbox.to('boss@acme.test') if 'leaked@made-up.test' in m.body]
    assert AuditEvent.select().where((AuditEvent.action == 'invite_code.release')
                                     & (AuditEvent.target_id == code.id)).get().detail['reason'] == 'withdrawn'


def test_a_code_whose_organisation_was_deleted_before_the_verification_does_not_approve(db) -> None:
    """The organisation goes (and its codes with it): a registration waiting for its verification stays
    an individual developer under the usual rules; one whose code merely expired meanwhile still joins."""
    from workflows import organisations
    admin = an_admin()
    gone = an_org_with('Gone Co', super_admin='boss@gone.test')
    an_org_with('Stays')
    _, gone_raw = invite_codes.create(a_team('Gone Co').id, 5, in_days(30), 'active', '', by=admin)
    expiring, stays_raw = invite_codes.create(a_team('Stays').id, 5, in_days(0), 'active', '', by=admin)
    for email, raw in (('orphan@x.test', gone_raw), ('late@x.test', stays_raw)):
        registration.register('O', 'Rphan', email, PASSWORD, PASSWORD, invite_code=raw)
    organisations.delete_organisation(gone, by=admin)
    clock.advance(timedelta(days=1))  # the Stays code expired at midnight; the links still work
    assert invite_codes.is_expired(InviteCode.get_by_id(expiring.id))

    def verify(email: str) -> str:  # the raw token is not stored: take the link from the queued email
        from db.models import OutboxMessage
        from mail import outbox
        message = OutboxMessage.select().where((OutboxMessage.recipient == email)
                                               & (OutboxMessage.template_key == 'verify')).get()
        link = outbox.unseal(message.secret_context)['link']
        return registration.verify_email(link.split('token=')[1])[1]

    assert verify('orphan@x.test') == registration.Outcome.CODE_WITHDRAWN
    orphan = User.get(User.email == 'orphan@x.test')
    assert orphan.organisation.is_default and orphan.status == UserStatus.PENDING_APPROVAL
    assert verify('late@x.test') == registration.Outcome.ACTIVE  # expired meanwhile: the place was taken
    assert User.get(User.email == 'late@x.test').organisation.name == 'Stays'
