"""All tables of Portico, declared once. States are explicit columns with named values."""
from __future__ import annotations

import json

import peewee as pw

from db import clock
from db.connection import database


def N_(message: str) -> str:  # noqa: N802 - marks a label for the catalogs (domain/i18n.N_; db is below domain)
    """The labels below are translated where they are shown: `_(UserStatus.LABELS[status])`."""
    return message


class JSONField(pw.TextField):
    def db_value(self, value):
        return None if value is None else json.dumps(value, sort_keys=True)

    def python_value(self, value):
        return None if value is None else json.loads(value)


class BaseModel(pw.Model):
    class Meta:
        database = database
        legacy_table_names = False


def one_of(values) -> pw.SQL:
    """A CHECK that a status column holds one of its named values (migration 4); PostgreSQL names it
    <table>_<column>_check, and migration 4 adds it under that name."""
    return pw.Check(f"{values.column} IN ({', '.join(repr(value) for value in values.ALL)})")


# --- consumers: organisations, teams, users -------------------------------------------------------

class OrgStatus:
    PENDING = 'pending'
    ACTIVE = 'active'
    REJECTED = 'rejected'

    column = 'status'
    ALL = (PENDING, ACTIVE, REJECTED)


class Organisation(BaseModel):
    name = pw.CharField(max_length=100)
    name_key = pw.CharField(max_length=100, index=True)  # lower-cased name, for case-insensitive uniqueness
    status = pw.CharField(max_length=20, default=OrgStatus.ACTIVE, index=True, constraints=[one_of(OrgStatus)])
    contact_email = pw.CharField(max_length=254, default='')
    is_default = pw.BooleanField(default=False)
    requested_by = pw.DeferredForeignKey('User', null=True, on_delete='SET NULL')
    decided_by = pw.DeferredForeignKey('User', null=True, on_delete='SET NULL')
    decided_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=clock.now)


class Team(BaseModel):
    organisation = pw.ForeignKeyField(Organisation, backref='teams', on_delete='CASCADE')
    name = pw.CharField(max_length=100)
    is_default = pw.BooleanField(default=False)
    created_at = pw.DateTimeField(default=clock.now)


class UserStatus:
    PENDING_VERIFICATION = 'pending_verification'
    PENDING_APPROVAL = 'pending_approval'
    INVITED = 'invited'  # created by an admin or a super admin, no password chosen yet
    ACTIVE = 'active'
    INACTIVE = 'inactive'
    REJECTED = 'rejected'

    column = 'status'
    ALL = (PENDING_VERIFICATION, PENDING_APPROVAL, INVITED, ACTIVE, INACTIVE, REJECTED)

    LABELS = {
        PENDING_VERIFICATION: N_('pending verification'),
        PENDING_APPROVAL: N_('pending approval'),
        INVITED: N_('invited'),
        ACTIVE: N_('active'),
        INACTIVE: N_('inactive'),
        REJECTED: N_('rejected'),
    }


class Role:
    TEAM_MEMBER = 'team_member'
    SUPER_ADMIN = 'super_admin'

    column = 'role'
    ALL = (TEAM_MEMBER, SUPER_ADMIN)

    LABELS = {TEAM_MEMBER: N_('Team member'), SUPER_ADMIN: N_('Super admin')}


class User(BaseModel):
    email = pw.CharField(max_length=254, unique=True)  # always stored lower-cased
    first_name = pw.CharField(max_length=100)
    last_name = pw.CharField(max_length=100)
    password_hash = pw.CharField(max_length=255, null=True)
    status = pw.CharField(max_length=30, default=UserStatus.ACTIVE, index=True, constraints=[one_of(UserStatus)])
    role = pw.CharField(max_length=20, default=Role.TEAM_MEMBER, constraints=[one_of(Role)])
    is_portal_admin = pw.BooleanField(default=False)
    must_change_password = pw.BooleanField(default=False)
    organisation = pw.ForeignKeyField(Organisation, backref='users', on_delete='RESTRICT')
    decided_by = pw.ForeignKeyField('self', null=True, on_delete='SET NULL')
    decided_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=clock.now, index=True)
    last_login_at = pw.DateTimeField(null=True)  # added by migration 2
    locale = pw.CharField(max_length=10, null=True)  # issue 28: the language chosen (None: the browser's)

    class Meta:
        indexes = ((('status', 'created_at'), False),)  # migration 5: a status's list, newest first

    @property
    def full_name(self) -> str:
        return f'{self.first_name} {self.last_name}'.strip()


class Membership(BaseModel):
    user = pw.ForeignKeyField(User, backref='memberships', on_delete='CASCADE')
    team = pw.ForeignKeyField(Team, backref='memberships', on_delete='CASCADE')

    class Meta:
        indexes = ((('user', 'team'), True),)


