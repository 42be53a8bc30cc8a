"""The brand's logo and favicon as the portal serves them (issue 25), to visitors too: the stored bytes (an SVG as
sanitised on upload) with their own type, never sniffed, under a policy that lets nothing in them run or load,
and cached for good under the URL that carries their hash (a new image has a new URL)."""
from __future__ import annotations

from fastapi import Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response

from db.models import BrandAsset

PATHS = {'logo': '/brand/logo', 'favicon': '/brand/favicon'}
ASSET_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox"
DEFAULT_FAVICON = '/static/favicon.svg'


def install(app) -> None:
    """Registered by main.py at each start (not at import: NiceGUI's test fixtures reset the routes)."""
    app.add_api_route(PATHS['logo'], logo, methods=['GET'])
    app.add_api_route(PATHS['favicon'], favicon, methods=['GET'])


def logo(request: Request, v: str = '') -> Response:
    return _serve('logo', request, v)


def favicon(request: Request, v: str = '') -> Response:
    return _serve('favicon', request, v)


def _serve(kind: str, request: Request, version: str) -> Response:
    """A plain `def`: FastAPI runs it in a thread (a database read)."""
    row = BrandAsset.get_or_none(BrandAsset.kind == kind)
    if row is None:
        if kind == 'favicon':
            return RedirectResponse(DEFAULT_FAVICON, status_code=307)
        return PlainTextResponse('No logo is set.', status_code=404, headers={'Cache-Control': 'no-cache'})
    etag = f'"{row.sha256}"'
    headers = {'ETag': etag, 'X-Content-Type-Options': 'nosniff', 'Content-Security-Policy': ASSET_POLICY,
               'Cross-Origin-Resource-Policy': 'same-origin',
               'Cache-Control': 'public, max-age=31536000, immutable' if version == row.sha256 else 'no-cache'}
    if request.headers.get('if-none-match') == etag:
        return Response(status_code=304, headers=headers)
    return Response(bytes(row.data), media_type=row.content_type, headers=headers)
