"""A second factor for local accounts (issue 24): the authenticator app (TOTP) with its recovery codes, the step
after the password, and the setting that requires one of portal admins. Attacks kept as tests: a code replayed
within its window, 16 parallel guesses."""
from __future__ import annotations

from datetime import timedelta

import pytest

from db import clock
from db.models import AuditEvent, RecoveryCode, Token, TotpFactor, UserSession
from domain.at_rest import digest
from domain.errors import DomainError
from tests.utils import PASSWORD, a_user, an_admin, in_parallel, log_in, settle
from workflows import second_factor, settings, throttle, tokens


def now_code(secret: str, steps: int = 0) -> str:
    return second_factor.code_at(secret, second_factor.current_step() + steps)


def with_totp(user) -> tuple[str, list[str]]:
    """The account sets up an authenticator app: (its secret, the recovery codes it was shown)."""
    enrolment = second_factor.start_enrolment(user)
    codes = second_factor.confirm_enrolment(user, now_code(enrolment.secret))
    clock.advance(timedelta(seconds=second_factor.STEP_SECONDS))  # the set-up's code is spent: the next one
    return enrolment.secret, codes


def test_setting_up_the_app_needs_a_first_code_and_keeps_the_secret_sealed(db) -> None:
    dev = a_user()
    enrolment = second_factor.start_enrolment(dev)
    assert enrolment.uri(dev.email).startswith('otpauth://totp/Portico:dev%40consumer.test?secret=')
    assert not second_factor.has_any(dev)  # not until a first code was right
    with pytest.raises(DomainError, match='not right') as refused:
        second_factor.confirm_enrolment(dev, '000000' if now_code(enrolment.secret) != '000000' else '111111')
    assert refused.value.field == 'code'
    assert TotpFactor.get().confirmed_at is None
    codes = second_factor.confirm_enrolment(dev, now_code(enrolment.secret))
    factor = TotpFactor.get()
    assert factor.confirmed_at is not None and enrolment.secret not in factor.secret_sealed
    assert second_factor.SEAL.open(factor.secret_sealed) == enrolment.secret
    assert len(codes) == 10 == len(set(codes)) == second_factor.recovery_codes_left(dev)
    assert {row.code_hash for row in RecoveryCode.select()} == {
        digest(f'{dev.id}:{code.replace("-", "")}') for code in codes}  # digests only
    assert second_factor.has_any(dev)
    assert AuditEvent.get(AuditEvent.action == 'user.second_factor_add').detail == {'kind': 'totp'}
    with pytest.raises(DomainError, match='set up already'):
        second_factor.start_enrolment(dev)


def test_a_right_code_is_accepted_a_wrong_one_refused(db) -> None:
    dev = a_user()
    secret, _ = with_totp(dev)
    wrong = '123456' if now_code(secret) != '123456' else '654321'
    with pytest.raises(DomainError, match='not right'):
        second_factor.check_code(dev, wrong)
    assert second_factor.check_code(dev, now_code(secret)) == second_factor.METHOD_TOTP
    # the step before and after count too (a phone's clock a little off), but not two steps away
    clock.advance(timedelta(seconds=second_factor.STEP_SECONDS * 3))
    assert second_factor.check_code(dev, now_code(secret, +1)) == second_factor.METHOD_TOTP
    clock.advance(timedelta(seconds=second_factor.STEP_SECONDS * 3))
    with pytest.raises(DomainError, match='not right'):
        second_factor.check_code(dev, now_code(secret, -2))


def test_a_code_replayed_within_its_window_is_refused(db) -> None:
    dev = a_user()
    secret, _ = with_totp(dev)
    code = now_code(secret)
    assert second_factor.check_code(dev, code) == second_factor.METHOD_TOTP
    with pytest.raises(DomainError, match='not right'):
        second_factor.check_code(dev, code)  # the same code, same step: used
    clock.advance(timedelta(seconds=second_factor.STEP_SECONDS))
    with pytest.raises(DomainError, match='not right'):
        second_factor.check_code(dev, code)  # still inside the window (the step before), still used
    with pytest.raises(DomainError, match='not right'):
        second_factor.check_code(dev, now_code(secret, -1))  # an older code after a newer one
    assert second_factor.check_code(dev, now_code(secret)) == second_factor.METHOD_TOTP
    assert TotpFactor.get().last_step == second_factor.current_step()


