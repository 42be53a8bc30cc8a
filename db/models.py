"""All tables of Portico, declared once. States are explicit columns with named values."""
from __future__ import annotations

import json

import peewee as pw

from db import clock
from db.connection import database


class JSONField(pw.TextField):
    def db_value(self, value):
        return None if value is None else json.dumps(value, sort_keys=True)

    def python_value(self, value):
        return None if value is None else json.loads(value)


class BaseModel(pw.Model):
    class Meta:
        database = database
        legacy_table_names = False


# --- consumers: organisations, teams, users -------------------------------------------------------

class OrgStatus:
    PENDING = 'pending'
    ACTIVE = 'active'
    REJECTED = 'rejected'


class Organisation(BaseModel):
    name = pw.CharField(max_length=100)
    name_key = pw.CharField(max_length=100, index=True)  # lower-cased name, for case-insensitive uniqueness
    status = pw.CharField(max_length=20, default=OrgStatus.ACTIVE, index=True)
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

    LABELS = {
        PENDING_VERIFICATION: 'pending verification',
        PENDING_APPROVAL: 'pending approval',
        INVITED: 'invited',
        ACTIVE: 'active',
        INACTIVE: 'inactive',
        REJECTED: 'rejected',
    }


class Role:
    TEAM_MEMBER = 'team_member'
    SUPER_ADMIN = 'super_admin'

    LABELS = {TEAM_MEMBER: 'Team member', SUPER_ADMIN: 'Super admin'}


class User(BaseModel):
    email = pw.CharField(max_length=254, unique=True)  # always stored lower-cased
    first_name = pw.CharField(max_length=100)
    last_name = pw.CharField(max_length=100)
    password_hash = pw.CharField(max_length=255, null=True)
    status = pw.CharField(max_length=30, default=UserStatus.ACTIVE, index=True)
    role = pw.CharField(max_length=20, default=Role.TEAM_MEMBER)
    is_portal_admin = pw.BooleanField(default=False)
    must_change_password = pw.BooleanField(default=False)
    organisation = pw.ForeignKeyField(Organisation, backref='users', on_delete='RESTRICT')
    decided_by = pw.ForeignKeyField('self', null=True, on_delete='SET NULL')
    decided_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=clock.now, index=True)
    last_login_at = pw.DateTimeField(null=True)  # added by migration 2

    @property
    def full_name(self) -> str:
        return f'{self.first_name} {self.last_name}'.strip()

    @property
    def is_active(self) -> bool:
        return self.status == UserStatus.ACTIVE


class Membership(BaseModel):
    user = pw.ForeignKeyField(User, backref='memberships', on_delete='CASCADE')
    team = pw.ForeignKeyField(Team, backref='memberships', on_delete='CASCADE')

    class Meta:
        indexes = ((('user', 'team'), True),)


class UserSession(BaseModel):
    """A signed-in browser. The browser keeps the token; the table keeps its hash."""
    token_hash = pw.CharField(max_length=64, unique=True)
    user = pw.ForeignKeyField(User, backref='sessions', on_delete='CASCADE')
    created_at = pw.DateTimeField(default=clock.now)
    last_seen_at = pw.DateTimeField(default=clock.now)


# --- apps (credentials and access requests arrive with the catalog) --------------------------------

class AppStatus:
    PENDING = 'pending'
    ACTIVE = 'active'
    REJECTED = 'rejected'


class App(BaseModel):
    """A consumer application. Shared with its whole organisation, except in the default organisation."""
    name = pw.CharField(max_length=100)
    name_key = pw.CharField(max_length=100)
    description = pw.TextField(default='')
    organisation = pw.ForeignKeyField(Organisation, backref='apps', on_delete='CASCADE')
    owner = pw.ForeignKeyField(User, backref='apps', null=True, on_delete='SET NULL')
    status = pw.CharField(max_length=20, default=AppStatus.ACTIVE, index=True)
    decided_by = pw.ForeignKeyField(User, null=True, on_delete='SET NULL')
    decided_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        indexes = ((('organisation', 'name_key'), False), (('owner',), False))


# --- portal configuration -------------------------------------------------------------------------

class Setting(BaseModel):
    key = pw.CharField(max_length=64, primary_key=True)
    value = JSONField()


class EmailTemplate(BaseModel):
    """An admin's override of a default template file in mail/templates."""
    key = pw.CharField(max_length=64, primary_key=True)
    subject = pw.CharField(max_length=255)
    body = pw.TextField()
    updated_by = pw.ForeignKeyField(User, null=True, on_delete='SET NULL')
    updated_at = pw.DateTimeField(default=clock.now)


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


class OutboxMessage(BaseModel):
    """An email to send, written in the same transaction as the change it reports."""
    template_key = pw.CharField(max_length=64)
    recipient = pw.CharField(max_length=254)
    context = JSONField(default=dict)
    secret_context = JSONField(default=dict)  # link tokens: cleared once the message is delivered
    status = pw.CharField(max_length=20, default=OutboxStatus.QUEUED)
    attempts = pw.IntegerField(default=0)
    next_attempt_at = pw.DateTimeField(default=clock.now)
    claimed_by = pw.CharField(max_length=100, null=True)
    claimed_at = pw.DateTimeField(null=True)
    last_error = pw.TextField(default='')
    subject = pw.CharField(max_length=255, default='')  # as rendered when delivered
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


class Throttle(BaseModel):
    """Failed attempts per key (an address or a client) and window, to slow down guessing."""
    key = pw.CharField(max_length=300)
    window_start = pw.DateTimeField()
    count = pw.IntegerField(default=0)

    class Meta:
        indexes = ((('key', 'window_start'), True),)


class SchemaVersion(BaseModel):
    version = pw.IntegerField()
    applied_at = pw.DateTimeField(default=clock.now)


ALL_MODELS = [Organisation, Team, User, Membership, UserSession, App, Setting, EmailTemplate, Token,
              OutboxMessage, AuditEvent, Throttle, SchemaVersion]