class UserSession(BaseModel):
    """A signed-in browser. The browser keeps the token; the table keeps its hash. `method` says how it signed in
    ('password', 'password+totp', 'passkey', 'provider:<name>', ...), `user_agent` and `ip` what the browser sent
    when it did (Profile -> Sessions shows them); `provider_id` and `provider_sid` tie a sign-in through an identity
    provider to the provider's own session, for its back-channel logout (migration 10)."""
    token_hash = pw.CharField(max_length=64, unique=True)
    user = pw.ForeignKeyField(User, backref='sessions', on_delete='CASCADE')
    created_at = pw.DateTimeField(default=clock.now)
    last_seen_at = pw.DateTimeField(default=clock.now)
    method = pw.CharField(max_length=120, default='password')
    user_agent = pw.CharField(max_length=300, default='')
    ip = pw.CharField(max_length=64, default='')
    provider_id = pw.IntegerField(null=True, index=True)
    provider_sid = pw.CharField(max_length=255, null=True, index=True)


class InviteCodeState:
    ACTIVE = 'active'
    INACTIVE = 'inactive'

    LABELS = {ACTIVE: N_('Active'), INACTIVE: N_('Inactive')}


class InviteCode(BaseModel):
    """A code that lets up to `quota` people register straight into a team (and so its organisation)
    without approval (issue 15). Like an API key: a SHA-256 for look-up and a copy encrypted with a key
    derived from the portal's secret for Copy; a copy of the database alone holds no usable code."""
    team = pw.ForeignKeyField(Team, backref='invite_codes', on_delete='CASCADE')
    code_prefix = pw.CharField(max_length=24)
    code_hash = pw.CharField(max_length=64, unique=True)
    code_encrypted = pw.TextField()
    quota = pw.IntegerField()
    used = pw.IntegerField(default=0)  # raised only by the conditional UPDATE of a registration
    expires_at = pw.DateTimeField(index=True)  # valid while now < expires_at (the end of the expiry day, UTC)
    state = pw.CharField(max_length=20, default=InviteCodeState.ACTIVE, index=True)
    note = pw.CharField(max_length=200, default='')
    created_by = pw.ForeignKeyField(User, null=True, on_delete='SET NULL')
    created_at = pw.DateTimeField(default=clock.now)

    @property
    def remaining(self) -> int:
        return max(0, self.quota - self.used)


# --- apps (credentials and access requests arrive with the catalog) --------------------------------

class AppStatus:
    PENDING = 'pending'
    ACTIVE = 'active'
    REJECTED = 'rejected'

    column = 'status'
    ALL = (PENDING, ACTIVE, REJECTED)


class App(BaseModel):
    """A consumer application. Shared with its whole organisation, except in the default organisation."""
    name = pw.CharField(max_length=100)
    name_key = pw.CharField(max_length=100)
    description = pw.TextField(default='')
    organisation = pw.ForeignKeyField(Organisation, backref='apps', on_delete='CASCADE')
    owner = pw.ForeignKeyField(User, backref='apps', null=True, on_delete='SET NULL')
    individual = pw.BooleanField(default=False)  # in the default organisation: named per owner (migration 4)
    status = pw.CharField(max_length=20, default=AppStatus.ACTIVE, index=True, constraints=[one_of(AppStatus)])
    decided_by = pw.ForeignKeyField(User, null=True, on_delete='SET NULL')
    decided_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        indexes = ((('organisation', 'name_key'), False), (('owner',), False))


# --- the catalog: APIs, products, plans, catalogs ----------------------------------------------------

class ApiStatus:
    PENDING = 'pending'  # submitted by an organisation's super admin, waiting for a portal admin (000 note)
    PUBLISHED = 'published'
    REJECTED = 'rejected'

    column = 'status'
    ALL = (PENDING, PUBLISHED, REJECTED)


class Api(BaseModel):
    name = pw.CharField(max_length=100)
    base_path = pw.CharField(max_length=200, unique=True)  # the listen path on the gateway, e.g. /weather/
    upstream = pw.TextField(default='')  # where the gateway forwards to, described for people
    openapi_text = pw.TextField(default='')  # as uploaded or pasted (JSON or YAML)
    openapi = JSONField(null=True)  # the parsed document, validated on save
    status = pw.CharField(max_length=20, default=ApiStatus.PUBLISHED, index=True, constraints=[one_of(ApiStatus)])
    submitted_by = pw.ForeignKeyField(User, null=True, on_delete='SET NULL')
    decided_by = pw.ForeignKeyField(User, null=True, on_delete='SET NULL')
    decided_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=clock.now)
    # issue 26, item 5 (migration 17): versions and deprecation. Each version is an API of its own (its own base
    # path, document and reference); `version_of` groups them (the first version's id; null: a stand-alone API),
    # `version` is its label ('v1'). Deprecated: `deprecated_at` and the `sunset_at` when calls stop (410), the
    # `successor` version to move to, and the notices already sent ('marked', '30d', '7d').
    version_of = pw.ForeignKeyField('self', null=True, backref='+', on_delete='SET NULL')
    version = pw.CharField(max_length=20, default='')
    deprecated_at = pw.DateTimeField(null=True)
    sunset_at = pw.DateTimeField(null=True)
    successor = pw.ForeignKeyField('self', null=True, backref='+', on_delete='SET NULL')
    deprecation_notices_sent = pw.CharField(max_length=50, default='')  # comma-separated


