"""Test helpers: the loopback mailbox, world-building factories, and AuthActions-style steps."""
from __future__ import annotations

import asyncio
import contextvars
import email
import email.policy
import itertools
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from aiosmtpd.controller import Controller

from db import bootstrap, clock
from db.models import Membership, Organisation, OrgStatus, Role, Team, User, UserStatus
from domain.errors import DomainError
from workflows import passwords

PASSWORD = 'correct horse battery'
_HASH_CACHE: dict[str, str] = {}


# --- mail ------------------------------------------------------------------------------------------

@dataclass
class Email:
    to: str
    subject: str
    body: str
    message_id: str = ''
    message: object = None  # the whole email.message.EmailMessage (its HTML part, its inline images)

    def link(self, path_part: str = '') -> str:
        """The first URL in the body containing `path_part`."""
        for url in re.findall(r'https?://\S+', self.body):
            if path_part in url:
                return url
        raise AssertionError(f'no link with {path_part!r} in: {self.body}')

    def path(self, path_part: str = '') -> str:
        """The link without the base URL, ready for user.open()."""
        return path_of(self.link(path_part))


def path_of(url: str) -> str:
    """`url` without its scheme and host: what a browser or the simulated user opens on the test's server."""
    return re.sub(r'^https?://[^/]+', '', url)


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        if self.box.delay:
            await asyncio.sleep(self.box.delay)  # a slow server: the message is ours only after this
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        part = message.get_body(preferencelist=('plain', 'html'))
        body = part.get_content() if part is not None else ''
        for recipient in envelope.rcpt_tos:
            self.box.messages.append(Email(recipient.lower(), str(message['subject']), body,
                                           str(message['message-id'] or ''), message))
        return '250 OK'


