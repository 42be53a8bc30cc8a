"""Admin -> Sign-in: the OpenID Connect providers people sign in through (issue 24; rules in workflows/sso.py)."""
from __future__ import annotations

from nicegui import run, ui

import session
from api import sso as sso_routes
from components import dialogs, pickers
from components.forms import ErrorNote, Feedback
from components.frame import admin_frame, admin_page
from db.models import IdentityProvider
from domain.errors import DomainError
from domain.i18n import N_, _, ngettext
from workflows import sso

INTRO = N_('People sign in through your company\'s identity provider, or a partner organisation\'s own: any '
           'OpenID Connect provider (Keycloak, Entra ID, Google, Okta...). Register this redirect URI with it: ')


@admin_page('/admin/sign-in')
async def sign_in_page() -> None:
    with admin_frame(_('Sign-in')):
        with ui.row().classes('w-full items-center justify-between'):
            with ui.column().classes('gap-0'):
                ui.label(_(INTRO)).classes('text-grey-8')
                ui.label(sso.redirect_uri()).classes('font-mono text-sm').mark('sso-redirect-uri')
            ui.button(_('Add provider'), icon='add', on_click=lambda: edit_dialog(None, listing.refresh)) \
                .props('unelevated no-caps').mark('sso-add')

        @ui.refreshable
        async def listing() -> None:
            providers = await run.io_bound(sso.providers)
            if not providers:
                ui.label(_('No identity providers yet: people sign in with their passwords. Add one to offer '
                           '"Continue with <name>" on Log in.')).classes('text-grey-8').mark('sso-empty')
                return
            with ui.card().classes('w-full p-0 gap-0'):
                for provider in providers:
                    with ui.row().classes('w-full items-center justify-between border-t px-4 py-2') \
                            .mark(f'sso-row-{provider.name}'):
                        with ui.column().classes('gap-0'):
                            ui.label(provider.name).classes('font-medium')
                            ui.label(describe(provider)).classes('text-sm text-grey-8')
                            ui.label(_('Back-channel logout URI: {address}', address=sso_routes.backchannel_logout_uri(provider.id))) \
                                .classes('text-xs text-grey-7 font-mono').mark(f'sso-logout-uri-{provider.name}')
                        with ui.row().classes('gap-1'):
                            ui.button(_('Edit'), on_click=lambda p=provider: edit_dialog(p.id, listing.refresh)) \
                                .props('flat dense no-caps').mark(f'sso-edit-{provider.name}')
                            ui.button(_('Delete'), on_click=lambda p=provider: delete(p)) \
                                .props('flat dense no-caps color=negative').mark(f'sso-delete-{provider.name}')

        def delete(provider: IdentityProvider) -> None:
            dialogs.confirm_delete(provider.name, _('People who signed in through it keep their accounts and sign in '
                                                 'another way.'), 'sso-delete',
                                   lambda: sso.delete_provider(provider.id, by=session.current_user()), listing.refresh)

        await listing()


def describe(provider: IdentityProvider) -> str:
    parts = [provider.issuer, _('on') if provider.enabled else _('off')]
    if provider.organisation_id:
        name = provider.organisation.name
        parts.append(_('for {name} ({domains})', name=name, domains=', '.join(provider.email_domains))
                     if provider.email_domains else _('for {name}', name=name))
    if provider.team_groups:
        parts.append(ngettext('{count} group(s) to teams', '{count} group(s) to teams', len(provider.team_groups)))
    if provider.super_admin_group:
        parts.append(_('super admins: group {group}', group=provider.super_admin_group))
    if provider.required:
        parts.append(_('required for its members'))
    if provider.for_admins:
        parts.append(_('portal admins: group {group}', group=provider.admin_group) if provider.admin_group
                     else _('portal admins'))
    return ' · '.join(parts)


