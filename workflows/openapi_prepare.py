"""The reference's copy of an OpenAPI document, made once when the document is saved (workflows/openapi.py reads
and validates it first): `servers` taken out and put back at serve time with the gateway's address, the Portico
key added as a security scheme every operation accepts, and named schemas that refer to others shown as named
stand-ins, so that a renderer never expands a cycle of references without end."""
from __future__ import annotations

import json

METHODS = ('get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace')
KEY_SCHEME = 'PorticoKey'
KEY_HEADER = 'X-API-Key'
MAX_DEPTH = 128  # nesting of objects and arrays: deeper is refused when read (workflows/openapi.py)


def count_operations(document: dict | None) -> int:
    if not document:
        return 0
    count = 0
    for group in ('paths', 'webhooks'):
        for item in (document.get(group) or {}).values():
            if isinstance(item, dict):
                count += sum(1 for method in METHODS if isinstance(item.get(method), dict))
    return count


def prepare(document: dict) -> str:
    """The renderer's copy: no servers (put back at serve time), and the Portico key as a security scheme
    every operation accepts, so Try it sends it and the page says how."""
    prepared = {key: value for key, value in document.items() if key not in ('servers', 'host', 'basePath', 'schemes')}
    scheme = {'type': 'apiKey', 'in': 'header', 'name': KEY_HEADER,
              'description': f'Your Portico API key, sent in the `{KEY_HEADER}` header (or as '
                             '`Authorization: Bearer <key>`). Get one with **Get access** on the product page; '
                             'your apps and keys are under **My apps**.'}
    if 'swagger' in prepared:
        prepared['securityDefinitions'] = {KEY_SCHEME: scheme, **(prepared.get('securityDefinitions') or {})}
    else:
        components = dict(prepared.get('components') or {})
        components['securitySchemes'] = {KEY_SCHEME: scheme, **(components.get('securitySchemes') or {})}
        prepared['components'] = components
    prepared['security'] = [{KEY_SCHEME: []}, *(prepared.get('security') or [])]
    paths = {}
    for path, item in (prepared.get('paths') or {}).items():
        if isinstance(item, dict) and any(isinstance(item.get(m), dict) and 'security' in item[m] for m in METHODS):
            item = dict(item)
            for method in METHODS:
                operation = item.get(method)
                if isinstance(operation, dict) and isinstance(operation.get('security'), list):
                    item[method] = {**operation, 'security': [{KEY_SCHEME: []}, *operation['security']]}
        paths[path] = item
    if 'paths' in prepared:
        prepared['paths'] = paths
    _name_nested_schemas(prepared)
    return json.dumps(prepared, ensure_ascii=False, separators=(',', ':'))


def _name_nested_schemas(prepared: dict) -> None:
    """Inside the named schemas, a reference to another named schema that itself refers to others becomes
    a short stand-in with that schema's name. A renderer expands every $ref it meets, and in a document
    like Stripe's (schemas linking to each other in cycles) the expansion of one operation never ends;
    with stand-ins each schema is shown once, with its own properties, and names the schemas it links to
    (a cycle shows up as a name, not as an endless tree). Leaf schemas (no references) stay inline."""
    if 'swagger' in prepared:
        holder, key, prefix = prepared, 'definitions', '#/definitions/'
    else:
        holder, key, prefix = prepared.get('components') or {}, 'schemas', '#/components/schemas/'
    schemas = holder.get(key)
    if not isinstance(schemas, dict) or not schemas:
        return
    leaves = {name for name, schema in schemas.items() if '"$ref"' not in json.dumps(schema)}

    def stand_in(node: dict) -> dict:
        name = node['$ref'][len(prefix):].replace('~1', '/').replace('~0', '~')
        if name in leaves or name not in schemas:
            return node
        target = schemas[name] if isinstance(schemas[name], dict) else {}
        described = target.get('title') or name
        stub = {'title': described, 'description': f'A **{described}** (see `{name}` under Schemas).',
                'x-portico-schema': name}
        if isinstance(target.get('type'), (str, list)):
            stub['type'] = target['type']
        stub.update({k: v for k, v in node.items() if k != '$ref'})
        return stub

    def walk(node, depth: int = 0):
        if depth > MAX_DEPTH:
            return node
        if isinstance(node, dict):
            if isinstance(node.get('$ref'), str) and node['$ref'].startswith(prefix):
                return stand_in(node)
            return {k: walk(v, depth + 1) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, depth + 1) for v in node]
        return node

    holder = dict(holder)
    holder[key] = {name: walk(schema) for name, schema in schemas.items()}
    if 'swagger' in prepared:
        prepared[key] = holder[key]
    else:
        prepared['components'] = holder


def with_servers(prepared: str, gateway_url: str, base_path: str, version: str) -> str:
    """The prepared JSON with the gateway as its only server: a splice, not a parse, so that serving a
    10 MB document costs a copy."""
    url = gateway_url.rstrip('/') + base_path.rstrip('/')
    if version == '2.0':
        scheme, _, rest = url.partition('://')
        host, _, path = rest.partition('/')
        servers = {'host': host, 'basePath': '/' + path, 'schemes': [scheme]}
    else:
        servers = {'servers': [{'url': url, 'description': 'The gateway (your key is checked here)'}]}
    head = json.dumps(servers, ensure_ascii=False)[:-1]
    return head + (',' + prepared[1:] if len(prepared) > 2 else '}')