def test_sixteen_parallel_guesses_are_bounded_by_the_throttle_and_none_accepted(db) -> None:
    dev = a_user()
    secret, _ = with_totp(dev)
    wrong = next(code for code in ('123456', '234567', '345678', '456789')
                 if code not in {now_code(secret, step) for step in (-1, 0, 1)})
    answers = in_parallel(16, lambda: second_factor.check_code(dev, wrong, '198.51.100.7'))
    assert len(answers) == 16 and 'ok' not in answers
    checked = throttle.LIMITS['second-factor'].attempts
    assert answers.count(second_factor.TOO_MANY) == 16 - checked
    assert answers.count(second_factor.WRONG_CODE) == checked
    # the right code is refused now too, from that client, until the window has passed
    with pytest.raises(DomainError, match='Too many'):
        second_factor.check_code(dev, now_code(secret), '198.51.100.7')


def test_the_same_right_code_sent_sixteen_times_at_once_is_accepted_once(db) -> None:
    dev = a_user()
    secret, _ = with_totp(dev)
    code = now_code(secret)
    answers = in_parallel(16, lambda: second_factor.check_code(dev, code, 'client'))
    assert answers.count('ok') == 1, answers


def test_a_recovery_code_is_good_once_and_can_be_renewed(db) -> None:
    dev = a_user()
    _secret, codes = with_totp(dev)
    assert second_factor.check_code(dev, codes[0].upper().replace('-', ' ')) == second_factor.METHOD_RECOVERY
    assert second_factor.recovery_codes_left(dev) == 9
    with pytest.raises(DomainError, match='not right'):
        second_factor.check_code(dev, codes[0])
    other = a_user('other@consumer.test')
    with pytest.raises(DomainError):  # another account's code is not this one's
        second_factor.check_code(other, codes[1])
    renewed = second_factor.renew_recovery_codes(dev)
    assert second_factor.recovery_codes_left(dev) == 10
    with pytest.raises(DomainError, match='not right'):
        second_factor.check_code(dev, codes[1])  # the old ones stopped working
    assert second_factor.check_code(dev, renewed[0]) == second_factor.METHOD_RECOVERY
    with pytest.raises(DomainError, match='first'):
        second_factor.renew_recovery_codes(other)  # no second factor: no codes


def test_removing_the_app_needs_the_password_or_a_current_code(db) -> None:
    dev = a_user()
    secret, _ = with_totp(dev)
    with pytest.raises(DomainError, match='Neither') as refused:
        second_factor.remove_totp(dev, 'not my password')
    assert refused.value.field == 'proof'
    assert second_factor.has_any(dev)
    second_factor.remove_totp(dev, PASSWORD)
    assert not second_factor.has_any(dev) and TotpFactor.select().count() == 0
    assert RecoveryCode.select().count() == 0  # no second factor left: the codes go with it
    secret, _ = with_totp(dev)
    second_factor.remove_totp(dev, now_code(secret))
    assert not second_factor.has_any(dev)
    assert AuditEvent.select().where(AuditEvent.action == 'user.second_factor_remove').count() == 2


