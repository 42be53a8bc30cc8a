"""API versions and deprecation (issue 26, item 5).

A version is an API of its own (its own base path, document and reference, so products, gateway routes and the
reference keep working); `Api.version_of` groups the versions (the first version's id) and `Api.version` labels
them. A portal admin marks a version deprecated with a sunset (when calls stop: 410 Gone) and a successor (another
version of the same API). The owners of every subscribed app (an approved request covering a product that holds
the API) are emailed when it is marked, and again 30 and 7 days before the sunset (the maintenance loop, once
each); every change is audited and raised as a webhook event. The gateway's answers follow: the keys covering the
API are retired, and reloaded with `Deprecation`, `Sunset` and `Link` headers (gateway/key_info.py).
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import config
from db import clock
from db.connection import database
from db.models import (AccessRequest, AccessRequestProduct, AccessStatus, Api, ApiStatus, App, AppStatus,
                       ProductApi, User)
from domain import events
from domain.errors import Conflict, DomainError
from domain.i18n import lazy, lazy_plural
from mail import outbox
from permissions import ensure
from workflows import catalog, openapi, settings
from workflows.credentials import owners_of, retire

LABEL_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$')
MAX_SUNSET = timedelta(days=5 * 366)
# the notices before the sunset, after the one sent when the version is marked: (name, how long before)
REMINDERS = (('30d', timedelta(days=30)), ('7d', timedelta(days=7)))
MARKED = 'marked'


# --- reading ----------------------------------------------------------------------------------------

def versions_of(api: Api) -> list[Api]:
    """The versions of an API, itself included, oldest first (a stand-alone API: itself alone)."""
    if api.version_of_id is None:
        return [api]
    return list(Api.select().where(Api.version_of == api.version_of_id).order_by(Api.id))


def label(api: Api) -> str:
    """'Weather API v1', or the name alone for an API without a version label."""
    return f'{api.name} {api.version}' if api.version else api.name


def gateway_url(api: Api | None) -> str:
    """Where clients call an API through the gateway."""
    return f'{config.current().gateway_url.rstrip("/")}{api.base_path}' if api is not None else ''


def http_date(moment: datetime) -> str:
    """RFC 9110's IMF-fixdate, as the Sunset header (RFC 8594) carries it."""
    return moment.replace(tzinfo=timezone.utc).strftime('%a, %d %b %Y %H:%M:%S GMT')


def unix(moment: datetime) -> int:
    return int(moment.replace(tzinfo=timezone.utc).timestamp())


def shown_date(moment: datetime) -> str:
    return moment.strftime('%Y-%m-%d') if (moment.hour, moment.minute) == (0, 0) else \
        moment.strftime('%Y-%m-%d %H:%M UTC')


def subscribed_apps(api_id: int) -> list[App]:
    """The active apps with an approved request covering a product that holds the API."""
    requests = (AccessRequest.select(AccessRequest.app)
                .join(AccessRequestProduct, on=(AccessRequestProduct.request == AccessRequest.id))
                .join(ProductApi, on=(ProductApi.product == AccessRequestProduct.product))
                .where((ProductApi.api == api_id) & (AccessRequest.status == AccessStatus.APPROVED)))
    return list(App.select().where(App.id.in_(requests) & (App.status == AppStatus.ACTIVE)).order_by(App.id))


def _requests_with_api(api_id: int):
    return (AccessRequestProduct.select(AccessRequestProduct.request)
            .join(ProductApi, on=(ProductApi.product == AccessRequestProduct.product)).where(ProductApi.api == api_id))


# --- versions ---------------------------------------------------------------------------------------

def _label(value: str | None, field: str) -> str:
    value = (value or '').strip()
    if not value:
        raise DomainError('Enter the version label, like v2.', field)
    if not LABEL_RE.match(value):
        raise DomainError('A version label is up to 20 letters, digits and . _ -, like v2 or 2024-06.', field)
    return value


