"""The admin's content pages (issue 25, item 2): Markdown pages with a slug, a menu place and an audience.

A page's text lives in its revisions: the latest one is the draft the admin edits, the one marked live is what
readers get, so editing a published page changes nothing for them until the admin publishes again. Who may read
a page is the catalogs' rule (workflows/browse.py) in one place, `visible_to`: everyone (Public), signed-in active
users (Private), chosen organisations and teams (Custom; an organisation means all its teams); portal admins read
every published page, and drafts through the editor's preview. A page someone may not read and a draft are the
same "not found".
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import peewee as pw

from db import clock
from db.connection import database
from db.models import (ContentPage, Membership, Organisation, PageAudience, PageAudienceGrant, PageMenu,
                       PageRevision, PageStatus, Team, User, UserStatus)
from domain import events
from domain.errors import Conflict, DomainError, NotFound
from domain.i18n import lazy_number
from permissions import ensure
from workflows import is_clean_text

MAX_TITLE = 100
MAX_BODY = 200_000  # characters of Markdown: a long guide fits, a pasted data dump does not
MAX_SLUG = 100
MAX_POSITION = 10_000
MAX_MENU = 20  # pages shown in one menu, by position then title
SLUG_RE = re.compile(r'^[a-z0-9]+(?:-[a-z0-9]+)*$')
# first path parts of the portal's own routes and words a reader would take for one: a page's address never
# looks like a part of the portal (/pages/admin, /pages/login) and a future root-level page address stays free
RESERVED_SLUGS = frozenset({
    'admin', 'api', 'apps', 'auth', 'cart', 'catalogs', 'dashboard', 'docs', 'favicon', 'forbidden', 'guides',
    'healthz', 'home', 'index', 'llms', 'login', 'logout', 'new', 'oauth', 'organization', 'organizations',
    'pages', 'preview', 'products', 'profile', 'register', 'search', 'settings', 'setup', 'static', 'edit',
})
NOT_SAVED_MEANWHILE = ('Another administrator saved this page meanwhile, so your changes were not saved. Your text is '
                       'still in the editor: copy it, open the page again and apply it there.')


@dataclass
class PageForm:
    """What the editor sends: the page's settings and the text of its draft."""
    title: str
    slug: str
    body: str = ''
    menu: str = PageMenu.NONE
    position: int | str | None = 0
    audience: str = PageAudience.EVERYONE
    organisation_ids: list[int] = field(default_factory=list)
    team_ids: list[int] = field(default_factory=list)


@dataclass
class LivePage:
    page: ContentPage
    revision: PageRevision  # the published one (or the draft, for an admin's preview)


# --- who reads what ---------------------------------------------------------------------------------

def _live_join(query: pw.Select) -> pw.Select:
    return query.join(PageRevision, on=((PageRevision.page == ContentPage.id) & PageRevision.is_live), attr='live')


def visible_to(user: User | None) -> pw.Select:
    """The published pages `user` may read, as one Peewee query of ContentPage joined to its live PageRevision:
    each row's `row.live.title` and `row.live.body` are the published text (PageRevision.title / .body in a
    `where`, e.g. for a site search: `visible_to(me).where(PageRevision.title.contains(word))`). Drafts are never
    in it, not even for portal admins."""
    query = _live_join(ContentPage.select(ContentPage, PageRevision)).where(ContentPage.status == PageStatus.PUBLISHED)
    if user is not None and user.status == UserStatus.ACTIVE and user.is_portal_admin:
        return query
    if user is None or user.status != UserStatus.ACTIVE:
        return query.where(ContentPage.audience == PageAudience.EVERYONE)
    teams = Membership.select(Membership.team).where(Membership.user == user.id)
    granted = PageAudienceGrant.select(PageAudienceGrant.page).where(
        (PageAudienceGrant.organisation == user.organisation_id) | PageAudienceGrant.team.in_(teams))
    return query.where(ContentPage.audience.in_([PageAudience.EVERYONE, PageAudience.SIGNED_IN])
                       | ((ContentPage.audience == PageAudience.CHOSEN) & ContentPage.id.in_(granted)))