class Product(BaseModel):
    name = pw.CharField(max_length=100)
    slug = pw.CharField(max_length=100, unique=True)
    summary = pw.CharField(max_length=300, default='')
    description = pw.TextField(default='')  # Markdown, sanitised when rendered
    tags = pw.CharField(max_length=300, default='')  # comma-separated, lower-cased
    created_at = pw.DateTimeField(default=clock.now)
    featured = pw.BooleanField(default=False)  # listed on the default home page (migration 12)

    class Meta:
        indexes = ((('name',), False),)  # migration 5: lists in name order

    @property
    def tag_list(self) -> list[str]:
        return [tag for tag in self.tags.split(',') if tag]


class ApiReference(BaseModel):
    """An API's OpenAPI document prepared once, when it is saved, for the reference page (issue 13): the
    renderer's JSON without servers (the gateway is put in when it is served) and what lists need."""
    api = pw.ForeignKeyField(Api, unique=True, backref='references', on_delete='CASCADE')
    prepared = pw.TextField()
    version = pw.CharField(max_length=20)
    operations = pw.IntegerField(default=0)
    size = pw.IntegerField(default=0)  # bytes of the document as written
    updated_at = pw.DateTimeField(default=clock.now)


class ProductApi(BaseModel):
    product = pw.ForeignKeyField(Product, backref='api_links', on_delete='CASCADE')
    api = pw.ForeignKeyField(Api, backref='product_links', on_delete='CASCADE')

    class Meta:
        indexes = ((('product', 'api'), True),)


class Visibility:
    PUBLIC = 'public'  # everyone, also visitors
    PRIVATE = 'private'  # signed-in users
    CUSTOM = 'custom'  # chosen teams only

    LABELS = {PUBLIC: N_('Public'), PRIVATE: N_('Private'), CUSTOM: N_('Custom')}


class Catalog(BaseModel):
    name = pw.CharField(max_length=100, unique=True)
    visibility = pw.CharField(max_length=20, default=Visibility.PUBLIC)
    created_at = pw.DateTimeField(default=clock.now)


class CatalogProduct(BaseModel):
    catalog = pw.ForeignKeyField(Catalog, backref='product_links', on_delete='CASCADE')
    product = pw.ForeignKeyField(Product, backref='catalog_links', on_delete='CASCADE')

    class Meta:
        indexes = ((('catalog', 'product'), True), (('product',), False))


class CatalogTeam(BaseModel):
    """Teams that see a Custom catalog; granted by a portal admin only (000, API access case 1)."""
    catalog = pw.ForeignKeyField(Catalog, backref='team_links', on_delete='CASCADE')
    team = pw.ForeignKeyField(Team, backref='catalog_links', on_delete='CASCADE')

    class Meta:
        indexes = ((('catalog', 'team'), True), (('team',), False))


class Plan(BaseModel):
    name = pw.CharField(max_length=100, unique=True)
    rate_limit = pw.IntegerField(default=60)  # requests per rate_period seconds
    rate_period = pw.IntegerField(default=60)
    quota = pw.IntegerField(default=0)  # requests per quota period; 0 = unlimited
    quota_period = pw.CharField(max_length=10, default='month')  # day | month
    requires_approval = pw.BooleanField(default=False)
    created_at = pw.DateTimeField(default=clock.now)
    key_lifetime_days = pw.IntegerField(default=0)  # issue 26: keys issued under the plan stop after; 0 = never
    # issue 26: what an approved request gets: an API key, or an OAuth client (migration 16)
    credential_kind = pw.CharField(max_length=20, default='api_key')  # 'api_key' | 'oauth_client'


class CatalogPlan(BaseModel):
    catalog = pw.ForeignKeyField(Catalog, backref='plan_links', on_delete='CASCADE')
    plan = pw.ForeignKeyField(Plan, backref='catalog_links', on_delete='CASCADE')

    class Meta:
        indexes = ((('catalog', 'plan'), True),)


class CartItem(BaseModel):
    """A product in a user's cart, chosen in one catalog; kept in the database so it survives sign-out."""
    user = pw.ForeignKeyField(User, backref='cart_items', on_delete='CASCADE')
    catalog = pw.ForeignKeyField(Catalog, on_delete='CASCADE')
    product = pw.ForeignKeyField(Product, on_delete='CASCADE')
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        indexes = ((('user', 'catalog', 'product'), True),)


class AccessStatus:
    PENDING = 'pending'
    APPROVED = 'approved'
    REJECTED = 'rejected'
    REVOKED = 'revoked'

    column = 'status'
    ALL = (PENDING, APPROVED, REJECTED, REVOKED)


