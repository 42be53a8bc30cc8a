"""The authorisation server's HTTP side (issue 26): the token endpoint, the public keys, the metadata.

    POST /oauth/token                              client credentials grant (RFC 6749 4.4): client_secret_basic,
                                                   private_key_jwt (RFC 7523); errors per RFC 6749 5.2
    GET  /oauth/jwks                               the public signing keys (current and recently retired)
    GET  /.well-known/oauth-authorization-server   RFC 8414 metadata

RFC 7662 introspection (POST /oauth/introspect) is a gateway path: gateway/asgi.py answers it for keys and tokens.
"""
from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qs

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from gateway import access_tokens
from workflows import oauth_clients

TOKEN, JWKS, METADATA = '/oauth/token', '/oauth/jwks', '/.well-known/oauth-authorization-server'
PATHS = (TOKEN, JWKS, METADATA)
MAX_FORM = 16_384  # bytes of a token request: an assertion is about 1 kB
MAX_FIELDS = 20
NO_STORE = {'Cache-Control': 'no-store', 'Pragma': 'no-cache'}


def install(app) -> None:
    """Registered by main.py at each start (as api/reference.py)."""
    app.add_api_route(TOKEN, token, methods=['POST'], include_in_schema=False)
    app.add_api_route(JWKS, jwks, methods=['GET'], include_in_schema=False)
    app.add_api_route(METADATA, metadata, methods=['GET'], include_in_schema=False)


def _error(error: oauth_clients.OAuthError) -> JSONResponse:
    headers = dict(NO_STORE)
    if error.status == 401:
        headers['WWW-Authenticate'] = 'Basic realm="portico", error="invalid_client"'
    return JSONResponse(error.body(), status_code=error.status, headers=headers)


async def _form(request: Request) -> dict[str, list[str]]:
    if request.headers.get('content-type', '').split(';')[0].strip().lower() != 'application/x-www-form-urlencoded':
        raise oauth_clients.OAuthError('invalid_request', 'Send the parameters as application/x-www-form-urlencoded.')
    declared = request.headers.get('content-length', '')
    if declared.isdigit() and int(declared) > MAX_FORM:
        raise oauth_clients.OAuthError('invalid_request', f'The request is larger than {MAX_FORM:,} bytes.', 413)
    body = b''
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM:
            raise oauth_clients.OAuthError('invalid_request', f'The request is larger than {MAX_FORM:,} bytes.', 413)
    try:
        return parse_qs(body.decode('utf-8'), max_num_fields=MAX_FIELDS, strict_parsing=False)
    except (ValueError, UnicodeDecodeError):
        raise oauth_clients.OAuthError('invalid_request', 'The parameters cannot be read.') from None


async def token(request: Request) -> Response:
    try:
        form = await _form(request)
        answer = await asyncio.to_thread(oauth_clients.token, form, request.headers.get('authorization', ''),
                                         request.client.host if request.client else '')
    except oauth_clients.OAuthError as error:
        return _error(error)
    return JSONResponse(answer, headers=NO_STORE)


async def jwks(request: Request) -> Response:
    keys = await asyncio.to_thread(access_tokens.published_keys)
    return Response(json.dumps({'keys': keys}), media_type='application/json',
                    headers={'Cache-Control': 'public, max-age=300'})


async def metadata(request: Request) -> Response:
    issuer = await asyncio.to_thread(oauth_clients.issuer)
    return JSONResponse({
        'issuer': issuer,
        'token_endpoint': issuer + TOKEN,
        'jwks_uri': issuer + JWKS,
        'introspection_endpoint': issuer + '/oauth/introspect',
        'introspection_endpoint_auth_methods_supported': ['client_secret_basic'],
        'grant_types_supported': ['client_credentials'],
        'response_types_supported': [],
        'token_endpoint_auth_methods_supported': ['client_secret_basic', 'private_key_jwt'],
        'token_endpoint_auth_signing_alg_values_supported': oauth_clients.ASSERTION_ALGORITHMS,
    }, headers={'Cache-Control': 'public, max-age=300'})