def is_slug(slug: str | None) -> bool:
    return isinstance(slug, str) and 0 < len(slug) <= MAX_SLUG and bool(SLUG_RE.match(slug))


def page_for(user: User | None, slug: str) -> LivePage | None:
    """The page at /pages/{slug} as `user` reads it, or None ('not found': no such page, a draft, or a page for
    others). A portal admin also gets a draft, as its latest revision (the page says it is a draft)."""
    if not is_slug(slug):
        return None
    found = visible_to(user).where(ContentPage.slug == slug).first()
    if found is not None:
        return LivePage(found, found.live)
    if user is not None and user.status == UserStatus.ACTIVE and user.is_portal_admin:
        page = ContentPage.get_or_none(ContentPage.slug == slug)
        draft = latest_revision(page.id) if page is not None else None
        if draft is not None:
            return LivePage(page, draft)
    return None


def menu(user: User | None, place: str) -> list[tuple[str, str]]:
    """(title, path) of the published pages of the menu `place` ('header' or 'footer') that `user` may see
    (one query, at most MAX_MENU pages)."""
    rows = (visible_to(user).where(ContentPage.menu == place)
            .order_by(ContentPage.position, PageRevision.title, ContentPage.id).limit(MAX_MENU))
    return [(row.live.title, page_path(row.slug)) for row in rows]


def home_page(user: User | None) -> LivePage | None:
    """The page the admin chose as the home page, if `user` may read it (else the default home page shows)."""
    found = visible_to(user).where(ContentPage.is_home).first()
    return LivePage(found, found.live) if found is not None else None


def page_path(slug: str) -> str:
    return f'/pages/{slug}'


def latest_revision(page_id: int) -> PageRevision | None:
    """The draft: the page's newest revision."""
    return PageRevision.select().where(PageRevision.page == page_id).order_by(PageRevision.id.desc()).first()


def live_revision(page_id: int) -> PageRevision | None:
    return PageRevision.select().where((PageRevision.page == page_id) & PageRevision.is_live).first()


def grants_of(page_id: int) -> tuple[list[int], list[int]]:
    """(organisation ids, team ids) of a page's chosen audience."""
    orgs, teams = [], []
    for org_id, team_id in (PageAudienceGrant.select(PageAudienceGrant.organisation, PageAudienceGrant.team)
                            .where(PageAudienceGrant.page == page_id).tuples()):
        if org_id:
            orgs.append(org_id)
        if team_id:
            teams.append(team_id)
    return orgs, teams


# --- the admin's changes ----------------------------------------------------------------------------

def _title(value: str | None) -> str:
    title = ' '.join((value or '').split())
    if not title:
        raise DomainError('Enter the title.', 'title')
    if len(title) > MAX_TITLE:
        raise DomainError('The title is too long ({limit} characters at most).', 'title', limit=MAX_TITLE)
    if not is_clean_text(title):
        raise DomainError('The title contains characters that are not allowed.', 'title')
    return title


def _slug(value: str | None, page_id: int | None) -> str:
    slug = (value or '').strip().lower()
    if not slug:
        raise DomainError('Enter the slug, the last part of the address, like getting-started.', 'slug')
    if not is_slug(slug):
        raise DomainError('The slug may contain lower-case letters, digits and single hyphens ({limit} '
                          'characters at most), like getting-started.', 'slug', limit=MAX_SLUG)
    if slug in RESERVED_SLUGS:
        raise DomainError('"{slug}" is reserved for the portal itself: choose another slug.', 'slug', slug=slug)
    if ContentPage.select().where((ContentPage.slug == slug) & (ContentPage.id != (page_id or 0))).exists():
        raise Conflict('Another page uses the slug "{slug}" already.', 'slug', slug=slug)
    return slug


def slugify(title: str) -> str:
    return re.sub(r'[^a-z0-9]+', '-', (title or '').lower()).strip('-')[:MAX_SLUG].strip('-')