def add_version(api_id: int, version: str, base_path: str, openapi_text: str, by: User, *, upstream: str | None = None,
                current_version: str = '', in_same_products: bool = True) -> Api:
    """A new version of an API: the same name, its own base path and document. A stand-alone API becomes the
    first version of its group (labelled `current_version`, 'v1' when left empty). With `in_same_products`,
    the new version joins every product of the API it was added to (their keys then cover it too)."""
    ensure(by, 'manage_catalog')
    version = _label(version, 'version')
    reference = openapi.read(openapi_text)  # seconds for a big document: before the transaction
    with database.atomic():
        base = catalog.find(Api, api_id, 'This API')
        if base.status != ApiStatus.PUBLISHED:
            raise DomainError('Only a published API gets new versions.')
        group = base.version_of_id or base.id
        current = base.version
        if base.version_of_id is None:
            current = _label(current_version or base.version or 'v1', 'current_version')
        taken = {api.version.lower() for api in Api.select(Api.version).where(Api.version_of == group)}
        taken.add(current.lower())
        if version.lower() in taken:
            raise Conflict('{name} has a version {version} already.', 'version', name=base.name, version=version)
        api = catalog.save_api(None, base.name, base_path, base.upstream if upstream is None else upstream,
                               openapi_text, by, read=reference)
        if base.version_of_id is None:
            Api.update(version_of=group, version=current).where(Api.id == base.id).execute()
        Api.update(version_of=group, version=version).where(Api.id == api.id).execute()
        products = []
        if in_same_products:
            products = [link.product_id for link in ProductApi.select(ProductApi.product).where(ProductApi.api == base.id)]
            retire(AccessRequest.id.in_(AccessRequestProduct.select(AccessRequestProduct.request)
                                        .where(AccessRequestProduct.product.in_(products or [0]))))
            for product_id in products:
                ProductApi.create(product=product_id, api=api.id)
        api = Api.get_by_id(api.id)
        events.announce(by, 'api.add_version', api, name=api.name, version=version, version_of=group,
                        products=products)
        return api


# --- deprecation ------------------------------------------------------------------------------------

