"""The brand (issue 25, item 1): its rules (names, colours and their WCAG contrast, footer links), the logo and
favicon (recognised by their bytes, sized, an SVG sanitised), how they are served, and a branded email; with the
attacks kept as tests."""
from __future__ import annotations

import struct
import zlib

import httpx
import pytest

from db import settings
from db.models import AuditEvent, BrandAsset
from domain import brand as looks
from domain.errors import DomainError, PermissionDenied
from mail import transports, worker
from tests.utils import a_user, an_admin
from workflows import brand, brand_images, mail_admin, settings as settings_workflow

DARK = {'portal_name': 'Night Portal', 'header': '#111827', 'primary': '#1d4ed8', 'accent': '#9d174d',
        'footer_links': [{'label': 'Terms', 'url': 'https://night.example/terms'}]}


def png(width: int = 64, height: int = 32) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))
    raw = b''.join(b'\x00' + b'\x00\x66\xcc' * width for _ in range(height))
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0))
            + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))


def jpeg_header(width: int, height: int) -> bytes:
    app0 = b'\xff\xe0' + struct.pack('>H', 16) + b'JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00'
    sof = b'\xff\xc0' + struct.pack('>HBHHB', 11, 8, height, width, 1) + b'\x01\x11\x00'
    return b'\xff\xd8' + app0 + sof + b'\xff\xd9'


def webp_header(width: int, height: int) -> bytes:
    body = b'VP8X' + struct.pack('<I', 10) + b'\x00\x00\x00\x00' + (width - 1).to_bytes(3, 'little') \
        + (height - 1).to_bytes(3, 'little')
    return b'RIFF' + struct.pack('<I', len(body) + 4) + b'WEBP' + body


SVG = ('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
       'width="120" height="40" viewBox="0 0 120 40"><title>Logo</title>{}</svg>')


# --- the rules

def test_contrast_ratios_are_those_of_wcag() -> None:
    assert looks.contrast('#000000', '#ffffff') == pytest.approx(21)
    assert looks.contrast('#777777', '#ffffff') == pytest.approx(4.48, abs=0.01)  # the famous near miss
    assert looks.text_on('#111827') == '#ffffff' and looks.text_on('#fde68a') == '#000000'


def test_an_admin_saves_a_dark_brand_in_one_step_and_it_is_audited(db) -> None:
    admin = an_admin()
    changes = brand.save(**DARK, by=admin)
    stored = settings.load()
    assert stored['portal_name'] == 'Night Portal' and stored['brand_header_color'] == '#111827'
    assert stored['brand_primary_color'] == '#1d4ed8' and stored['brand_accent_color'] == '#9d174d'
    assert stored['brand_footer_links'] == [{'label': 'Terms', 'url': 'https://night.example/terms'}]
    event = AuditEvent.get(AuditEvent.action == 'brand.update')
    assert event.actor_id == admin.id and event.detail['changes'] == changes
    assert brand.save(**DARK, by=admin) == {}  # the same again: nothing changes, nothing audited
    assert AuditEvent.select().where(AuditEvent.action == 'brand.update').count() == 1
    look = brand.current_look()
    assert look.header_text == '#ffffff' and look.primary_text == '#ffffff'


@pytest.mark.parametrize('field, value, words', [
    ('primary', '#777777', 'Links in the primary colour on the page would be 4.29:1'),  # grey on the page
    ('primary', '#ffeb3b', 'WCAG AA needs at least 4.5:1'),  # yellow links on white
    ('accent', '#22c55e', 'Highlights in the accent colour'),  # a light green badge
    ('header', 'red', 'Enter a colour as #rrggbb'),
    ('primary', '#12345', 'Enter a colour as #rrggbb'),
    ('accent', 'url(javascript:alert(1))', 'Enter a colour as #rrggbb'),
    ('header', '#000000; background:url(//evil)', 'Enter a colour as #rrggbb'),
])
def test_a_colour_that_fails_contrast_or_is_no_colour_is_refused_and_nothing_changes(db, field, value, words) -> None:
    admin = an_admin()
    brand.save(**DARK, by=admin)
    before = settings.load()
    with pytest.raises(DomainError) as refused:
        brand.save(**{**DARK, 'portal_name': 'Changed too', field: value}, by=admin)
    assert refused.value.field == field and words in str(refused.value)
    assert settings.load() == before  # not even the name changed
    assert AuditEvent.select().where(AuditEvent.action == 'brand.update').count() == 1


def test_any_header_colour_gets_readable_text_black_or_white() -> None:
    for colour in ('#000000', '#ffffff', '#767676', '#808080', '#3949ab', '#ffeb3b', '#00ff00'):
        header = brand.contrasts(colour, '#1d4ed8', '#9d174d')[0]
        assert header.passes, colour


@pytest.mark.parametrize('url', ['javascript:alert(1)', 'JavaScript:alert(1)', ' javascript:alert(1)', 'data:text/html,x',
                                 'vbscript:x', '//evil.example/x', 'https://', 'ftp://files.example', 'https://a b.example',
                                 'https://x.example/' + 'a' * 500])
def test_a_footer_link_must_be_a_web_or_mail_address(db, url) -> None:
    with pytest.raises(DomainError) as refused:
        brand.save(**{**DARK, 'footer_links': [{'label': 'Terms', 'url': 'https://ok.example'},
                                               {'label': 'Evil', 'url': url}]}, by=an_admin())
    assert refused.value.field == 'footer_2_url'
    assert settings.load()['brand_footer_links'] == []


def test_footer_links_labels_empty_rows_and_the_limit(db) -> None:
    admin = an_admin()
    saved = brand.save(**{**DARK, 'footer_links': [{'label': '', 'url': ''}, {'label': ' Privacy ', 'url': 'mailto:dpo@x.example'},
                                                   {'label': 'Status', 'url': 'http://status.example'}]}, by=admin)
    assert saved['brand_footer_links'] == [{'label': 'Privacy', 'url': 'mailto:dpo@x.example'},
                                           {'label': 'Status', 'url': 'http://status.example'}]
    with pytest.raises(DomainError) as refused:
        brand.save(**{**DARK, 'footer_links': [{'label': '', 'url': 'https://x.example'}]}, by=admin)
    assert refused.value.field == 'footer_1_label'
    with pytest.raises(DomainError, match='6 footer links at most'):
        brand.save(**{**DARK, 'footer_links': [{'label': f'L{n}', 'url': 'https://x.example'} for n in range(7)]},
                   by=admin)


def test_the_portal_name_rule_is_one_for_settings_and_appearance(db) -> None:
    admin = an_admin()
    for bad in ('', '   ', 'x' * 101, 'Evil\u202eName'):
        with pytest.raises(DomainError) as refused:
            brand.save(**{**DARK, 'portal_name': bad}, by=admin)
        assert refused.value.field == 'portal_name'
        with pytest.raises(DomainError) as also:
            settings_workflow.update({'portal_name': bad}, by=admin)
        assert also.value.field == 'portal_name' and str(also.value) == str(refused.value)
    settings_workflow.update({'portal_name': '  Acme   APIs '}, by=admin)
    assert settings.get('portal_name') == 'Acme APIs'


def test_only_a_portal_admin_changes_the_brand(db) -> None:
    developer = a_user()
    with pytest.raises(PermissionDenied):
        brand.save(**DARK, by=developer)
    with pytest.raises(PermissionDenied):
        brand.upload('logo', png(), by=developer)
    brand.upload('logo', png(), by=an_admin())
    with pytest.raises(PermissionDenied):
        brand.remove('logo', by=developer)
    assert settings.get('portal_name') == 'Portico' and BrandAsset.select().count() == 1


# --- images

@pytest.mark.parametrize('data, content_type, size', [
    (png(64, 32), 'image/png', (64, 32)),
    (jpeg_header(300, 100), 'image/jpeg', (300, 100)),
    (webp_header(200, 50), 'image/webp', (200, 50)),
    (SVG.format('<rect width="120" height="40" fill="#3949ab"/>').encode(), 'image/svg+xml', (120, 40)),
])
def test_an_image_is_recognised_by_its_bytes_and_sized_from_its_header(data, content_type, size) -> None:
    image = brand_images.check('logo', data)
    assert (image.content_type, (image.width, image.height)) == (content_type, size)


@pytest.mark.parametrize('data, words', [
    (b'<script>alert(1)</script>', 'not a PNG, JPEG, WebP or SVG'),  # a script renamed .png: its name is not read
    (b'GIF89a' + b'\x00' * 20, 'not a PNG, JPEG, WebP or SVG'),
    (b'#!/bin/sh\nrm -rf /\n', 'not a PNG, JPEG, WebP or SVG'),
    (b'\x89PNG\r\n\x1a\n' + b'\x00' * 4, 'not a PNG, JPEG, WebP or SVG'),  # a truncated header
    (b'\xff\xd8\xff\xe0\x00', 'not a PNG, JPEG, WebP or SVG'),
    (png(5000, 10), 'each side may be 1 to 4096'),  # absurd dimensions
    (jpeg_header(65000, 65000), 'each side may be 1 to 4096'),
    (png(0, 10), 'has no size'),
    (b'\x00' * (512 * 1024 + 1), 'too big'),
    (b'', 'empty'),
    ('<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>'.encode(), 'not a PNG, JPEG, WebP or SVG'),  # no size
    ('<html><body>hi</body></html>'.encode(), 'not a PNG, JPEG, WebP or SVG'),
])
def test_what_is_not_an_accepted_image_is_refused(data, words) -> None:
    with pytest.raises(DomainError) as refused:
        brand_images.check('logo', data)
    assert words in str(refused.value) and refused.value.field == 'logo'


def test_a_favicon_has_its_own_limits() -> None:
    with pytest.raises(DomainError, match='each side may be 1 to 512'):
        brand_images.check('favicon', png(600, 600))
    with pytest.raises(DomainError, match='100 kB at most'):
        brand_images.check('favicon', b'\x89PNG' + b'\x00' * (100 * 1024))
    assert brand_images.check('favicon', png(32, 32)).width == 32


def test_a_png_named_svg_is_stored_as_the_png_it_is(db) -> None:
    """The upload's name and the browser's type are never read: only the bytes."""
    row = brand.upload('logo', png(), by=an_admin())
    assert row.content_type == 'image/png' and settings.get('brand_logo_type') == 'image/png'


@pytest.mark.parametrize('inside, gone', [
    ('<script>alert(1)</script>', ['script', 'alert']),
    ('<rect width="10" height="10" onload="alert(1)" onclick="alert(2)"/>', ['onload', 'onclick', 'alert']),
    ('<a href="https://evil.example"><rect width="5" height="5"/></a>', ['evil', '<a']),
    ('<use xlink:href="http://evil.example/x.svg#a"/>', ['evil']),
    ('<use href="data:image/svg+xml;base64,PHN2Zz4="/>', ['data:']),
    ('<image href="https://evil.example/track.png" width="1" height="1"/>', ['evil', 'image']),
    ('<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">hi<iframe src="https://evil.example"/></div>'
     '</foreignObject>', ['foreignObject', 'iframe', 'evil', 'hi']),
    ('<style>@import url(https://evil.example/x.css); rect {fill: red}</style>', ['@import', 'evil']),
    ('<rect width="5" height="5" style="fill: url(https://evil.example/p)"/>', ['evil']),
    ('<rect width="5" height="5" fill="url(https://evil.example/#g)"/>', ['evil']),
    ('<set attributeName="onmouseover" to="alert(1)"/><animate attributeName="href" to="javascript:alert(1)"/>',
     ['alert', 'javascript', 'set', 'animate']),
    ('<script xlink:href="https://evil.example/x.js"/>', ['evil', 'script']),
])
def test_an_svg_is_sanitised_on_upload(db, inside, gone) -> None:
    row = brand.upload('logo', SVG.format(inside + '<rect id="kept" width="120" height="40" fill="#123456"/>').encode(),
                       by=an_admin())
    cleaned = bytes(row.data).decode()
    assert row.content_type == 'image/svg+xml' and 'id="kept"' in cleaned and '<title>Logo</title>' in cleaned
    for word in gone:
        assert word not in cleaned, (word, cleaned)


def test_local_references_in_an_svg_are_kept() -> None:
    cleaned = brand_images.sanitise_svg(SVG.format(
        '<defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/></linearGradient></defs>'
        '<rect width="10" height="10" fill="url(#g)"/><use xlink:href="#g"/>'))
    assert 'fill="url(#g)"' in cleaned and 'href="#g"' in cleaned


@pytest.mark.parametrize('attack', [
    '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
    '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"><text>&d;&d;&d;&d;</text></svg>',  # billion laughs
    '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"><text>&x;</text></svg>',  # an outside entity
    '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">'
    '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>',
])
def test_an_svg_with_a_doctype_or_entities_is_refused(db, attack) -> None:
    with pytest.raises(DomainError, match='DOCTYPE or entities') as refused:
        brand.upload('logo', attack.encode(), by=an_admin())
    assert refused.value.field == 'logo' and BrandAsset.select().count() == 0


def test_an_svg_whose_root_is_not_svg_or_is_broken_is_refused() -> None:
    for text in ('<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><svg/></html>',
                 '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"><rect></svg>',
                 '<svg width="1" height="1"><rect/></svg>'):  # no SVG namespace: not an SVG to a browser either
        with pytest.raises(DomainError):
            brand_images.check('logo', text.encode())


# --- served