class AccessRequest(BaseModel):
    """One catalog's products for one app with one plan; approved, it yields one credential."""
    app = pw.ForeignKeyField(App, backref='access_requests', on_delete='CASCADE')
    catalog = pw.ForeignKeyField(Catalog, on_delete='RESTRICT')
    plan = pw.ForeignKeyField(Plan, on_delete='RESTRICT')
    requested_by = pw.ForeignKeyField(User, null=True, on_delete='SET NULL')
    status = pw.CharField(max_length=20, default=AccessStatus.PENDING, index=True,
                          constraints=[one_of(AccessStatus)])
    reason = pw.TextField(default='')
    decided_by = pw.ForeignKeyField(User, null=True, on_delete='SET NULL')
    decided_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=clock.now, index=True)
    # issue 26: a request to move that approved request to this request's plan (its key stays; approved, the
    # plan of that request changes, and this one keeps the decision's record)
    changes = pw.ForeignKeyField('self', null=True, backref='plan_changes', on_delete='CASCADE')


class AccessRequestProduct(BaseModel):
    request = pw.ForeignKeyField(AccessRequest, backref='product_links', on_delete='CASCADE')
    product = pw.ForeignKeyField(Product, on_delete='CASCADE')

    class Meta:
        indexes = ((('request', 'product'), True), (('product',), False))


class CredentialStatus:
    ACTIVE = 'active'
    REVOKED = 'revoked'

    column = 'status'
    ALL = (ACTIVE, REVOKED)


class Credential(BaseModel):
    """An API key: a SHA-256 for look-up, an encrypted copy for display, never the plain key."""
    access_request = pw.ForeignKeyField(AccessRequest, backref='credentials', on_delete='CASCADE')
    app = pw.ForeignKeyField(App, backref='credentials', on_delete='CASCADE')
    key_prefix = pw.CharField(max_length=24)
    key_hash = pw.CharField(max_length=64, unique=True)
    key_encrypted = pw.TextField()
    status = pw.CharField(max_length=20, default=CredentialStatus.ACTIVE, index=True,
                          constraints=[one_of(CredentialStatus)])
    created_at = pw.DateTimeField(default=clock.now)
    revoked_at = pw.DateTimeField(null=True)
    # issue 26: when the key stops (None: never), and why: 'rotated' (it has a successor and works beside it
    # until then) or 'lifetime' (its plan's key lifetime; renewing gives it a successor)
    expires_at = pw.DateTimeField(null=True, index=True)
    end_reason = pw.CharField(max_length=10, null=True)
    reminded_at = pw.DateTimeField(null=True)  # when its owners were last told it stops soon


class UsageDaily(BaseModel):
    """Calls per credential and day, added up in batches by the gateway look-up (not a write per call)."""
    credential = pw.ForeignKeyField(Credential, backref='usage', on_delete='CASCADE')
    day = pw.DateField()
    calls = pw.IntegerField(default=0)
    refused = pw.IntegerField(default=0)

    class Meta:
        indexes = ((('credential', 'day'), True), (('day',), False))


class KeyChange(BaseModel):
    """A feed of keys that changed (rotated, revoked, deleted): every instance polls it to evict its cache."""
    key_hash = pw.CharField(max_length=64)
    changed_at = pw.DateTimeField(default=clock.now, index=True)


# --- portal configuration -------------------------------------------------------------------------

class Setting(BaseModel):
    key = pw.CharField(max_length=64, primary_key=True)
    value = JSONField()


class EmailTemplate(BaseModel):
    """An admin's override of a default template file in mail/templates, per language (issue 28): a language
    without one falls back to the portal default's override, then to the shipped file."""
    key = pw.CharField(max_length=64)
    locale = pw.CharField(max_length=10, default='en')
    subject = pw.CharField(max_length=255)
    body = pw.TextField()
    updated_by = pw.ForeignKeyField(User, null=True, on_delete='SET NULL')
    updated_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = 'email_template_text'  # migration 18: email_template's rows, each in English
        indexes = ((('key', 'locale'), True),)


class ContentTranslation(BaseModel):
    """What an admin wrote (a product's name and description, a page, a guide) in another language (issue 28);
    a field without one is shown as written."""
    kind = pw.CharField(max_length=20)  # 'product', 'page', 'guide', 'catalog'
    object_id = pw.IntegerField()
    locale = pw.CharField(max_length=10)
    field = pw.CharField(max_length=30)  # 'name', 'description', 'title', 'body', ...
    text = pw.TextField()
    updated_by = pw.ForeignKeyField(User, null=True, on_delete='SET NULL')
    updated_at = pw.DateTimeField(default=clock.now)

    class Meta:
        indexes = ((('kind', 'object_id', 'locale', 'field'), True),)


# --- one-time tokens, mail, audit -----------------------------------------------------------------