def parse_sunset(value) -> datetime:
    """A date (the start of that day, UTC) or a date and time (UTC), as a naive UTC datetime."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo is None else value.astimezone(timezone.utc).replace(tzinfo=None)
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        text = (value or '').strip()
        if not text:
            raise DomainError('Choose the sunset date: when calls to this version stop.', 'sunset')
        try:
            moment = datetime.fromisoformat(text.removesuffix('Z').replace(' ', 'T', 1)) if len(text) < 40 else None
        except ValueError:
            moment = None
        if moment is None:
            raise DomainError('Write the sunset as a date, like 2027-03-31.', 'sunset')
        if moment.tzinfo is not None:
            moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.replace(microsecond=0)


def deprecate(api_id: int, sunset, successor_id: int | None, by: User) -> Api:
    """Mark a version deprecated: calls still work until `sunset` (in the future), with Deprecation and Sunset
    headers, then get 410 Gone; `successor_id`: another version of the same API to move to (None: no successor).
    Marking again changes the sunset or the successor and tells the subscribers again."""
    ensure(by, 'manage_catalog')
    moment = parse_sunset(sunset)
    now = clock.now()
    if moment <= now:
        raise DomainError('The sunset must be in the future.', 'sunset')
    if moment > now + MAX_SUNSET:
        raise DomainError('The sunset is at most 5 years away.', 'sunset')
    with database.atomic():
        api = catalog.find(Api, api_id, 'This API')
        successor = None
        if successor_id not in (None, '', 0):
            try:
                successor = Api.get_or_none(Api.id == int(successor_id))
            except (TypeError, ValueError):
                successor = None
            if (successor is None or successor.id == api.id or api.version_of_id is None
                    or successor.version_of_id != api.version_of_id):
                raise DomainError('The successor must be another version of the same API.', 'successor')
            if successor.deprecated_at is not None or successor.status != ApiStatus.PUBLISHED:
                raise Conflict('The successor must be a published version that is not deprecated itself.',
                                  'successor')
        sent = [MARKED] + [name for name, before in REMINDERS if moment - before <= now]  # no reminder due already
        Api.update(deprecated_at=api.deprecated_at or now, sunset_at=moment, successor=successor,
                   deprecation_notices_sent=','.join(sent)).where(Api.id == api.id).execute()
        retire(AccessRequest.id.in_(_requests_with_api(api.id)))  # every instance reloads them with the headers
        api = Api.get_by_id(api.id)
        apps = _notify(api, successor, 'api_deprecated')
        events.announce(by, 'api.deprecate', api, version=api.version, sunset_at=_iso(moment),
                        successor_id=successor.id if successor else None, app_ids=[app.id for app in apps])
        return api


def undo_deprecation(api_id: int, by: User) -> Api:
    """The version is no longer deprecated: no headers, no sunset, no notices."""
    ensure(by, 'manage_catalog')
    with database.atomic():
        api = catalog.find(Api, api_id, 'This API')
        if api.deprecated_at is None:
            raise Conflict('This version is not deprecated.')
        Api.update(deprecated_at=None, sunset_at=None, successor=None, deprecation_notices_sent='') \
            .where(Api.id == api.id).execute()
        retire(AccessRequest.id.in_(_requests_with_api(api.id)))
        api = Api.get_by_id(api.id)
        events.announce(by, 'api.undeprecate', api, version=api.version,
                        app_ids=[app.id for app in subscribed_apps(api.id)])
        return api


def remind_sunsets() -> int:
    """The maintenance loop: tell the subscribers of deprecated versions 30 and 7 days before the sunset, once
    each (a notice whose moment passed while the loop did not run is sent once, the nearest). Returns how many
    notices (one per API)."""
    now = clock.now()
    due = list(Api.select().where(Api.deprecated_at.is_null(False) & (Api.sunset_at > now)
                                  & (Api.sunset_at <= now + REMINDERS[0][1])).order_by(Api.sunset_at).limit(1000))
    sent = 0
    for api in due:
        already = [name for name in api.deprecation_notices_sent.split(',') if name]
        reached = [name for name, before in REMINDERS if api.sunset_at - before <= now]
        if not reached or reached[-1] in already:
            continue
        with database.atomic():
            marked = ','.join(already + [name for name in reached if name not in already])
            if not (Api.update(deprecation_notices_sent=marked)
                    .where((Api.id == api.id) & (Api.deprecation_notices_sent == api.deprecation_notices_sent)
                           & (Api.sunset_at == api.sunset_at)).execute()):
                continue  # another instance sent it, or the deprecation changed meanwhile
            successor = Api.get_or_none(Api.id == api.successor_id) if api.successor_id else None
            days = max(1, round((api.sunset_at - now) / timedelta(days=1)))
            apps = _notify(api, successor, 'api_sunset_soon', days)
            events.announce(None, 'api.sunset_reminder', api, version=api.version, sunset_at=_iso(api.sunset_at),
                            successor_id=api.successor_id, days_left=days, app_ids=[app.id for app in apps])
            sent += 1
    return sent


def _notify(api: Api, successor: Api | None, template: str, days: int | None = None) -> list[App]:
    apps = subscribed_apps(api.id)
    base = settings.base_url()
    if successor is not None:
        move = lazy('Move to {api}: {url}', api=label(successor), url=gateway_url(successor))
    else:
        move = lazy('There is no successor version: plan for the end of this API.')
    for app in apps:
        for person in owners_of(app):
            outbox.queue(template, person.email, first_name=person.first_name, app_name=app.name,
                         api_name=label(api), base_path=gateway_url(api), sunset_date=shown_date(api.sunset_at),
                         successor_part=move, days_left=lazy_plural('{count} day', '{count} days', days) if days else '',
                         apps_link=f'{base}/apps/{app.id}')
    return apps


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec='seconds') + 'Z'