def ports_of_this_worker() -> range:
    """The ports this pytest process gives the servers its tests start (portals, nginx, upstreams, the browser
    tests' server): below the range the kernel hands out for port 0 and for outgoing connections, and a slice of
    their own per pytest-xdist worker. A port from bind(0) could be handed to another worker as well before
    either server bound it (a full run once had one test's calls answered by the other worker's nginx: 401)."""
    try:
        low = int(Path('/proc/sys/net/ipv4/ip_local_port_range').read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    workers = int(os.environ.get('PYTEST_XDIST_WORKER_COUNT') or 1)
    worker = int(os.environ.get('PYTEST_XDIST_WORKER', 'gw0').removeprefix('gw') or 0)
    size = (low - 20000) // max(workers, 1)
    return range(20000 + worker * size, 20000 + (worker + 1) * size)


_handed_out = itertools.count()


def free_port() -> int:
    """A free port of this worker's slice, in turn: not the same one twice until the slice has gone round."""
    ports = ports_of_this_worker()
    for _ in range(len(ports)):
        port = ports[next(_handed_out) % len(ports)]
        with socket.socket() as probe:
            try:
                probe.bind(('0.0.0.0', port))
            except OSError:
                continue
        return port
    raise RuntimeError(f'no free port in {ports}')


class Mailbox:
    """An aiosmtpd server on 127.0.0.1 that keeps every message; can be stopped and started again."""

    def __init__(self, delay: float = 0.0) -> None:
        self.port = free_port()
        self.delay = delay  # seconds before each message is accepted
        self.messages: list[Email] = []
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        return f'smtp://127.0.0.1:{self.port}'

    def start(self) -> None:
        self.controller = Controller(_Handler(self), hostname='127.0.0.1', port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str, subject: str = '', text: str = '') -> list[Email]:
        return [m for m in self.messages
                if m.to == address.lower() and subject.lower() in m.subject.lower() and text in m.body]

    async def wait_for(self, address: str, subject: str = '', timeout: float = 10, *, text: str = '') -> Email:
        """Wait (without blocking the event loop, where the mail worker runs) for a message; `text` in its
        body tells apart two messages whose subjects share the words asked for."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.to(address, subject, text)
            if found:
                return found[-1]
            await asyncio.sleep(0.05)
        raise AssertionError(f'no email to {address} with {subject!r}; got {[(m.to, m.subject) for m in self.messages]}')


    def expect(self, address: str, subject: str = '', timeout: float = 10) -> Email:
        """Wait for a message from a test that runs beside the portal's own thread (the browser tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.to(address, subject)
            if found:
                return found[-1]
            time.sleep(0.05)
        raise AssertionError(f'no email to {address} with {subject!r}; got {[(m.to, m.subject) for m in self.messages]}')


def worker_database(url: str, worker: str) -> str:
    """`url` with a database of its own for this pytest-xdist worker (`..._gw0`), created when missing."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg2
    parts = urlsplit(url)
    name = f'{parts.path.lstrip("/")}_{worker}'
    connection = psycopg2.connect(urlunsplit(parts._replace(path='/postgres')))
    try:
        connection.autocommit = True  # CREATE DATABASE runs outside a transaction
        with connection.cursor() as cursor:
            cursor.execute('SELECT 1 FROM pg_database WHERE datname = %s', (name,))
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        connection.close()
    return urlunsplit(parts._replace(path=f'/{name}'))


def reset_postgres(url: str) -> None:
    import peewee
    from playhouse import db_url
    params = db_url.parse(url)
    database = peewee.PostgresqlDatabase(params.pop('database'), **params)
    with database:
        database.execute_sql('DROP SCHEMA IF EXISTS public CASCADE')
        database.execute_sql('CREATE SCHEMA public')


# --- the world ---------------------------------------------------------------------------------------

def password_hash(password: str = PASSWORD) -> str:
    if password not in _HASH_CACHE:
        _HASH_CACHE[password] = passwords.hash_password(password)
    return _HASH_CACHE[password]


def a_user(email: str = 'dev@consumer.test', *, first: str = 'Dana', last: str = 'Developer',
           organisation: Organisation | None = None, role: str = Role.TEAM_MEMBER, admin: bool = False,
           status: str = UserStatus.ACTIVE, password: str | None = PASSWORD, **fields) -> User:
    org = organisation or bootstrap.default_organisation()
    user = User.create(email=email.lower(), first_name=first, last_name=last, organisation=org, role=role,
                       is_portal_admin=admin, status=status,
                       password_hash=password_hash(password) if password else None, **fields)
    team = Team.get((Team.organisation == org) & Team.is_default)
    Membership.create(user=user, team=team)
    return user


def an_admin(email: str = 'admin@provider.test', **fields) -> User:
    return a_user(email, first='Ada', last='Admin', admin=True, **fields)


def an_org_with(name: str = 'Acme', *, super_admin: str = 'boss@acme.test', members: int = 0,
                contact_email: str = 'contact@acme.test') -> Organisation:
    org = Organisation.create(name=name, name_key=name.lower(), status=OrgStatus.ACTIVE, contact_email=contact_email)
    Team.create(organisation=org, name='Default team', is_default=True)
    if super_admin:
        a_user(super_admin, first='Sam', last='Boss', organisation=org, role=Role.SUPER_ADMIN)
    for number in range(members):
        a_user(f'member{number + 1}@{name.lower().replace(" ", "")}.test', first='Member', last=str(number + 1),
               organisation=org)
    return org


def fresh(user: User) -> User:
    return User.get_by_id(user.id)


def in_days(days: int) -> str:
    """The date `days` from the portal's clock, as a date field takes it (YYYY-MM-DD)."""

    return f'{(clock.now() + timedelta(days=days)).date():%Y-%m-%d}'


# --- steps -------------------------------------------------------------------------------------------

async def opens_as(user, email: str, path: str) -> None:
    """The person with this address (made by the test) signs in and opens `path`."""
    await log_in(user, email)
    await settle()
    await user.open(path)


async def admin_opens(user, path: str) -> User:
    """A portal admin (admin@provider.test) is made, signs in and opens `path`."""
    admin = an_admin('admin@provider.test')
    await opens_as(user, 'admin@provider.test', path)
    return admin


def fill(user, texts: dict[str, str]) -> None:
    """Type each text into the input with its marker, in this order."""
    for marker, text in texts.items():
        user.find(marker=marker).type(text)


async def press(user, marker: str) -> None:
    """Click the button with this marker and wait for the answer (a message, or the page it leads to)."""
    user.find(marker=marker).click()
    await settle()


def element(user, marker: str):
    """The one element with this marker on the simulated user's page."""
    [found] = user.find(marker=marker).elements
    return found


async def upload(user, marker: str, name: str, content_type: str, data: bytes) -> None:
    """Give the upload with this marker a file, as picking it in the browser does."""
    from nicegui.elements.upload_files import SmallFileUpload
    with user.client:
        await element(user, marker).handle_uploads([SmallFileUpload(name=name, content_type=content_type,
                                                                    _data=data)])


def field_error(user, marker: str) -> str | None:
    """The message Quasar shows under the input with this marker (None when there is none)."""
    return element(user, marker).error


async def log_in(user, email: str, password: str = PASSWORD) -> None:
    """Open Log in, type the credentials, click Log in, and wait for the answer (a message or a new page)."""
    await user.open('/login')
    user.find(marker='login-email').type(email)
    user.find(marker='login-password').type(password)
    user.find(marker='login-submit').click()
    await settle()


# NiceGUI tasks that live as long as the app or a page does; every other task is work an action started
_LONG_LIVED = {'Timer._run_in_loop', 'refresh_loop', 'Outbox.loop'}


def _work_under_way() -> list[asyncio.Task]:
    from nicegui import background_tasks
    return [task for task in background_tasks.running_tasks
            if not task.done() and getattr(task.get_coro(), '__qualname__', '') not in _LONG_LIVED]


async def settle(_seconds: float | None = None, *, timeout: float = 10.0) -> None:
    """Wait until the work the last action started is done: its event handler (argon2 or a save in a
    thread), the navigation it asked for and the new page. Not a fixed pause: it returns as soon as
    nothing is under way (a number given, as branches written before this may, is ignored)."""
    await asyncio.sleep(0)
    deadline = time.monotonic() + timeout
    while (pending := _work_under_way()) and time.monotonic() < deadline:
        await asyncio.wait(pending, timeout=0.05)
    await asyncio.sleep(0)  # the callbacks of what just finished


async def until(condition, timeout: float = 5.0) -> None:
    """Wait until `condition()` holds (work that runs in a thread, like argon2, takes its time)."""
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    assert condition(), 'the condition did not become true in time'


_counting: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar('portico_counting', default=None)


@contextmanager
def statements_of_this_task() -> Iterator[list[str]]:
    """The SQL statements run by what the test does inside the block (a page it opens, with its threads),
    not those of a timer on a page opened earlier. Stop the background loops first (`background.stop_all()`):
    a thread of `run.io_bound` carries no context, so every statement outside the event loop is counted."""
    from db.connection import database
    found: list[str] = []
    token = _counting.set(found)
    loop_thread = threading.get_ident()
    execute_sql = database.obj.execute_sql

    def counting(sql, *args, **kwargs):
        mine = _counting.get()
        if mine is not None:
            mine.append(sql)
        elif threading.get_ident() != loop_thread:
            found.append(sql)
        return execute_sql(sql, *args, **kwargs)

    database.obj.execute_sql = counting
    try:
        yield found
    finally:
        del database.obj.execute_sql
        _counting.reset(token)


def choose(user, marker: str, label: str) -> None:
    """Pick the option shown as `label` in the select with this marker (as a click on it would)."""
    [select] = user.find(marker=marker).elements
    options = select.options if isinstance(select.options, dict) else {o: o for o in select.options}
    [value] = [key for key, text in options.items() if text == label]
    with user.client:
        select.value = value


WEATHER_OPENAPI = '''openapi: 3.0.3
info:
  title: Weather API
  version: 1.0.0
paths:
  /forecast/{city}:
    get:
      summary: Forecast for a city
      parameters:
        - name: city
          in: path
          required: true
          schema: {type: string}
        - name: days
          in: query
          schema: {type: integer}
      responses:
        '200':
          description: The forecast
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Forecast'}
components:
  schemas:
    Forecast:
      type: object
      properties:
        city: {type: string}
        temperature: {type: number}
'''


def a_catalog_world():
    """Two catalogs (Public with a free plan, Partners (Private) with a plan that needs approval) and
    three products: Weather and Maps in Public, Payments in Partners."""
    from db.models import (Api, ApiStatus, Catalog, CatalogPlan, CatalogProduct, Plan, Product, ProductApi,
                           Visibility)
    from workflows import openapi
    world = {}
    for name, path in (('Weather API', '/weather/'), ('Maps API', '/maps/'), ('Payments API', '/payments/')):
        world[name] = Api.create(name=name, base_path=path, status=ApiStatus.PUBLISHED, upstream='http://upstream',
                                 openapi_text=WEATHER_OPENAPI if name == 'Weather API' else '',
                                 openapi=openapi.parse(WEATHER_OPENAPI) if name == 'Weather API' else None)
        if name == 'Weather API':
            from workflows import catalog
            catalog.store_reference(world[name], openapi.read(WEATHER_OPENAPI), WEATHER_OPENAPI)
    for name, slug, api, tags in (('Weather', 'weather', 'Weather API', 'forecast,climate'),
                                  ('Maps', 'maps', 'Maps API', 'geo'),
                                  ('Payments', 'payments', 'Payments API', 'money')):
        world[name] = Product.create(name=name, slug=slug, summary=f'{name} for your apps', tags=tags,
                                     description=f'# {name}\n\nThe **{name}** product.')
        ProductApi.create(product=world[name], api=world[api])
    world['Public'] = Catalog.create(name='Public', visibility=Visibility.PUBLIC)
    world['Partners'] = Catalog.create(name='Partners', visibility=Visibility.PRIVATE)
    world['Free'] = Plan.create(name='Free', rate_limit=5, rate_period=60, quota=1000, requires_approval=False)
    world['Gold'] = Plan.create(name='Gold', rate_limit=100, rate_period=60, quota=0, requires_approval=True)
    for catalog, product in (('Public', 'Weather'), ('Public', 'Maps'), ('Partners', 'Payments')):
        CatalogProduct.create(catalog=world[catalog], product=world[product])
    CatalogPlan.create(catalog=world['Public'], plan=world['Free'])
    CatalogPlan.create(catalog=world['Partners'], plan=world['Gold'])
    return world


def set_settings(**values) -> None:
    """Portal settings for a test (the Settings page's own test drives the page)."""
    from db.models import Setting
    for key, value in values.items():
        Setting.insert(key=key, value=value).on_conflict(conflict_target=[Setting.key],
                                                         update={Setting.value: value}).execute()


def at_the_start_of_a_window(throttle_key: str) -> None:
    """Move the portal's clock to just after the start of the throttle's next window, so that a test counting
    attempts never straddles two windows (they are aligned to the clock: 15 min, an hour...)."""
    from datetime import datetime
    from workflows import throttle
    window = throttle.limit_of(throttle_key).window
    into = (clock.now() - datetime(1970, 1, 1)) % window
    clock.advance(window - into + timedelta(seconds=1))


async def follow(user, marker: str) -> None:
    """Click the link marked `marker` in NiceGUI's simulated user: open its href, as the browser does (the
    simulation follows only `ui.link` by itself, not a button that is a link)."""
    [element] = user.find(marker=marker).elements
    href = element.props.get('href')
    assert href, f'{marker} is not a link'
    await user.open(href)


def in_parallel(count: int, attempt) -> list[str]:
    """`count` threads call `attempt()` at the same moment; what each was told ('ok' when it was accepted)."""
    barrier = threading.Barrier(count)
    answers: list[str] = []

    def run() -> None:
        barrier.wait()
        try:
            attempt()
            answers.append('ok')
        except DomainError as error:
            answers.append(str(error))
        finally:
            from db.connection import database
            database.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers
