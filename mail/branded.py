"""An email in the brand's clothes (issue 25): the plain text with the footer links under it, and an HTML
alternative with the portal's name on the header colour, the logo (a raster logo as an inline image: most mail
clients show no SVG, so an SVG logo leaves the name alone), the text escaped with its links clickable, and the
footer links. The transport (mail/transports.py) puts the parts into the MIME message."""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from domain.brand import Look

LOGO_CID = 'portico-logo'
RASTER = ('image/png', 'image/jpeg', 'image/webp')
_LINK = re.compile(r'(https?://[^\s<>"]+[^\s<>".,;:!?)\]])')


@dataclass(frozen=True)
class InlineImage:
    cid: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class HtmlPart:
    html: str
    images: list[InlineImage] = field(default_factory=list)


def plain_text(body: str, look: Look) -> str:
    """The text part: the message, then the footer links, one a line."""
    if not look.footer_links:
        return body
    lines = '\n'.join(f'{label}: {url}' for label, url in look.footer_links)
    return f'{body.rstrip()}\n\n-- \n{look.portal_name}\n{lines}\n'


def _paragraphs(body: str, link_colour: str) -> str:
    parts = []
    for block in re.split(r'\n\s*\n', body.strip()):
        escaped = html.escape(block)
        linked = _LINK.sub(lambda match: f'<a href="{match.group(1)}" style="color:{link_colour}">{match.group(1)}</a>',
                           escaped)
        parts.append(f'<p style="margin:0 0 16px 0">{linked.replace(chr(10), "<br>")}</p>')
    return ''.join(parts)


def html_part(body: str, look: Look, logo: tuple[str, bytes] | None = None, locale: str = 'en') -> HtmlPart:
    """The HTML alternative of `body` (the rendered text, without the footer); `logo`: the raster logo's content
    type and bytes, or None; `locale`: the language of the text (screen readers pronounce it so)."""
    name = html.escape(look.portal_name)
    images = []
    mark = ''
    if logo is not None and logo[0] in RASTER:
        images.append(InlineImage(LOGO_CID, logo[0], logo[1]))
        mark = (f'<img src="cid:{LOGO_CID}" alt="{name}" height="32" '
                'style="height:32px;width:auto;vertical-align:middle;margin-right:10px;border:0">')
    links = ' &middot; '.join(
        f'<a href="{html.escape(url)}" style="color:#444444">{html.escape(label)}</a>'
        for label, url in look.footer_links)
    page = (
        f'<!doctype html><html lang="{html.escape(locale)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
        '<body style="margin:0;padding:0;background:#f5f5f5;font-family:Arial,Helvetica,sans-serif;color:#212121">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f5f5f5">'
        '<tr><td align="center" style="padding:24px 12px">'
        '<table role="presentation" width="600" cellpadding="0" cellspacing="0" '
        'style="max-width:600px;width:100%;background:#ffffff;border-radius:6px">'
        f'<tr><td style="background:{look.header};color:{look.header_text};padding:14px 24px;'
        f'border-radius:6px 6px 0 0;font-size:18px;font-weight:bold">{mark}'
        f'<span style="vertical-align:middle">{name}</span></td></tr>'
        f'<tr><td style="padding:24px;font-size:15px;line-height:1.5">{_paragraphs(body, look.primary)}</td></tr>'
        f'<tr><td style="padding:12px 24px 20px;font-size:12px;color:#444444;border-top:1px solid #eeeeee">'
        f'&copy; {name}{" &middot; " + links if links else ""}</td></tr>'
        '</table></td></tr></table></body></html>')
    return HtmlPart(page, images)