def edit_dialog(provider_id: int | None, refresh) -> None:
    provider = IdentityProvider.get_or_none(IdentityProvider.id == provider_id) if provider_id else None
    with dialogs.dialog() as dialog, ui.card().classes('w-[34rem] max-w-full'):
        ui.label(_('Add an identity provider') if provider is None else _('Edit {name}', name=provider.name)) \
            .classes('text-lg font-semibold')

        def field(label: str, value: str, marker: str, **props) -> ui.input:
            return ui.input(label, value=value, **props).props('outlined').classes('w-full').mark(marker)
        name = field(_('Name (shown as "Continue with <name>")'), provider.name if provider else '', 'sso-name')
        issuer = field(_('Issuer URL'), provider.issuer if provider else '', 'sso-issuer')
        client_id = field(_('Client ID'), provider.client_id if provider else '', 'sso-client-id')
        secret = field(_('Client secret (empty: keep the stored one)') if provider else _('Client secret'), '', 'sso-secret',
                       password=True)
        scopes = field(_('Scopes'), provider.scopes if provider else 'openid email profile', 'sso-scopes')
        chosen = {provider.organisation_id: provider.organisation.name} if provider and provider.organisation_id else {}
        organisation = pickers.one_of(_('Organization (its people land there without approval)'), pickers.organisations,
                                      chosen, 'sso-organisation', clearable=True).classes('w-full')
        domains = field(_('Email domains that Log in sends here (e.g. partner.example)'),
                        ', '.join(provider.email_domains) if provider else '', 'sso-domains')
        with ui.column().classes('w-full gap-2 border rounded p-3').mark('sso-organisation-part') as part:
            mapping = GroupsToTeams(provider)
            super_admin_group = field(_('Super admin group (members are its super admins, others team members)'),
                                      provider.super_admin_group if provider else '', 'sso-super-admin-group')
            required = ui.checkbox(_('Members must sign in through this provider (no password, no reset)'),
                                   value=provider.required if provider else False).mark('sso-required')
        part.bind_visibility_from(organisation, 'value', backward=bool)
        organisation.on_value_change(lambda event: mapping.organisation_chosen(event.value))
        mapping.organisation_chosen(organisation.value)
        for_admins = ui.switch(_('Portal admins sign in through it'), value=provider.for_admins if provider else False) \
            .mark('sso-for-admins')
        admin_group = field(_('Group that makes a portal admin'), provider.admin_group if provider else '',
                            'sso-admin-group')
        groups_claim = field(_('Groups claim'), provider.groups_claim if provider else 'groups', 'sso-groups-claim')
        enabled = ui.switch(_('On (shown on Log in)'), value=provider.enabled if provider else True).mark('sso-enabled')
        feedback = Feedback({'name': name, 'issuer': issuer, 'client_id': client_id, 'client_secret': secret,
                             'scopes': scopes, 'organisation': organisation, 'email_domains': domains,
                             'groups_claim': groups_claim, 'admin_group': admin_group, 'team_groups': mapping,
                             'super_admin_group': super_admin_group}, marker='sso-error')

        async def save() -> None:
            feedback.clear()
            values = dict(name=name.value, issuer=issuer.value, client_id=client_id.value,
                          client_secret=secret.value, scopes=scopes.value, organisation_id=organisation.value or None,
                          email_domains=domains.value, for_admins=for_admins.value, groups_claim=groups_claim.value,
                          admin_group=admin_group.value, enabled=enabled.value, team_groups=mapping.rows(),
                          super_admin_group=super_admin_group.value, required=required.value,
                          by=session.current_user())
            try:  # the issuer's discovery document is read: off the event loop
                saved = await run.io_bound(lambda: sso.save_provider(provider.id if provider else None, **values))
            except DomainError as error:
                feedback.show(error)
                return
            dialog.close()
            ui.notify(_('{name} saved.', name=saved.name), type='positive')
            refresh()

        dialogs.actions(dialog, _('Save'), save, 'sso-save')
    dialog.open()


class GroupsToTeams(ErrorNote):
    """The "Groups to teams" editor: rows of a group (as the provider names it) and a team of the chosen
    organisation. `error` shows a refusal of the mapping under it (Feedback sets it)."""

    def __init__(self, provider: IdentityProvider | None) -> None:
        self.teams: dict[int, str] = {}
        self.values: list[dict] = [dict(row) for row in (provider.team_groups if provider else []) or []]
        ui.label(_('Groups to teams')).classes('font-medium')
        ui.label(_('At every sign-in, a member of a group joins its team and leaves it without the group (exactly as '
                   'the provider spells it). Teams not named here are left alone.')).classes('text-sm text-grey-8')
        self.area = ui.column().classes('w-full gap-1')
        ui.button(_('Add group'), icon='add', on_click=self.add).props('flat dense no-caps').mark('sso-add-group')
        self.note_under('sso-team-groups-error')

    def organisation_chosen(self, organisation_id: int | None) -> None:
        """The teams to choose from; rows of a team that is not the organisation's (deleted since) are dropped."""
        self.teams = pickers.teams_of(organisation_id)
        self.values = [row for row in self.values if row.get('team') in self.teams or row.get('team') is None]
        self.show()

    def add(self) -> None:
        self.values.append({'group': '', 'team': None})
        self.show()

    def remove(self, index: int) -> None:
        del self.values[index]
        self.show()

    def rows(self) -> list[dict]:
        return [row for row in self.values if (row.get('group') or '').strip() or row.get('team') is not None]

    def show(self) -> None:
        self.area.clear()
        with self.area:
            for index, row in enumerate(self.values):
                with ui.row().classes('w-full no-wrap items-center gap-2').mark(f'sso-group-row-{index}'):
                    ui.input(_('Group'), value=row.get('group') or '').props('outlined dense').classes('grow') \
                        .bind_value(row, 'group').mark(f'sso-group-{index}')
                    ui.select(self.teams, label=_('Team'), value=row.get('team') if row.get('team') in self.teams
                              else None).props('outlined dense').classes('w-44') \
                        .bind_value(row, 'team').mark(f'sso-team-{index}')
                    remove = ui.button(icon='close', on_click=lambda i=index: self.remove(i)) \
                        .props('flat dense round').mark(f'sso-remove-group-{index}')
                    remove.props['aria-label'] = _('Remove this group')