def _body(value: str | None) -> str:
    body = (value or '').replace('\r\n', '\n')
    if len(body) > MAX_BODY:
        raise DomainError('The text is too long ({size} characters; {limit} at most).', 'body', size=lazy_number(len(body)),
                          limit=lazy_number(MAX_BODY))
    if not is_clean_text(body):
        raise DomainError('The text contains characters that are not allowed.', 'body')
    return body


def _position(value) -> int:
    try:
        position = int(value or 0)
    except (TypeError, ValueError):
        raise DomainError('The position is a whole number; lower numbers come first.', 'position') from None
    if abs(position) > MAX_POSITION:
        raise DomainError('The position is between {minimum} and {maximum}.', 'position',
                          minimum=lazy_number(-MAX_POSITION), maximum=lazy_number(MAX_POSITION))
    return position


def _audience(form: PageForm) -> tuple[str, list[int], list[int]]:
    if form.audience not in PageAudience.ALL:
        raise DomainError('Choose who may read this page.', 'audience')
    if form.audience != PageAudience.CHOSEN:
        return form.audience, [], []
    org_ids = sorted({int(i) for i in form.organisation_ids or []})
    team_ids = sorted({int(i) for i in form.team_ids or []})
    if not org_ids and not team_ids:
        raise DomainError('Choose at least one organization or team that may read this page.', 'audience')
    if Organisation.select().where(Organisation.id.in_(org_ids)).count() != len(org_ids):
        raise DomainError('One of the chosen organizations no longer exists.', 'organisations')
    if Team.select().where(Team.id.in_(team_ids)).count() != len(team_ids):
        raise DomainError('One of the chosen teams no longer exists.', 'teams')
    return form.audience, org_ids, team_ids


def create(title: str, slug: str, by: User) -> ContentPage:
    """A new page: a draft with an empty text, read by everyone once published, in no menu."""
    ensure(by, 'manage_pages')
    title = _title(title)
    with database.atomic():
        slug = _slug(slug or slugify(title), None)
        page = ContentPage.create(slug=slug, updated_by=by)
        PageRevision.create(page=page, title=title, body='', author=by)
        events.announce(by, 'page.create', page, slug=slug, title=title)
    return page


def save(page_id: int, form: PageForm, by: User, *, based_on: int | None, publish: bool = False) -> PageRevision:
    """Save the editor: the page's settings at once, its text as the draft (a new revision when it changed);
    with `publish`, the draft becomes what readers get. `based_on`: the revision the editor opened; when someone
    saved a newer one meanwhile nothing is saved (two admins never overwrite each other unseen)."""
    ensure(by, 'manage_pages')
    title, body = _title(form.title), _body(form.body)
    if form.menu not in PageMenu.ALL:
        raise DomainError('Choose a menu.', 'menu')
    position = _position(form.position)
    with database.atomic():
        audience, org_ids, team_ids = _audience(form)
        slug = _slug(form.slug, page_id)
        # the UPDATE first: it locks the page's row, so two saves of one page take turns
        values = dict(slug=slug, menu=form.menu, position=position, audience=audience, updated_at=clock.now(),
                      updated_by=by)
        if not ContentPage.update(**values).where(ContentPage.id == page_id).execute():
            raise NotFound('This page')
        latest = latest_revision(page_id)
        if based_on is not None and (latest is None or latest.id != based_on):
            raise DomainError(NOT_SAVED_MEANWHILE)
        if latest is None or (latest.title, latest.body) != (title, body):
            latest = PageRevision.create(page=page_id, title=title, body=body, author=by)
        PageAudienceGrant.delete().where(PageAudienceGrant.page == page_id).execute()
        PageAudienceGrant.insert_many([{'page': page_id, 'organisation': org_id} for org_id in org_ids]
                                      + [{'page': page_id, 'team': team_id} for team_id in team_ids]).execute() \
            if org_ids or team_ids else None
        page = ContentPage.get_by_id(page_id)
        events.announce(by, 'page.update', page, slug=slug, revision=latest.id)
        if publish:
            _make_live(page, latest, by)
    return latest


