"""An organisation that requires its identity provider (issue 24, `IdentityProvider.required`): its members sign
in only through it, so password sign-in and password reset refuse them with a message that names the provider.

It applies to every member of the organisation, a portal admin among them (they sign in through the provider
like their colleagues), and only while the provider is on: a provider switched off requires nothing, so that
nobody is locked out. Accounts elsewhere (the default organisation, portal staff) keep their passwords."""
from __future__ import annotations

from domain.i18n import Lazy, lazy
from db.models import IdentityProvider, User


def provider_required_for(user: User) -> IdentityProvider | None:
    """The provider this account must sign in through, if its organisation requires one."""
    return (IdentityProvider.select()
            .where((IdentityProvider.organisation == user.organisation_id) & IdentityProvider.required
                   & IdentityProvider.enabled)
            .order_by(IdentityProvider.name).first())


def refusal(provider: IdentityProvider) -> Lazy:
    return lazy('Your organization signs you in through {provider}: use "Continue with {provider}" on Log in '
                'instead of a password.', provider=provider.name)
