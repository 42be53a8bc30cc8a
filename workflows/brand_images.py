"""What a brand image (logo, favicon) may be: PNG, JPEG, WebP or SVG, recognised by its bytes (never by its file
name), within a size and with sane dimensions read from its own header; an SVG is rebuilt from an allow-list of
elements and attributes, so that no script, event handler, foreign content or outside reference survives."""
from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from xml.parsers import expat

from domain.errors import DomainError
from domain.i18n import N_

LIMITS = {'logo': 512 * 1024, 'favicon': 100 * 1024}  # bytes
MAX_SIDE = {'logo': 4096, 'favicon': 512}  # pixels (an SVG's declared size is not capped: it scales)
KINDS = tuple(LIMITS)
NOT_AN_IMAGE = N_('This file is not a PNG, JPEG, WebP or SVG image.')


@dataclass(frozen=True)
class Image:
    content_type: str
    data: bytes
    width: int
    height: int


def check(kind: str, data: bytes) -> Image:
    """The image as it will be stored and served, or a DomainError (field `kind`) saying what is wrong."""
    if kind not in LIMITS:
        raise DomainError('Unknown kind of image.', kind)
    if not data:
        raise DomainError('The file is empty.', kind)
    if len(data) > LIMITS[kind]:
        raise DomainError('The file is too big ({size} kB; {limit} kB at most).', kind, size=len(data) // 1024,
                          limit=LIMITS[kind] // 1024)
    try:
        image = _raster(data) or _svg(data)
    except DomainError as error:  # an SVG refused: said next to the field of this image
        raise DomainError(str(error), kind) from None
    except (struct.error, IndexError, ValueError):
        raise DomainError(NOT_AN_IMAGE, kind) from None
    if image is None:
        raise DomainError(NOT_AN_IMAGE, kind)
    if image.width < 1 or image.height < 1:
        raise DomainError('The image has no size.', kind)
    if image.content_type != 'image/svg+xml':
        side = MAX_SIDE[kind]
        if not (1 <= image.width <= side and 1 <= image.height <= side):
            raise DomainError('The image is {width} × {height} pixels; each side may be 1 to {side}.', kind,
                              width=image.width, height=image.height, side=side)
    return image


def _raster(data: bytes) -> Image | None:
    if data.startswith(b'\x89PNG\r\n\x1a\n') and data[12:16] == b'IHDR':
        width, height = struct.unpack('>II', data[16:24])
        return Image('image/png', data, width, height)
    if data.startswith(b'\xff\xd8\xff'):
        width, height = _jpeg_size(data)
        return Image('image/jpeg', data, width, height)
    if data[:4] == b'RIFF' and data[8:12] == b'WEBP':
        width, height = _webp_size(data)
        return Image('image/webp', data, width, height)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int]:
    at = 2
    while at + 9 < len(data):
        if data[at] != 0xFF:
            raise ValueError('not a JPEG marker')
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        length = struct.unpack('>H', data[at + 2:at + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # a start of frame: the size
            height, width = struct.unpack('>HH', data[at + 5:at + 9])
            return width, height
        at += 2 + length
    raise ValueError('no JPEG frame')


def _webp_size(data: bytes) -> tuple[int, int]:
    chunk = data[12:16]
    if chunk == b'VP8 ' and data[23:26] == b'\x9d\x01\x2a':
        width, height = struct.unpack('<HH', data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b'VP8L' and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], 'little')
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b'VP8X':
        return int.from_bytes(data[24:27], 'little') + 1, int.from_bytes(data[27:30], 'little') + 1
    raise ValueError('unknown WebP chunk')


# --- SVG

SVG_NS, XLINK_NS = 'http://www.w3.org/2000/svg', 'http://www.w3.org/1999/xlink'
ELEMENTS = {
    'svg', 'g', 'path', 'rect', 'circle', 'ellipse', 'line', 'polyline', 'polygon', 'text', 'tspan', 'title', 'desc',
    'defs', 'linearGradient', 'radialGradient', 'stop', 'clipPath', 'mask', 'pattern', 'use', 'symbol', 'style',
}
ATTRIBUTES = {
    'id', 'class', 'style', 'd', 'x', 'y', 'x1', 'y1', 'x2', 'y2', 'cx', 'cy', 'r', 'rx', 'ry', 'fx', 'fy', 'dx', 'dy',
    'width', 'height', 'viewBox', 'preserveAspectRatio', 'version', 'points', 'transform', 'opacity', 'color',
    'fill', 'fill-opacity', 'fill-rule', 'stroke', 'stroke-width', 'stroke-linecap', 'stroke-linejoin',
    'stroke-miterlimit', 'stroke-dasharray', 'stroke-dashoffset', 'stroke-opacity', 'offset', 'stop-color',
    'stop-opacity', 'gradientUnits', 'gradientTransform', 'spreadMethod', 'clip-path', 'clip-rule', 'mask',
    'maskUnits', 'maskContentUnits', 'clipPathUnits', 'patternUnits', 'patternContentUnits', 'patternTransform',
    'font-family', 'font-size', 'font-weight', 'font-style', 'text-anchor', 'dominant-baseline', 'letter-spacing',
    'visibility', 'display', 'role', 'aria-label', 'aria-hidden', 'href',
}
# in CSS (a style attribute or element): url() only to a fragment of this image; no @import, no escapes that could
# hide either
_URL = re.compile(r'url\s*\(\s*([\'"]?)(.*?)\1\s*\)', re.IGNORECASE | re.DOTALL)
_CSS_FORBIDDEN = re.compile(r'@import|expression\s*\(|\\|javascript:|behavior\s*:|-moz-binding', re.IGNORECASE)
_NUMBER = re.compile(r'\s*([0-9]*\.?[0-9]+)\s*(px)?\s*')


def _safe_css(text: str) -> bool:
    if _CSS_FORBIDDEN.search(text):
        return False
    return all(target.strip().startswith('#') for _, target in _URL.findall(text))


def _escape(text: str, quote: bool = False) -> str:
    text = text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')
    return text.replace('"', '&quot;') if quote else text


def sanitise_svg(text: str) -> str:
    """The SVG rebuilt from what the allow-lists keep; a DomainError when it is no SVG or declares a DTD."""
    out: list[str] = []
    skipping = 0  # depth inside a dropped element: its whole content goes with it
    stack: list[str] = []
    parser = expat.ParserCreate(namespace_separator=' ')

    def refuse(*_args) -> None:
        raise DomainError('An SVG with a DOCTYPE or entities is not accepted.', 'svg')

    def start(name: str, attributes: dict) -> None:
        nonlocal skipping
        namespace, _, local = name.rpartition(' ')
        if not stack and (local != 'svg' or namespace != SVG_NS):
            raise DomainError('This file is not an SVG image.', 'svg')
        if skipping or namespace != SVG_NS or local not in ELEMENTS:
            skipping += 1
            return
        kept = []
        for key, value in attributes.items():
            attr_ns, _, attr = key.rpartition(' ')
            if attr_ns == XLINK_NS and attr == 'href':
                attr_ns = ''
            if attr_ns or attr not in ATTRIBUTES or attr.lower().startswith('on'):
                continue
            if attr == 'href' and not value.strip().startswith('#'):
                continue
            if (attr == 'style' or 'url' in value.lower()) and not _safe_css(value):
                continue
            kept.append(f' {attr}="{_escape(value, quote=True)}"')
        if not stack:
            kept.insert(0, f' xmlns="{SVG_NS}"')
        out.append(f'<{local}{"".join(kept)}>')
        stack.append(local)

    def end(name: str) -> None:
        nonlocal skipping
        if skipping:
            skipping -= 1
            return
        out.append(f'</{stack.pop()}>')

    def characters(data: str) -> None:
        if not skipping and stack:
            if stack[-1] == 'style' and not _safe_css(data):
                return
            out.append(_escape(data))

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    try:
        parser.Parse(text, True)
    except expat.ExpatError as error:
        raise DomainError('This SVG cannot be read ({problem}).', 'svg', problem=expat.ErrorString(error.code)) from None
    return ''.join(out)


def _svg(data: bytes) -> Image | None:
    try:
        text = data.decode('utf-8-sig')
    except UnicodeDecodeError:
        return None
    head = text.lstrip()[:200].lower()
    if not head.startswith(('<?xml', '<svg', '<!--', '<!doctype svg')):
        return None
    cleaned = sanitise_svg(text)
    width, height = _svg_size(cleaned)
    return Image('image/svg+xml', cleaned.encode(), width, height)


def _svg_size(cleaned: str) -> tuple[int, int]:
    root = re.match(r'<svg([^>]*)>', cleaned)
    attributes = dict(re.findall(r' ([\w-]+)="([^"]*)"', root.group(1))) if root else {}
    width, height = (_NUMBER.fullmatch(attributes.get(side, '')) for side in ('width', 'height'))
    if width and height:
        return round(float(width.group(1))), round(float(height.group(1)))
    box = attributes.get('viewBox', '').replace(',', ' ').split()
    if len(box) == 4:
        return round(float(box[2])), round(float(box[3]))
    raise ValueError('an SVG without a size')