def _make_live(page: ContentPage, revision: PageRevision, by: User) -> None:
    PageRevision.update(is_live=False).where((PageRevision.page == page.id) & PageRevision.is_live).execute()
    PageRevision.update(is_live=True, published_at=clock.now()).where(PageRevision.id == revision.id).execute()
    ContentPage.update(status=PageStatus.PUBLISHED).where(ContentPage.id == page.id).execute()
    events.announce(by, 'page.publish', page, slug=page.slug, revision=revision.id)


def _locked(page_id: int, by: User) -> ContentPage:
    """The page, its row locked for this transaction (an UPDATE), or NotFound."""
    if not ContentPage.update(updated_at=clock.now(), updated_by=by).where(ContentPage.id == page_id).execute():
        raise NotFound('This page')
    return ContentPage.get_by_id(page_id)


def publish(page_id: int, by: User, *, revision_id: int) -> None:
    """Make the draft the admin looked at (`revision_id`, the page's latest) what readers get."""
    ensure(by, 'manage_pages')
    with database.atomic():
        page = _locked(page_id, by)
        latest = latest_revision(page_id)
        if latest is None or latest.id != revision_id:
            raise DomainError('Another administrator saved this page meanwhile: open it again to see the newest '
                              'draft before you publish it.')
        _make_live(page, latest, by)


def unpublish(page_id: int, by: User) -> None:
    """Back to a draft: readers get "not found" and the page leaves its menu; its text stays."""
    ensure(by, 'manage_pages')
    with database.atomic():
        page = _locked(page_id, by)
        if page.status != PageStatus.PUBLISHED:
            raise DomainError('This page is not published.')
        PageRevision.update(is_live=False).where(PageRevision.page == page_id).execute()
        ContentPage.update(status=PageStatus.DRAFT).where(ContentPage.id == page_id).execute()
        events.announce(by, 'page.unpublish', page, slug=page.slug)


def restore(page_id: int, revision_id: int, by: User) -> PageRevision:
    """An older text becomes the draft again (a new revision, so the history keeps every step); publishing makes
    it what readers get."""
    ensure(by, 'manage_pages')
    with database.atomic():
        page = _locked(page_id, by)
        old = PageRevision.get_or_none((PageRevision.id == revision_id) & (PageRevision.page == page_id))
        if old is None:
            raise NotFound('This revision')
        draft = PageRevision.create(page=page_id, title=old.title, body=old.body, author=by)
        events.announce(by, 'page.restore', page, slug=page.slug, revision=old.id, draft=draft.id)
    return draft


def use_as_home(page_id: int, by: User) -> None:
    """Show this page at / instead of the default home page (readers who may not read it get the default)."""
    ensure(by, 'manage_pages')
    with database.atomic():
        page = _locked(page_id, by)
        if page.status != PageStatus.PUBLISHED:
            raise DomainError('Publish this page first: the home page shows its published text.')
        ContentPage.update(is_home=False).where(ContentPage.is_home & (ContentPage.id != page_id)).execute()
        ContentPage.update(is_home=True).where(ContentPage.id == page_id).execute()
        events.announce(by, 'page.home', page, slug=page.slug)


def use_default_home(by: User) -> None:
    """The default home page again (what the portal offers and its featured products)."""
    ensure(by, 'manage_pages')
    with database.atomic():
        home = ContentPage.get_or_none(ContentPage.is_home)
        if home is None:
            return
        ContentPage.update(is_home=False).where(ContentPage.is_home).execute()
        events.announce(by, 'page.home', home, slug=home.slug, home=False)


def delete(page_id: int, by: User) -> None:
    """The page and its history go; its address answers "not found"."""
    ensure(by, 'manage_pages')
    with database.atomic():
        page = _locked(page_id, by)
        page.delete_instance(recursive=True)
        events.announce(by, 'page.delete', page, slug=page.slug)