async def test_the_logo_is_served_by_the_portal_with_its_type_a_strict_policy_and_its_hash(user) -> None:
    admin = an_admin()
    async with httpx.AsyncClient(transport=user.http_client._transport, base_url='http://test') as client:
        assert (await client.get('/brand/logo')).status_code == 404  # none yet
        fallback = await client.get('/brand/favicon')
        assert fallback.status_code == 307 and fallback.headers['location'] == '/static/favicon.svg'
        row = brand.upload('logo', SVG.format('<script>alert(1)</script><rect width="5" height="5"/>').encode(), by=admin)
        response = await client.get(f'/brand/logo?v={row.sha256}')
        assert response.status_code == 200 and response.headers['content-type'] == 'image/svg+xml'
        assert response.headers['x-content-type-options'] == 'nosniff'
        assert response.headers['content-security-policy'].startswith("default-src 'none'; style-src 'unsafe-inline'")
        assert 'immutable' in response.headers['cache-control'] and 'script' not in response.text
        assert (await client.get('/brand/logo?v=old')).headers['cache-control'] == 'no-cache'
        again = await client.get('/brand/logo', headers={'if-none-match': f'"{row.sha256}"'})
        assert again.status_code == 304
        favicon = brand.upload('favicon', png(32, 32), by=admin)
        icon = await client.get(f'/brand/favicon?v={favicon.sha256}')
        assert icon.headers['content-type'] == 'image/png' and icon.content == png(32, 32)
        assert brand.remove('logo', by=admin)
        assert (await client.get('/brand/logo')).status_code == 404 and settings.get('brand_logo') == ''
    assert [event.action for event in AuditEvent.select().order_by(AuditEvent.id)] == \
        ['brand.upload', 'brand.upload', 'brand.remove']


async def test_a_non_admin_cannot_reach_appearance(user) -> None:
    developer = a_user()
    from workflows import sessions
    async with httpx.AsyncClient(transport=user.http_client._transport, base_url='http://test') as client:
        await client.get(f'/auth/session?ticket={sessions.issue_ticket(developer)}')
        response = await client.get('/admin/appearance', follow_redirects=True)
        assert 'Portal name' not in response.text and 'Header colour' not in response.text


# --- email

def test_an_email_after_a_brand_change_carries_the_name_colour_logo_and_footer(db, smtp_server) -> None:
    admin = an_admin()
    brand.save(**{**DARK, 'footer_links': [{'label': 'Terms', 'url': 'https://night.example/terms'},
                                           {'label': 'Status', 'url': 'https://status.night.example'}]}, by=admin)
    brand.upload('logo', png(), by=admin)
    mail_admin.send_test('ops@provider.test', by=admin)
    assert worker.deliver_due(transports.SmtpTransport(smtp_server.url, 'portal@provider.test')) == 1
    sent = smtp_server.to('ops@provider.test')[0]
    assert 'Night Portal' in sent.subject + sent.body
    assert 'Terms: https://night.example/terms' in sent.body and 'Status: https://status.night.example' in sent.body
    message = sent.message
    part = message.get_body(preferencelist=('html',))
    page = part.get_content()
    assert 'background:#111827;color:#ffffff' in page and 'Night Portal' in page
    assert '<img src="cid:portico-logo" alt="Night Portal"' in page
    assert '<a href="https://night.example/terms"' in page
    images = [item for item in message.walk() if item.get_content_type() == 'image/png']
    assert len(images) == 1 and images[0]['Content-ID'] == '<portico-logo>' and images[0].get_content() == png()


def test_an_email_escapes_the_text_keeps_links_and_leaves_an_svg_logo_out(db, smtp_server) -> None:
    admin = an_admin()
    brand.save(**{**DARK, 'portal_name': 'Acme <b>&</b> Co'}, by=admin)
    brand.upload('logo', SVG.format('<rect width="5" height="5"/>').encode(), by=admin)
    from mail import outbox
    outbox.queue('reset', 'dev@consumer.test', first_name='<img src=x onerror=alert(1)>',
                 secret={'link': 'https://portal.test/auth/reset/code?token=abc&x=1'})
    assert worker.deliver_due(transports.SmtpTransport(smtp_server.url, 'portal@provider.test')) == 1
    message = smtp_server.to('dev@consumer.test')[0].message
    page = message.get_body(preferencelist=('html',)).get_content()
    assert '<img src=x' not in page and '&lt;img src=x onerror=alert(1)&gt;' in page
    assert 'Acme &lt;b&gt;&amp;&lt;/b&gt; Co' in page and 'cid:' not in page
    assert '<a href="https://portal.test/auth/reset/code?token=abc&amp;x=1"' in page
    assert not [item for item in message.walk() if item.get_content_maintype() == 'image']


async def test_every_page_points_to_the_brands_favicon_and_names_the_portal(user) -> None:
    admin = an_admin()
    async with httpx.AsyncClient(transport=user.http_client._transport, base_url='http://test') as client:
        assert '<link rel="icon" href="/static/favicon.svg">' in (await client.get('/')).text
        row = brand.upload('favicon', png(32, 32), by=admin)
        brand.save(**DARK, by=admin)
        page = (await client.get('/catalogs')).text
        assert f'<link rel="icon" href="/brand/favicon?v={row.sha256}">' in page and 'Night Portal' in page
        assert 'http://' not in page.replace('http://test', '').split('<body')[0]  # nothing from another host
