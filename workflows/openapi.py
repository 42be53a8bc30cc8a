"""OpenAPI documents: parse (JSON or YAML), validate with a clear message, and list the operations."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import yaml

from workflows import DomainError

MAX_SIZE = 2_000_000
METHODS = ('get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace')


class InvalidDocument(DomainError):
    def __init__(self, message: str) -> None:
        super().__init__(f'The OpenAPI document is not valid: {message}', 'openapi')


def parse(text: str) -> dict | None:
    """The validated document, or None for an empty text; raises InvalidDocument."""
    text = (text or '').strip()
    if not text:
        return None
    if len(text) > MAX_SIZE:
        raise InvalidDocument(f'it is larger than {MAX_SIZE // 1_000_000} MB.')
    if text.startswith('{'):
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise InvalidDocument(f'JSON error at line {error.lineno}, column {error.colno}: {error.msg}.') from None
    else:
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError as error:
            mark = getattr(error, 'problem_mark', None)
            where = f' at line {mark.line + 1}, column {mark.column + 1}' if mark else ''
            problem = getattr(error, 'problem', None) or 'unreadable YAML'
            raise InvalidDocument(f'YAML error{where}: {problem}.') from None
    _validate(document)
    return json.loads(json.dumps(document, default=str))  # plain JSON types only (YAML dates become text)


def _validate(document) -> None:
    if not isinstance(document, dict):
        raise InvalidDocument('the top level must be an object with "openapi", "info" and "paths".')
    version = document.get('openapi') or document.get('swagger')
    if not isinstance(version, str) or not version.split('.')[0] in {'2', '3'}:
        raise InvalidDocument('it needs an "openapi" version (3.x) or a "swagger" version (2.0).')
    info = document.get('info')
    if not isinstance(info, dict) or not isinstance(info.get('title'), str) or not info['title'].strip():
        raise InvalidDocument('"info" needs a "title".')
    paths = document.get('paths')
    if not isinstance(paths, dict):
        raise InvalidDocument('"paths" must be an object of paths, like {"/items": {"get": {...}}}.')
    for path, item in paths.items():
        if not isinstance(path, str) or not path.startswith('/'):
            raise InvalidDocument(f'the path {path!r} must start with "/".')
        if not isinstance(item, dict):
            raise InvalidDocument(f'the path {path} must be an object of operations.')
        for method, operation in item.items():
            if method in METHODS and not isinstance(operation, dict):
                raise InvalidDocument(f'{method.upper()} {path} must be an object.')


@dataclass
class Parameter:
    name: str
    location: str
    required: bool
    description: str
    schema: str


@dataclass
class Operation:
    method: str
    path: str
    summary: str
    description: str
    parameters: list[Parameter] = field(default_factory=list)
    request_body: str = ''
    responses: list[tuple[str, str, str]] = field(default_factory=list)  # (status, description, schema)


def operations(document: dict | None) -> list[Operation]:
    """The endpoints of a document, in order, with parameters and schemas as readable text."""
    if not document:
        return []
    result = []
    for path, item in (document.get('paths') or {}).items():
        shared = item.get('parameters') or []
        for method in METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            parameters = [_parameter(document, p) for p in [*shared, *(operation.get('parameters') or [])]]
            body = operation.get('requestBody') or {}
            body = _resolve(document, body)
            result.append(Operation(
                method=method.upper(), path=path, summary=str(operation.get('summary') or ''),
                description=str(operation.get('description') or ''),
                parameters=[p for p in parameters if p is not None],
                request_body=_schema_text(document, _first_schema(body)) if body else '',
                responses=[(str(status), str(_resolve(document, response).get('description') or ''),
                            _schema_text(document, _first_schema(_resolve(document, response))))
                           for status, response in (operation.get('responses') or {}).items()
                           if isinstance(_resolve(document, response), dict)],
            ))
    return result


def _parameter(document: dict, parameter) -> Parameter | None:
    parameter = _resolve(document, parameter)
    if not isinstance(parameter, dict) or 'name' not in parameter:
        return None
    schema = parameter.get('schema') or {k: parameter[k] for k in ('type', 'format') if k in parameter}
    return Parameter(str(parameter['name']), str(parameter.get('in', '')), bool(parameter.get('required')),
                     str(parameter.get('description') or ''), _schema_text(document, schema, compact=True))


def _first_schema(container: dict) -> dict | None:
    content = container.get('content') if isinstance(container, dict) else None
    if isinstance(content, dict):
        for media in content.values():
            if isinstance(media, dict) and media.get('schema'):
                return media['schema']
    return container.get('schema') if isinstance(container, dict) else None


def _resolve(document: dict, node, depth: int = 0):
    """Follow a local $ref (#/components/...); unknown or remote references stay as they are."""
    while isinstance(node, dict) and isinstance(node.get('$ref'), str) and depth < 20:
        ref = node['$ref']
        if not ref.startswith('#/'):
            return node
        target = document
        for part in ref[2:].split('/'):
            target = target.get(part.replace('~1', '/').replace('~0', '~')) if isinstance(target, dict) else None
        if target is None:
            return node
        node, depth = target, depth + 1
    return node


def _schema_text(document: dict, schema, compact: bool = False) -> str:
    if not schema:
        return ''
    expanded = _expand(document, schema, 0)
    if compact and isinstance(expanded, dict) and set(expanded) <= {'type', 'format', 'enum', 'default'}:
        return ' '.join(str(expanded[k]) for k in ('type', 'format') if k in expanded)
    return json.dumps(expanded, indent=2, ensure_ascii=False)[:20000]


def _expand(document: dict, node, depth: int):
    if depth > 6:
        return '…'
    node = _resolve(document, node)
    if isinstance(node, dict):
        return {key: _expand(document, value, depth + 1) for key, value in node.items()
                if key not in {'example', 'examples', 'xml'}}
    if isinstance(node, list):
        return [_expand(document, value, depth + 1) for value in node]
    return node
