"""Groups to teams and roles (issue 24): the groups a real OpenID Provider (oidc-provider from npm, on loopback)
names for a person decide, at every sign-in, their teams among those the provider's mapping names and their role
in the provider's organisation. "Mapping SSO users onto teams is where the bugs are": each case below signs in
for real, and looks at the teams, the role and the audit."""
from __future__ import annotations

import threading

import pytest

from db.models import AuditEvent, IdentityProvider, Membership, Role, Team, User, UserStatus
from domain.errors import DomainError
from tests.identity_provider import CLIENT_ID, CLIENT_SECRET, MISSING, OpenIdProvider, sign_in_through
from tests.utils import an_admin, an_org_with
from workflows import organisations, sso

pytestmark = pytest.mark.skipif(bool(MISSING), reason=MISSING or 'ok')
CALLBACK = 'http://portal.test/auth/sso/callback'


def ann(groups=None, **claims) -> dict:
    person = {'email': 'ann@partner.example', 'email_verified': True, 'given_name': 'Ann', 'family_name': 'Lee',
              **claims}
    if groups is not None:
        person['groups'] = groups
    return person


@pytest.fixture
def op(db):
    provider = OpenIdProvider({'ann': ann(['Backend'])}, [CALLBACK])
    yield provider
    provider.stop()


@pytest.fixture
def partner(db):
    """The partner organisation with its Backend and Frontend teams (and its super admin, Sam)."""
    org = an_org_with('Partner', super_admin='boss@partner.example')
    for name in ('Backend', 'Frontend'):
        Team.create(organisation=org, name=name)
    return org


def team(org, name: str) -> Team:
    return Team.get((Team.organisation == org) & (Team.name == name))


def teams_of(email: str) -> set[str]:
    return {row.team.name for row in Membership.select().join(User).where(User.email == email)}


def partner_sso(op, org, mapping: dict[str, str], **fields) -> IdentityProvider:
    admin = User.get_or_none(User.email == 'admin@provider.test') or an_admin()
    rows = [{'group': group, 'team': team(org, name).id} for group, name in mapping.items()]
    return sso.save_provider(None, name='Partner SSO', issuer=op.issuer, client_id=CLIENT_ID,
                             client_secret=CLIENT_SECRET, scopes='openid email profile groups', organisation_id=org.id,
                             email_domains='partner.example', team_groups=rows, by=admin, **fields)


def signs_in(op, provider, groups=..., **claims) -> User:
    if groups is not ...:
        op.set_accounts({'ann': ann(groups, **claims)})
    finished = sign_in_through(provider, 'ann', CALLBACK)
    assert finished.user is not None, finished
    return finished.user


def audited(action: str) -> list[dict]:
    return [event.detail for event in AuditEvent.select().where(AuditEvent.action == action).order_by(AuditEvent.id)]


def test_done_when_the_partner_developer_lands_in_backend_and_loses_it_when_the_idp_drops_the_group(op, partner):
    provider = partner_sso(op, partner, {'Backend': 'Backend', 'web': 'Frontend'})
    person = signs_in(op, provider)  # the provider says: Backend
    assert person.organisation_id == partner.id and person.status == UserStatus.ACTIVE
    assert teams_of('ann@partner.example') == {'Default team', 'Backend'}
    assert [(d['team'], d['provider']) for d in audited('membership.add')] == [('Backend', 'Partner SSO')]

    signs_in(op, provider)  # unchanged: nothing to do, nothing audited
    assert teams_of('ann@partner.example') == {'Default team', 'Backend'} and len(audited('membership.add')) == 1

    signs_in(op, provider, ['web'])  # the provider moved Ann from Backend to web
    assert teams_of('ann@partner.example') == {'Default team', 'Frontend'}
    assert [d['team'] for d in audited('membership.remove')] == ['Backend']
    assert [d['team'] for d in audited('membership.add')] == ['Backend', 'Frontend']

    signs_in(op, provider, [])  # no groups any more: out of every mapped team, still in the organisation
    assert teams_of('ann@partner.example') == {'Default team'}
    assert User.get(User.email == 'ann@partner.example').organisation_id == partner.id


def test_teams_outside_the_mapping_are_managed_by_hand_and_never_touched(op, partner):
    provider = partner_sso(op, partner, {'Backend': 'Backend'})
    person = signs_in(op, provider)
    organisations.set_teams(person, [team(partner, 'Backend').id, team(partner, 'Frontend').id],
                            by=User.get(User.email == 'admin@provider.test'))  # no default team any more
    signs_in(op, provider, ['Backend'])
    assert teams_of('ann@partner.example') == {'Backend', 'Frontend'}
    signs_in(op, provider, [])
    assert teams_of('ann@partner.example') == {'Frontend'}  # one team is enough: no default team added


def test_a_person_always_keeps_a_team_the_default_team_when_the_mapping_took_the_last(op, partner):
    default = team(partner, 'Default team')
    provider = partner_sso(op, partner, {'Backend': 'Backend', 'everyone': 'Default team'})
    signs_in(op, provider, ['Backend'])
    assert teams_of('ann@partner.example') == {'Backend'}  # the mapping took Ann out of the default team too
    signs_in(op, provider, ['nothing mapped'])
    assert teams_of('ann@partner.example') == {'Default team'}
    assert Membership.select().where(Membership.team == default).count() == 2  # Sam and Ann


def test_a_group_renamed_at_the_provider_no_longer_matches_until_the_mapping_follows(op, partner):
    provider = partner_sso(op, partner, {'Backend': 'Backend'})
    signs_in(op, provider)
    signs_in(op, provider, ['Backend Engineers'])  # renamed at the IdP
    assert teams_of('ann@partner.example') == {'Default team'}
    admin = User.get(User.email == 'admin@provider.test')
    sso.save_provider(provider.id, name='Partner SSO', issuer=op.issuer, client_id=CLIENT_ID,
                      scopes='openid email profile groups', organisation_id=partner.id,
                      email_domains='partner.example', by=admin,
                      team_groups=[{'group': 'Backend Engineers', 'team': team(partner, 'Backend').id}])
    signs_in(op, provider)
    assert teams_of('ann@partner.example') == {'Default team', 'Backend'}


def test_groups_are_compared_exactly_as_the_provider_sends_them(op, partner):
    provider = partner_sso(op, partner, {'Backend': 'Backend'})
    for near_miss in (['backend'], ['BACKEND'], [' Backend'], ['Backend ']):
        signs_in(op, provider, near_miss)
        assert teams_of('ann@partner.example') == {'Default team'}, near_miss
    signs_in(op, provider, ['Backend'])
    assert teams_of('ann@partner.example') == {'Default team', 'Backend'}


def test_a_team_deleted_after_it_was_mapped_changes_nothing_at_sign_in(op, partner):
    provider = partner_sso(op, partner, {'Backend': 'Backend', 'web': 'Frontend'})
    signs_in(op, provider, ['Backend', 'web'])
    organisations.delete_team(team(partner, 'Backend'), by=User.get(User.email == 'admin@provider.test'))
    person = signs_in(op, provider, ['Backend', 'web'])
    assert person.status == UserStatus.ACTIVE and teams_of('ann@partner.example') == {'Default team', 'Frontend'}
    signs_in(op, provider, [])
    assert teams_of('ann@partner.example') == {'Default team'}


@pytest.mark.parametrize('claim', ['absent', 'empty', 'a number', 'an object', 'a list of numbers', 'null'])
def test_a_groups_claim_that_is_not_a_list_of_names_means_no_groups(op, partner, claim):
    provider = partner_sso(op, partner, {'Backend': 'Backend'})
    signs_in(op, provider)
    assert 'Backend' in teams_of('ann@partner.example')
    value = {'absent': None, 'empty': [], 'a number': 7, 'an object': {'Backend': True},
             'a list of numbers': [1, 2], 'null': ...}[claim]
    if value is ...:
        op.set_accounts({'ann': {**ann(), 'groups': None}})
        person = signs_in(op, provider)
    else:
        person = signs_in(op, provider, value)
    assert person.status == UserStatus.ACTIVE and teams_of('ann@partner.example') == {'Default team'}


def test_a_single_group_as_a_string_and_a_huge_groups_claim_work(op, partner):
    provider = partner_sso(op, partner, {'Backend': 'Backend', 'web': 'Frontend'})
    signs_in(op, provider, 'Backend')
    assert teams_of('ann@partner.example') == {'Default team', 'Backend'}
    huge = [f'group-{number:05d}' for number in range(20000)] + ['web', 7, None, {'x': 1}, 'x' * 5000]
    signs_in(op, provider, huge)
    assert teams_of('ann@partner.example') == {'Default team', 'Frontend'}


def test_only_teams_of_the_providers_own_organisation_can_be_mapped(op, partner):
    admin = an_admin()
    other = an_org_with('Other', super_admin='boss@other.example')
    foreign = Team.create(organisation=other, name='Secret')
    for rows, message in (([{'group': 'x', 'team': foreign.id}], 'not one of this organization'),
                          ([{'group': 'x', 'team': 99999}], 'not one of this organization'),
                          ([{'group': '', 'team': team(partner, 'Backend').id}], 'Enter the group'),
                          ([{'group': 'x', 'team': 'Backend'}], 'Choose the team'),
                          ([{'group': 'a\nb', 'team': team(partner, 'Backend').id}], 'not allowed'),
                          ('Backend', 'Map at most')):
        with pytest.raises(DomainError, match=message) as refused:
            sso.save_provider(None, name='Partner SSO', issuer=op.issuer, client_id=CLIENT_ID,
                              client_secret=CLIENT_SECRET, organisation_id=partner.id, team_groups=rows, by=admin)
        assert refused.value.field == 'team_groups'
    with pytest.raises(DomainError, match='choose the organization') as refused:
        sso.save_provider(None, name='Staff', issuer=op.issuer, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                          team_groups=[{'group': 'x', 'team': foreign.id}], by=admin)
    assert refused.value.field == 'team_groups'
    for fields, field in (({'super_admin_group': 'admins'}, 'super_admin_group'), ({'required': True}, 'required')):
        with pytest.raises(DomainError, match='choose the') as refused:
            sso.save_provider(None, name='Staff', issuer=op.issuer, client_id=CLIENT_ID,
                              client_secret=CLIENT_SECRET, by=admin, **fields)
        assert refused.value.field == field
    assert not IdentityProvider.select().exists()