class Token(BaseModel):
    """A single-use link secret (verify, invite, reset, setup). Only its SHA-256 is stored."""
    purpose = pw.CharField(max_length=20)
    token_hash = pw.CharField(max_length=64, unique=True)
    user = pw.ForeignKeyField(User, null=True, backref='tokens', on_delete='CASCADE')
    data = JSONField(default=dict)
    expires_at = pw.DateTimeField()
    used_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=clock.now)


class OutboxStatus:
    QUEUED = 'queued'
    SENDING = 'sending'
    SENT = 'sent'
    FAILED = 'failed'

    column = 'status'
    ALL = (QUEUED, SENDING, SENT, FAILED)


class OutboxMessage(BaseModel):
    """An email to send, written in the same transaction as the change it reports."""
    template_key = pw.CharField(max_length=64)
    recipient = pw.CharField(max_length=254)
    context = JSONField(default=dict)
    secret_context = JSONField(default=dict)  # link tokens: their values are wiped once delivered
    status = pw.CharField(max_length=20, default=OutboxStatus.QUEUED, constraints=[one_of(OutboxStatus)])
    attempts = pw.IntegerField(default=0)
    next_attempt_at = pw.DateTimeField(default=clock.now)
    claimed_by = pw.CharField(max_length=100, null=True)
    claimed_at = pw.DateTimeField(null=True)
    last_error = pw.TextField(default='')
    subject = pw.CharField(max_length=255, default='')  # as rendered when delivered
    locale = pw.CharField(max_length=10, null=True)  # issue 28: the recipient's language (None: the default)
    created_at = pw.DateTimeField(default=clock.now, index=True)
    sent_at = pw.DateTimeField(null=True)

    class Meta:
        indexes = ((('status', 'next_attempt_at'), False),)


class AuditEvent(BaseModel):
    at = pw.DateTimeField(default=clock.now, index=True)
    actor = pw.ForeignKeyField(User, null=True, on_delete='SET NULL')
    action = pw.CharField(max_length=64)
    target_type = pw.CharField(max_length=32, default='')
    target_id = pw.IntegerField(null=True)
    detail = JSONField(default=dict)

    class Meta:
        indexes = ((('target_type', 'target_id'), False),)  # the Audit log's object filter (migration 4)


class Throttle(BaseModel):
    """Failed attempts per key (an address or a client) and window, to slow down guessing."""
    key = pw.CharField(max_length=300)
    window_start = pw.DateTimeField()
    count = pw.IntegerField(default=0)

    class Meta:
        indexes = ((('key', 'window_start'), True),)


# --- what the database guarantees (migration 4); the workflows check first, for a friendly message ----

LIVE_ORG_NAME = Organisation.index(Organisation.name_key, unique=True, name='organisation_live_name',
                                   where=pw.SQL(f"status IN ('{OrgStatus.ACTIVE}', '{OrgStatus.PENDING}')"))
TEAM_NAME = Team.index(Team.organisation, Team.name, unique=True, name='team_unique_name')
DEFAULT_TEAM = Team.index(Team.organisation, unique=True, name='team_one_default', where=pw.SQL('is_default'))
SHARED_APP_NAME = App.index(App.organisation, App.name_key, unique=True, name='app_shared_name',
                            where=pw.SQL('NOT individual'))
INDIVIDUAL_APP_NAME = App.index(App.owner, App.name_key, unique=True, name='app_individual_name',
                                where=pw.SQL('individual'))
for _index in (LIVE_ORG_NAME, TEAM_NAME, DEFAULT_TEAM, SHARED_APP_NAME, INDIVIDUAL_APP_NAME):
    _index._model.add_index(_index)


def violates(error: pw.IntegrityError, index: pw.ModelIndex) -> bool:
    """Whether a failed statement broke this unique index: PostgreSQL names the index, SQLite its columns."""
    text = str(error)
    if f'"{index._name}"' in text:
        return True
    table = index._model._meta.table_name
    columns = ', '.join(f'{table}.{field.column_name}' for field in index._expressions)
    return text.strip() == f'UNIQUE constraint failed: {columns}'


class ApiToken(BaseModel):
    """A portal admin's personal token for the REST API (issue 16): shown once, only its SHA-256 kept."""
    user = pw.ForeignKeyField(User, backref='api_tokens', on_delete='CASCADE')
    name = pw.CharField(max_length=100)
    token_prefix = pw.CharField(max_length=24)  # enough to recognise it in a list, never to use it
    token_hash = pw.CharField(max_length=64, unique=True)
    read_only = pw.BooleanField(default=True)
    expires_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=clock.now)
    last_used_at = pw.DateTimeField(null=True)
    revoked_at = pw.DateTimeField(null=True)


class WebhookEndpoint(BaseModel):
    """Where events go (Admin -> Webhooks, issue 16). The signing secret is kept encrypted, since it must
    be read to sign; `failing_since` starts at the first failure and ends at the next success."""
    url = pw.CharField(max_length=2000)
    description = pw.CharField(max_length=200, default='')
    events = JSONField(default=list)  # event types, e.g. ["access_request.created"]
    enabled = pw.BooleanField(default=True)
    secret_encrypted = pw.TextField()
    failing_since = pw.DateTimeField(null=True)
    disabled_reason = pw.CharField(max_length=300, default='')
    created_by = pw.ForeignKeyField(User, null=True, on_delete='SET NULL')
    created_at = pw.DateTimeField(default=clock.now)


class WebhookEvent(BaseModel):
    """One event, written in the same transaction as the change it reports; `message_id` is the
    `webhook-id` every delivery of it carries, for the receiver's de-duplication."""
    message_id = pw.CharField(max_length=64, unique=True)
    type = pw.CharField(max_length=64)
    payload = pw.TextField()  # the JSON body as signed and sent
    created_at = pw.DateTimeField(default=clock.now, index=True)


class DeliveryStatus:
    QUEUED = 'queued'
    SENDING = 'sending'
    DELIVERED = 'delivered'
    FAILED = 'failed'


class WebhookDelivery(BaseModel):
    """One event to one endpoint, claimed and retried like an email in the outbox."""
    event = pw.ForeignKeyField(WebhookEvent, backref='deliveries', on_delete='CASCADE')
    endpoint = pw.ForeignKeyField(WebhookEndpoint, backref='deliveries', on_delete='CASCADE')
    status = pw.CharField(max_length=20, default=DeliveryStatus.QUEUED)
    attempts = pw.IntegerField(default=0)
    next_attempt_at = pw.DateTimeField(default=clock.now)
    claimed_by = pw.CharField(max_length=100, null=True)
    claimed_at = pw.DateTimeField(null=True)
    response_code = pw.IntegerField(null=True)
    response_excerpt = pw.TextField(default='')
    last_error = pw.TextField(default='')
    last_attempt_at = pw.DateTimeField(null=True)
    delivered_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=clock.now, index=True)

    class Meta:
        indexes = ((('status', 'next_attempt_at'), False), (('endpoint', 'created_at'), False))


class WebhookAttempt(BaseModel):
    """The delivery log: every try, with its answer."""
    delivery = pw.ForeignKeyField(WebhookDelivery, backref='log', on_delete='CASCADE')
    at = pw.DateTimeField(default=clock.now)
    response_code = pw.IntegerField(null=True)
    response_excerpt = pw.TextField(default='')
    error = pw.TextField(default='')
    duration_ms = pw.IntegerField(default=0)


class IdentityProvider(BaseModel):
    """An OpenID Connect provider people sign in through (Admin -> Sign-in, issue 24): found by its issuer's
    discovery document; the client secret is kept sealed, since it must be read to call the token endpoint.
    `organisation`: the consumer organisation whose IdP it is (new people land there); `email_domains`: the
    addresses that Log in sends to it; `for_admins`: portal admins may sign in through it, and `admin_group`
    names the group (of `groups_claim`) that makes someone a portal admin."""
    name = pw.CharField(max_length=100, unique=True)
    issuer = pw.CharField(max_length=500)
    client_id = pw.CharField(max_length=300)
    client_secret_sealed = pw.TextField()
    scopes = pw.CharField(max_length=300, default='openid email profile')
    enabled = pw.BooleanField(default=True)
    organisation = pw.ForeignKeyField(Organisation, null=True, backref='identity_providers', on_delete='CASCADE')
    email_domains = JSONField(default=list)
    for_admins = pw.BooleanField(default=False)
    groups_claim = pw.CharField(max_length=100, default='groups')
    admin_group = pw.CharField(max_length=200, default='')
    created_at = pw.DateTimeField(default=clock.now)
    # migration 10: `team_groups` maps a group of `groups_claim` to teams of the provider's organisation
    # ([{"group": "backend", "team": 7}, ...]); `super_admin_group` makes an organisation super admin;
    # `required`: the organisation's members sign in only through this provider (no password, no reset)
    team_groups = JSONField(default=list)
    super_admin_group = pw.CharField(max_length=200, default='')
    required = pw.BooleanField(default=False)


class ExternalIdentity(BaseModel):
    """A person as an identity provider knows them: its `sub` for them, linked to one account."""
    provider = pw.ForeignKeyField(IdentityProvider, backref='identities', on_delete='CASCADE')
    subject = pw.CharField(max_length=255)
    user = pw.ForeignKeyField(User, backref='external_identities', on_delete='CASCADE')
    created_at = pw.DateTimeField(default=clock.now)
    last_used_at = pw.DateTimeField(null=True)

    class Meta:
        indexes = ((('provider', 'subject'), True), (('provider', 'user'), True))


class TotpFactor(BaseModel):
    """A time-based one-time password app of a local account (RFC 6238, 30 s, 6 digits): its secret sealed, since
    it must be read to check a code; `confirmed_at` once the person typed a first code; `last_step` the time step
    of the last code accepted, so a code is good once (migration 10)."""
    user = pw.ForeignKeyField(User, backref='totp_factors', on_delete='CASCADE', unique=True)
    secret_sealed = pw.TextField()
    confirmed_at = pw.DateTimeField(null=True)
    last_step = pw.BigIntegerField(default=0)
    created_at = pw.DateTimeField(default=clock.now)


class RecoveryCode(BaseModel):
    """A one-time code that stands in for the second factor; only its digest is kept."""
    user = pw.ForeignKeyField(User, backref='recovery_codes', on_delete='CASCADE')
    code_hash = pw.CharField(max_length=64)
    used_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        indexes = ((('user', 'code_hash'), True),)


class Passkey(BaseModel):
    """A WebAuthn credential of an account: its id and public key (base64url), the signature counter, a name the
    person gave it (migration 10)."""
    user = pw.ForeignKeyField(User, backref='passkeys', on_delete='CASCADE')
    credential_id = pw.CharField(max_length=1400, unique=True)
    public_key = pw.TextField()
    sign_count = pw.BigIntegerField(default=0)
    name = pw.CharField(max_length=100)
    transports = JSONField(default=list)
    created_at = pw.DateTimeField(default=clock.now)
    last_used_at = pw.DateTimeField(null=True)


# --- issue 25: brand
class BrandAsset(BaseModel):
    """The portal's logo or favicon as uploaded and checked (an SVG as sanitised); served at /brand/<kind>
    (migration 11)."""
    kind = pw.CharField(max_length=20, unique=True)  # 'logo' or 'favicon'
    content_type = pw.CharField(max_length=40)
    data = pw.BlobField()
    sha256 = pw.CharField(max_length=64)
    width = pw.IntegerField()
    height = pw.IntegerField()
    updated_at = pw.DateTimeField(default=clock.now)


# --- issue 25: content pages

class PageMenu:
    HEADER, FOOTER, NONE = 'header', 'footer', 'none'
    ALL = (HEADER, FOOTER, NONE)
    LABELS = {HEADER: N_('Header menu'), FOOTER: N_('Footer menu'), NONE: N_('No menu')}
    column = 'menu'


class PageAudience:
    """Who sees a page: the catalogs' rule (Public, Private, Custom) in the words of a page."""
    EVERYONE, SIGNED_IN, CHOSEN = 'everyone', 'signed_in', 'chosen'
    ALL = (EVERYONE, SIGNED_IN, CHOSEN)
    LABELS = {EVERYONE: N_('Everyone'), SIGNED_IN: N_('Signed-in developers'), CHOSEN: N_('Chosen organizations and teams')}
    column = 'audience'


class PageStatus:
    DRAFT, PUBLISHED = 'draft', 'published'
    ALL = (DRAFT, PUBLISHED)
    LABELS = {DRAFT: N_('Draft'), PUBLISHED: N_('Published')}
    column = 'status'


class ContentPage(BaseModel):
    """A Markdown page of Admin -> Pages at /pages/{slug}; its text lives in its revisions: the latest is the
    draft, the one marked live is what visitors read (migration 12)."""
    slug = pw.CharField(max_length=100, unique=True)
    menu = pw.CharField(max_length=20, default=PageMenu.NONE, constraints=[one_of(PageMenu)])
    position = pw.IntegerField(default=0)  # order within its menu, then the title
    audience = pw.CharField(max_length=20, default=PageAudience.EVERYONE, constraints=[one_of(PageAudience)])
    status = pw.CharField(max_length=20, default=PageStatus.DRAFT, index=True, constraints=[one_of(PageStatus)])
    is_home = pw.BooleanField(default=False)  # at most one: shown at / instead of the default home page
    created_at = pw.DateTimeField(default=clock.now)
    updated_at = pw.DateTimeField(default=clock.now)
    updated_by = pw.ForeignKeyField(User, null=True, on_delete='SET NULL')


class PageRevision(BaseModel):
    """One saved text of a page. `is_live`: the published one (one per published page); `published_at`: when
    it was last made live, so the history shows which texts visitors read."""
    page = pw.ForeignKeyField(ContentPage, backref='revisions', on_delete='CASCADE')
    title = pw.CharField(max_length=100)
    body = pw.TextField(default='')  # Markdown, sanitised when rendered
    author = pw.ForeignKeyField(User, null=True, on_delete='SET NULL')
    created_at = pw.DateTimeField(default=clock.now)
    is_live = pw.BooleanField(default=False)
    published_at = pw.DateTimeField(null=True)

    class Meta:
        indexes = ((('page', 'is_live'), False),)


class PageAudienceGrant(BaseModel):
    """A chosen audience row of a page: an organisation (all its teams, also later ones) or one team."""
    page = pw.ForeignKeyField(ContentPage, backref='grants', on_delete='CASCADE')
    organisation = pw.ForeignKeyField(Organisation, null=True, on_delete='CASCADE')
    team = pw.ForeignKeyField(Team, null=True, on_delete='CASCADE')

    class Meta:
        indexes = ((('page', 'organisation', 'team'), True),)