def test_the_pending_sign_in_is_used_once(db) -> None:
    dev = a_user()
    secret, _ = with_totp(dev)
    raw = second_factor.begin_sign_in(dev, '/apps')
    assert second_factor.pending(raw)[1] == '/apps'
    with pytest.raises(DomainError, match='not right'):
        second_factor.sign_in_with_code(raw, '000000' if now_code(secret) != '000000' else '111111')
    user, target, method = second_factor.sign_in_with_code(raw, now_code(secret))
    assert (user.id, target, method) == (dev.id, '/apps', 'password+totp')
    clock.advance(timedelta(seconds=second_factor.STEP_SECONDS))
    with pytest.raises(tokens.InvalidToken):
        second_factor.sign_in_with_code(raw, now_code(secret))
    fresh = second_factor.begin_sign_in(dev, '/')
    clock.advance(tokens.LIFETIMES[tokens.SECOND_FACTOR] + timedelta(seconds=1))
    with pytest.raises(tokens.InvalidToken):
        second_factor.sign_in_with_code(fresh, now_code(secret))


def test_the_setting_cannot_be_switched_on_by_an_admin_without_a_second_factor(db) -> None:
    admin = an_admin()
    with pytest.raises(DomainError, match='yourself first') as refused:
        settings.update({'require_admin_second_factor': True}, by=admin)
    assert refused.value.field == 'require_admin_second_factor'
    assert settings.get('require_admin_second_factor') is False
    with_totp(admin)
    settings.update({'require_admin_second_factor': True}, by=admin)
    assert settings.get('require_admin_second_factor') is True
    assert not second_factor.missing(admin)
    assert second_factor.missing(an_admin('new@provider.test'))
    assert not second_factor.missing(a_user())  # developers are not asked


# --- through the pages ------------------------------------------------------------------------------------

async def test_the_login_asks_for_the_code_after_the_password(user) -> None:
    dev = a_user('dev@consumer.test', first='Dana')
    secret, _ = with_totp(dev)
    await log_in(user, 'dev@consumer.test')
    await user.should_see('Two-step verification')
    assert UserSession.select().count() == 0  # the password alone opened no session
    assert Token.select().where(Token.purpose == tokens.SECOND_FACTOR).count() == 1
    user.find(marker='second-factor-code').type('000000' if now_code(secret) != '000000' else '111111')
    user.find(marker='second-factor-submit').click()
    await user.should_see('This code is not right.')
    assert UserSession.select().count() == 0
    user.find(marker='second-factor-code').clear().type(now_code(secret))
    user.find(marker='second-factor-submit').click()
    await settle()
    await user.should_see('Welcome, Dana!')
    assert UserSession.get().method == 'password+totp'


async def test_the_second_factor_page_without_a_password_first_goes_to_log_in(user) -> None:
    """A leaked address of the step is worthless: the pending token is in the browser that typed the password."""
    dev = a_user('dev@consumer.test')
    with_totp(dev)
    second_factor.begin_sign_in(dev, '/dashboard')  # someone else's pending sign-in
    await user.open('/login/second-factor')
    await user.should_see(marker='login-card')
    await user.should_not_see('Two-step verification')


async def test_a_recovery_code_signs_in_once(user) -> None:
    dev = a_user('dev@consumer.test', first='Dana')
    _secret, codes = with_totp(dev)
    await log_in(user, 'dev@consumer.test')
    await user.should_see('Two-step verification')
    user.find(marker='second-factor-code').type(codes[3])
    user.find(marker='second-factor-submit').click()
    await settle()
    await user.should_see('Welcome, Dana!')
    assert UserSession.get().method == 'password+recovery code'
    assert second_factor.recovery_codes_left(dev) == 9


async def test_a_required_second_factor_blocks_an_admin_without_one(user) -> None:
    an_admin('lead@provider.test')
    lead = an_admin('lead2@provider.test')
    with_totp(lead)
    settings.update({'require_admin_second_factor': True}, by=lead)
    await log_in(user, 'lead@provider.test')
    await user.should_see('Set up a second factor to continue')
    for path in ('/admin', '/admin/users', '/profile', '/dashboard'):
        await user.open(path)
        await user.should_see('Set up a second factor to continue')
        await user.should_not_see('Registrations to approve')
    response = await user.http_client.get('/admin/settings', follow_redirects=False)
    assert response.status_code == 303 and response.headers['location'] == '/profile/security'