def test_a_groups_claim_naming_another_organisations_team_does_nothing_even_through_two_providers(op, partner):
    other = an_org_with('Other', super_admin='boss@other.example')
    secret = Team.create(organisation=other, name='Secret')
    admin = an_admin()
    sso.save_provider(None, name='Other SSO', issuer=op.issuer, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                      scopes='openid email profile groups', organisation_id=other.id,
                      team_groups=[{'group': 'Secret', 'team': secret.id}], by=admin)
    provider = partner_sso(op, partner, {'Backend': 'Backend'})
    # a mapping row that names another organisation's team (a team ID reused after a delete, or a row written
    # around save_provider): sign-in reads it again and ignores it
    IdentityProvider.update(team_groups=[{'group': 'Backend', 'team': team(partner, 'Backend').id},
                                         {'group': 'Secret', 'team': secret.id}]) \
        .where(IdentityProvider.id == provider.id).execute()
    person = signs_in(op, IdentityProvider.get_by_id(provider.id), ['Backend', 'Secret', str(secret.id)])
    assert teams_of('ann@partner.example') == {'Default team', 'Backend'}
    assert person.organisation_id == partner.id
    assert not Membership.select().where(Membership.team == secret).exists()


def test_the_super_admin_group_promotes_and_demotes_but_never_the_last_super_admin(op, partner):
    provider = partner_sso(op, partner, {'Backend': 'Backend'}, super_admin_group='partner-admins')
    assert signs_in(op, provider, ['Backend', 'partner-admins']).role == Role.SUPER_ADMIN
    assert [d['provider'] for d in audited('teammate.promote')] == ['Partner SSO']
    assert signs_in(op, provider, ['Backend']).role == Role.TEAM_MEMBER
    assert len(audited('teammate.demote')) == 1

    signs_in(op, provider, ['partner-admins'])  # Ann super admin again; Sam leaves: Ann is the last one
    sam = User.get(User.email == 'boss@partner.example')
    User.update(role=Role.TEAM_MEMBER).where(User.id == sam.id).execute()
    person = signs_in(op, provider, [])
    assert person.role == Role.SUPER_ADMIN  # kept: an organisation keeps a super admin
    assert audited('teammate.demotion_deferred')[-1]['reason'] == 'the last super admin of the organization'
    User.update(role=Role.SUPER_ADMIN).where(User.id == sam.id).execute()
    assert signs_in(op, provider, []).role == Role.TEAM_MEMBER  # now someone else is one


def test_without_a_super_admin_group_roles_are_managed_by_hand(op, partner):
    provider = partner_sso(op, partner, {'Backend': 'Backend'})
    person = signs_in(op, provider, ['partner-admins'])
    User.update(role=Role.SUPER_ADMIN).where(User.id == person.id).execute()
    assert signs_in(op, provider, []).role == Role.SUPER_ADMIN


def test_a_person_of_another_organisation_is_left_alone(op, partner):
    """An account of the default organisation linked to the partner's provider: the partner's mapping is not its
    business (it names the partner's teams)."""
    provider = partner_sso(op, partner, {'Backend': 'Backend'})
    person = signs_in(op, provider)
    User.update(organisation=1).where(User.id == person.id).execute()  # moved by hand meanwhile
    Membership.delete().where(Membership.user == person).execute()
    developer_team = Team.get((Team.organisation == 1) & Team.is_default)
    Membership.create(user=person, team=developer_team)
    signs_in(op, provider, ['Backend'])
    assert teams_of('ann@partner.example') == {developer_team.name}


def test_parallel_sign_ins_of_one_person_end_in_one_account_with_the_same_teams(op, partner):
    provider = partner_sso(op, partner, {'Backend': 'Backend', 'web': 'Frontend'})
    for round_ in range(2):  # the first sign-ins (the account is made) and later ones
        op.set_accounts({'ann': ann(['Backend', 'web'] if round_ == 0 else ['web'])})
        started = []
        for _ in range(4):
            from tests.identity_provider import sign_in_at_provider
            url, secret = sso.begin(provider.id)
            started.append((sign_in_at_provider(url, 'ann', CALLBACK), secret))
        outcomes, barrier = [], threading.Barrier(len(started))

        def finish(answer, secret):
            barrier.wait()
            try:
                outcomes.append(sso.finish(answer['state'], answer['code'], secret).user.id)
            except Exception as error:  # noqa: BLE001 - reported below
                outcomes.append(error)
        threads = [threading.Thread(target=finish, args=item) for item in started]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(set(outcomes)) == 1 and isinstance(outcomes[0], int), outcomes
        assert User.select().where(User.email == 'ann@partner.example').count() == 1
        assert teams_of('ann@partner.example') == ({'Default team', 'Backend', 'Frontend'} if round_ == 0
                                                   else {'Default team', 'Frontend'})
