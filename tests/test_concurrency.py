"""Two people at the same moment, on PostgreSQL with two real connections (threads): the rules hold because
the database keeps them (migration 4's unique indexes, the organisation row locked while its super admins
change), not because one request happened to look first. Run in CI's PostgreSQL run; skipped on SQLite,
whose write lock taken at BEGIN lets one writer in at a time."""
from __future__ import annotations

import os
import threading
import time

import pytest

from db.connection import database
from db.models import App, Organisation, Role, Team, User
from tests.utils import a_user, admin_opens, an_org_with
from domain.errors import DomainError
from workflows import activation, apps, organisations, teammates

pytestmark = pytest.mark.skipif(not os.environ.get('PORTICO_TEST_DATABASE_URL'),
                                reason='needs PORTICO_TEST_DATABASE_URL (PostgreSQL)')


def at_once(*actions) -> list:
    """Run the actions in threads released together; each result is the value or the exception raised."""
    barrier = threading.Barrier(len(actions))
    results: list = [None] * len(actions)

    def run(index: int, action) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = action()
        except Exception as error:  # noqa: BLE001 - the outcome is what the test looks at
            results[index] = error
        finally:
            database.close()  # this thread's connection back to the pool

    threads = [threading.Thread(target=run, args=(i, action)) for i, action in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def first_holds_second_waits(first, second) -> list:
    """The first action runs in a transaction that stays open until the second one is waiting for a lock
    in PostgreSQL; then the first commits and the second goes on. The worst interleaving, every time: the
    second passed every check in Python while the first's change was not yet visible."""
    first_done, release = threading.Event(), threading.Event()
    results: list = [None, None]

    def run_first() -> None:
        try:
            with database.atomic():
                results[0] = first()
                first_done.set()
                assert release.wait(timeout=20)
        except Exception as error:  # noqa: BLE001
            results[0] = error
            first_done.set()
        finally:
            database.close()

    def run_second() -> None:
        try:
            results[1] = second()
        except Exception as error:  # noqa: BLE001
            results[1] = error
        finally:
            database.close()

    one = threading.Thread(target=run_first)
    one.start()
    assert first_done.wait(timeout=20)
    two = threading.Thread(target=run_second)
    two.start()
    deadline = time.monotonic() + 20
    while not _someone_waits_for_a_lock():
        assert time.monotonic() < deadline, 'the second transaction never waited for the first'
        time.sleep(0.02)
    release.set()
    one.join(timeout=20)
    two.join(timeout=20)
    return results


def _someone_waits_for_a_lock() -> bool:
    return database.execute_sql("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() "
                                "AND wait_event_type = 'Lock'").fetchone()[0] > 0


def _outcomes(results: list) -> tuple[list, list]:
    errors = [r for r in results if isinstance(r, Exception)]
    for error in errors:
        assert isinstance(error, DomainError), repr(error)
    return [r for r in results if not isinstance(r, Exception)], errors


# --- the last super admin ----------------------------------------------------------------------------

def _two_super_admins():
    org = an_org_with('Acme', super_admin='')
    ann = a_user('ann@acme.test', first='Ann', last='Able', organisation=org, role=Role.SUPER_ADMIN)
    bob = a_user('bob@acme.test', first='Bob', last='Baker', organisation=org, role=Role.SUPER_ADMIN)
    return org, ann, bob


def _super_admins(org) -> list[str]:
    return [u.email for u in User.select().where((User.organisation == org) & (User.role == Role.SUPER_ADMIN))]


def test_two_super_admins_demoting_each_other_at_once_leave_one(db) -> None:
    org, ann, bob = _two_super_admins()
    results = at_once(lambda: teammates.update(org, bob.id, 'Bob', 'Baker', Role.TEAM_MEMBER, by=ann),
                      lambda: teammates.update(org, ann.id, 'Ann', 'Able', Role.TEAM_MEMBER, by=bob))
    done, errors = _outcomes(results)
    assert len(done) == 1 and len(errors) == 1
    assert 'is the last super admin of Acme' in str(errors[0])
    assert len(_super_admins(org)) == 1


def test_a_demotion_waits_for_the_other_and_counts_what_it_left(db) -> None:
    org, ann, bob = _two_super_admins()
    results = first_holds_second_waits(
        lambda: teammates.update(org, bob.id, 'Bob', 'Baker', Role.TEAM_MEMBER, by=ann),
        lambda: teammates.update(org, ann.id, 'Ann', 'Able', Role.TEAM_MEMBER, by=bob))
    assert results[0] is None
    assert isinstance(results[1], DomainError) and 'Ann Able is the last super admin of Acme' in str(results[1])
    assert _super_admins(org) == ['ann@acme.test']


def test_removing_and_deactivating_the_two_super_admins_at_once_leaves_one(db) -> None:
    org, ann, bob = _two_super_admins()
    admin = a_user('admin@provider.test', admin=True)
    results = first_holds_second_waits(lambda: teammates.remove(org, bob.id, by=ann),
                                       lambda: activation.deactivate(ann, by=admin))
    assert results[0] is None
    assert isinstance(results[1], DomainError) and 'cannot be deactivated' in str(results[1])
    assert User.get_by_id(ann.id).status == 'active' and _super_admins(org) == ['ann@acme.test']


# --- the same name twice ------------------------------------------------------------------------------

def test_two_creations_of_one_organisation_name_give_one_success_and_one_field_error(db) -> None:
    admin = a_user('admin@provider.test', admin=True)
    results = at_once(lambda: organisations.create_organisation('Initech', by=admin),
                      lambda: organisations.create_organisation('INITECH', by=admin))
    done, errors = _outcomes(results)
    assert len(done) == 1 and len(errors) == 1 and errors[0].field == 'name'
    assert Organisation.select().where(Organisation.name_key == 'initech').count() == 1


def test_an_organisation_name_taken_while_the_check_passed_is_a_field_error(db) -> None:
    """The second request's check ran while the first was not committed: the unique index refuses it."""
    admin = a_user('admin@provider.test', admin=True)
    results = first_holds_second_waits(lambda: organisations.create_organisation('Initech', by=admin),
                                       lambda: organisations.create_organisation('initech', by=admin))
    assert isinstance(results[0], Organisation)
    error = results[1]
    assert isinstance(error, DomainError) and error.field == 'name'
    assert str(error) == 'An organization named "initech" exists already.'
    assert Organisation.select().where(Organisation.name_key == 'initech').count() == 1
    assert Team.select().where(Team.organisation == results[0]).count() == 1  # nothing half-made


def test_a_team_name_taken_while_the_check_passed_is_a_field_error(db) -> None:
    admin = a_user('admin@provider.test', admin=True)
    org = an_org_with('Acme')
    results = first_holds_second_waits(lambda: organisations.add_team(org, 'Ops', by=admin),
                                       lambda: organisations.add_team(org, 'Ops', by=admin))
    assert isinstance(results[0], Team)
    assert isinstance(results[1], DomainError) and results[1].field == 'name'
    assert str(results[1]) == 'Acme has a team named "Ops" already.'
    assert Team.select().where(Team.name == 'Ops').count() == 1


def test_an_app_name_taken_while_the_check_passed_is_a_field_error(db) -> None:
    org = an_org_with('Acme')
    ann = a_user('ann@acme.test', organisation=org)
    bob = a_user('bob@acme.test', organisation=org)
    results = first_holds_second_waits(lambda: apps.create_app('Shipping bot', '', by=ann),
                                       lambda: apps.create_app('shipping BOT', '', by=bob))
    assert isinstance(results[0], App)
    assert isinstance(results[1], DomainError) and results[1].field == 'app_name'
    assert App.select().where(App.organisation == org).count() == 1


def test_two_individual_developers_may_create_the_same_app_name_at_once(db) -> None:
    ann, bob = a_user('ann@consumer.test'), a_user('bob@consumer.test')
    results = at_once(lambda: apps.create_app('Weather', '', by=ann), lambda: apps.create_app('Weather', '', by=bob))
    assert all(isinstance(r, App) for r in results)
    same = at_once(lambda: apps.create_app('Radar', '', by=ann), lambda: apps.create_app('RADAR', '', by=ann))
    done, errors = _outcomes(same)
    assert len(done) == 1 and len(errors) == 1 and errors[0].field == 'app_name'


# --- what the admin sees ---------------------------------------------------------------------------------

async def test_the_page_shows_a_name_taken_at_the_same_moment_next_to_the_field(user) -> None:
    """The admin saves "Initech" while another transaction has created it and not committed yet: the
    page's check passes, the unique index makes the save wait, then refuses it; the dialog shows why next to
    the name and nothing was added."""
    admin = await admin_opens(user, '/admin/organizations')
    user.find(marker='orgs-add').click()
    user.find(marker='org-edit-name').type('initech')
    created, done = threading.Event(), threading.Event()

    def other_admin() -> None:
        try:
            with database.atomic():
                organisations.create_organisation('Initech', by=admin)
                created.set()
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline:  # commit once the page's save waits for this transaction
                    database.execute_sql('SELECT pg_stat_clear_snapshot()')
                    if _someone_waits_for_a_lock():
                        break
                    time.sleep(0.02)
        finally:
            database.close()
            done.set()

    thread = threading.Thread(target=other_admin)
    thread.start()
    assert created.wait(timeout=20)
    user.find(marker='org-edit-save').click()  # waits in PostgreSQL until the other transaction commits
    thread.join(timeout=30)
    assert done.is_set()
    (field,) = user.find(marker='org-edit-name').elements
    assert field.error == 'An organization named "initech" exists already.'
    await user.should_see('An organization named "initech" exists already.')  # the notification too
    assert Organisation.select().where(Organisation.name_key == 'initech').count() == 1