# --- issue 25: guides per product

class Guide(BaseModel):
    """A Markdown page attached to a product (issue 25, item 3), shown as a tab beside the API reference: its
    `position` orders the tabs; a draft (`published` false) is seen by portal admins only; the body may hold
    placeholders (`{{gateway_url}}`, ...) filled in for each reader (workflows/guides.py). Migration 13."""
    product = pw.ForeignKeyField(Product, backref='guides', on_delete='CASCADE')
    title = pw.CharField(max_length=100)
    slug = pw.CharField(max_length=100)
    body = pw.TextField(default='')
    position = pw.IntegerField(default=0)
    published = pw.BooleanField(default=False)
    updated_at = pw.DateTimeField(default=clock.now)
    updated_by = pw.ForeignKeyField(User, null=True, backref='+', on_delete='SET NULL')
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        indexes = ((('product', 'slug'), True), (('product', 'position'), False))


# --- issue 26: OAuth clients

class OAuthClientStatus:
    ACTIVE, REVOKED = 'active', 'revoked'
    ALL = (ACTIVE, REVOKED)
    column = 'status'


class OAuthClient(BaseModel):
    """The OAuth 2.0 client of an approved request on a plan issuing clients (issue 26): a public client ID, its
    secret as a SHA-256 for checking and sealed for display (as API keys), and optionally the public JWK Set of
    the client's own keys for private_key_jwt (migration 16)."""
    access_request = pw.ForeignKeyField(AccessRequest, backref='oauth_clients', on_delete='CASCADE')
    app = pw.ForeignKeyField(App, backref='oauth_clients', on_delete='CASCADE')
    client_id = pw.CharField(max_length=64, unique=True)
    secret_prefix = pw.CharField(max_length=24)
    secret_hash = pw.CharField(max_length=64)
    secret_encrypted = pw.TextField()
    jwks = JSONField(null=True)  # {"keys": [public JWKs]} for private_key_jwt; None: client_secret_basic only
    status = pw.CharField(max_length=20, default=OAuthClientStatus.ACTIVE, index=True,
                          constraints=[one_of(OAuthClientStatus)])
    created_at = pw.DateTimeField(default=clock.now)
    revoked_at = pw.DateTimeField(null=True)


class SigningKey(BaseModel):
    """A key the authorisation server signs access tokens with: the private key sealed (domain/at_rest), the
    public JWK for /oauth/jwks; a retired key stays published until every token it signed has expired."""
    kid = pw.CharField(max_length=64, unique=True)
    private_key = pw.TextField()
    public_jwk = JSONField()
    created_at = pw.DateTimeField(default=clock.now)
    retired_at = pw.DateTimeField(null=True, index=True)


class ClientAssertion(BaseModel):
    """A private_key_jwt assertion's `jti`, kept until the assertion expires: each is accepted once."""
    client_id = pw.CharField(max_length=64)
    jti = pw.CharField(max_length=200)
    expires_at = pw.DateTimeField(index=True)

    class Meta:
        indexes = ((('client_id', 'jti'), True),)


# --- issue 25: search

class ApiOperation(BaseModel):
    """One operation of an API's OpenAPI document, for the portal's search (issue 25, item 5): written with the
    API's prepared reference (workflows/openapi.index_operations, in the same transaction); `tag` is the first
    tag, which Swagger UI's deep link names; `operation_key` the operationId lower-cased, for an exact match."""
    api = pw.ForeignKeyField(Api, backref='operation_rows', on_delete='CASCADE')
    method = pw.CharField(max_length=10)
    path = pw.CharField(max_length=500)
    summary = pw.CharField(max_length=300, default='')
    operation_id = pw.CharField(max_length=200, default='')
    operation_key = pw.CharField(max_length=200, default='', index=True)
    tag = pw.CharField(max_length=200, default='')

    class Meta:
        indexes = ((('path',), False),)


class SchemaVersion(BaseModel):
    version = pw.IntegerField()
    applied_at = pw.DateTimeField(default=clock.now)


ALL_MODELS = [Organisation, Team, User, Membership, UserSession, App, Api, Product, ProductApi, Catalog,
              CatalogProduct, CatalogTeam, Plan, CatalogPlan, CartItem, AccessRequest, AccessRequestProduct,
              Credential, UsageDaily, KeyChange, Setting, EmailTemplate, Token, ApiReference, InviteCode,
              OutboxMessage, AuditEvent, Throttle, ApiToken, WebhookEndpoint, WebhookEvent, WebhookDelivery,
              WebhookAttempt, IdentityProvider, ExternalIdentity, TotpFactor, RecoveryCode, Passkey, BrandAsset,
              ContentPage, PageRevision, PageAudienceGrant, Guide, OAuthClient, SigningKey, ClientAssertion,
              ApiOperation, ContentTranslation, SchemaVersion]
