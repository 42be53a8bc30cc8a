"""OpenAPI documents: read (JSON or YAML) within bounds, validate with openapi-spec-validator, and prepare
the reference once, when the document is saved.

A document may come from an organisation's super admin, so reading it is bounded: size (MAX_SIZE), YAML
aliases and what they expand to (a 408-byte "billion laughs" would otherwise take gigabytes), nesting depth,
and, for documents over IN_PROCESS_LIMIT, time and memory, by reading them in a child process that is
killed past MAX_SECONDS or MAX_MEMORY. The validator never fetches a remote or local file for an external
`$ref` (that would let a document read the server's files or call internal hosts).

The result (`Reference`) keeps the document in its own order and the prepared JSON the reference page
serves as it is: `servers` (or 2.0's `host`, `basePath`, `schemes`) are taken out and put back at serve
time with the gateway address, and a `PorticoKey` security scheme says how to send the key.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from domain.errors import DomainError
from domain.i18n import Lazy, LazyNumber, lazy, lazy_number
from workflows.openapi_prepare import (KEY_HEADER, KEY_SCHEME, MAX_DEPTH, METHODS,  # noqa: F401 - read as openapi.*
                                       count_operations, prepare, with_servers)  # by the reference and the tests

# openapi-spec-validator switches to jsonschema-rs when that package is installed (schemathesis brings it),
# with other messages and positions: the portal says the same whatever else is installed
os.environ.setdefault('OPENAPI_SPEC_VALIDATOR_SCHEMA_VALIDATOR_BACKEND', 'jsonschema')

MAX_SIZE = 10 * 1024 * 1024  # 10 MiB, for paste and upload alike (README)
MAX_ALIASES = 1_000  # YAML alias uses (*name)
MAX_NODES = 3_000_000  # values after expanding aliases
ALIAS_EXPANSION = 10  # aliases may at most grow a document tenfold
MAX_SECONDS = 180  # reading and validating in the child process (a 10 MB document takes about a minute)
MAX_MEMORY = 2 * 1024 ** 3
IN_PROCESS_LIMIT = 200_000  # smaller documents are read in this process (still bounded by the above)
SIZE_LABEL = '10 MB'


class InvalidDocument(DomainError):
    def __init__(self, message: str, **params) -> None:
        self.problem = lazy(message, **params)
        super().__init__(lazy('The OpenAPI document is not valid: {problem}', problem=self.problem), 'openapi')


@dataclass
class Reference:
    """A validated document, ready for the reference page."""
    document: dict  # as written, in its own order
    prepared: str  # JSON for the renderer, without servers (added at serve time)
    version: str  # '2.0', '3.0.3', '3.1.0', ...
    operations: int  # operations and webhooks
    title: str


def read(text: str | None) -> Reference | None:
    """The validated document and its prepared reference, or None for an empty text; raises InvalidDocument.
    Slow for big documents (seconds): call it off the event loop."""
    text = (text or '').strip()
    if not text:
        return None
    size = len(text.encode('utf-8', 'surrogatepass'))
    if size > MAX_SIZE:
        raise InvalidDocument('it is {size} MB; the limit is {limit}.', size=lazy_number(size / 1e6, '0.0'), limit=SIZE_LABEL)
    if size <= IN_PROCESS_LIMIT:
        return _read(text)
    return _read_in_child(text)


def parse(text: str | None) -> dict | None:
    """The validated document as a dict (kept for callers that only need the document)."""
    reference = read(text)
    return reference.document if reference else None


def index_operations(api_id: int, document: dict | None) -> int:
    """The search index's rows of an API's operations (issue 25, item 5), replaced by those of `document` (none
    without one). Called where the prepared reference is stored, in its transaction; returns how many."""
    from db.models import ApiOperation  # here: the child process that reads big documents needs no database
    from db.search import operation_rows
    ApiOperation.delete().where(ApiOperation.api == api_id).execute()
    rows = operation_rows(api_id, document)
    for start in range(0, len(rows), 500):
        ApiOperation.insert_many(rows[start:start + 500]).execute()
    return len(rows)


# --- reading within bounds --------------------------------------------------------------------------

class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader with limits on nesting and on alias uses, checked while composing."""

    def __init__(self, stream) -> None:
        super().__init__(stream)
        self.depth = 0
        self.aliases = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise InvalidDocument('it uses more than {limit} YAML aliases (*name).', limit=lazy_number(MAX_ALIASES))
        self.depth += 1
        if self.depth > MAX_DEPTH:
            mark = self.peek_event().start_mark
            raise InvalidDocument('it is nested more than {limit} levels deep (line {line}).', limit=MAX_DEPTH,
                                      line=mark.line + 1)
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _expanded_size(root: yaml.Node) -> tuple[int, int]:
    """(nodes, composed nodes): how many values the document has once every alias is expanded, without
    expanding it; a node reached again while it is being counted is a recursive alias."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            children = _children(node)
            sizes[key] = min(MAX_NODES + 1, 1 + sum(sizes[id(child)] for child in children))
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise InvalidDocument('a YAML alias refers to the node that contains it (a recursive alias).')
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)
    return sizes[id(root)], len(sizes)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _load_yaml(text: str):
    try:
        loader = _BoundedLoader(text)
    except yaml.YAMLError as error:  # a character YAML does not allow (a control character) is found at once
        raise InvalidDocument('YAML error: {problem}.', problem=str(error)) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        expanded, distinct = _expanded_size(node)
        if loader.aliases and (expanded > MAX_NODES or expanded > max(50_000, ALIAS_EXPANSION * distinct)):
            raise InvalidDocument('its YAML aliases (*name) expand {distinct} values into more than '
                                  '{expanded}; a document that multiplies itself like this '
                                  '(an alias bomb) is refused.', distinct=lazy_number(distinct),
                                  expanded=lazy_number(min(expanded, MAX_NODES)))
        if expanded > MAX_NODES:
            raise InvalidDocument('it has more than {limit} values.', limit=lazy_number(MAX_NODES))
        return loader.construct_document(node), node
    except yaml.YAMLError as error:
        mark = getattr(error, 'problem_mark', None)
        problem = getattr(error, 'problem', None) or lazy('unreadable YAML')
        if mark:
            raise InvalidDocument('YAML error at line {line}, column {column}: {problem}.', line=mark.line + 1,
                                  column=mark.column + 1, problem=problem) from None
        raise InvalidDocument('YAML error: {problem}.', problem=problem) from None
    except RecursionError:
        raise InvalidDocument('it is nested more than {limit} levels deep.', limit=MAX_DEPTH) from None
    finally:
        loader.dispose()


def _check_json_shape(document) -> None:
    """Depth and size of a JSON document, walked without recursion."""
    stack = [(document, 1)]
    count = 0
    while stack:
        value, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH:
            raise InvalidDocument('it is nested more than {limit} levels deep.', limit=MAX_DEPTH)
        if count > MAX_NODES:
            raise InvalidDocument('it has more than {limit} values.', limit=lazy_number(MAX_NODES))
        if isinstance(value, dict):
            stack.extend((child, depth + 1) for child in value.values())
        elif isinstance(value, list):
            stack.extend((child, depth + 1) for child in value)


def _read(text: str) -> Reference:
    node = None
    if text.startswith('{'):
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise InvalidDocument('JSON error at line {line}, column {column}: {problem}.', line=error.lineno,
                                  column=error.colno, problem=error.msg) from None
        except RecursionError:
            raise InvalidDocument('it is nested more than {limit} levels deep.', limit=MAX_DEPTH) from None
        _check_json_shape(document)
    else:
        document, node = _load_yaml(text)
    try:
        # plain JSON types only: YAML dates become text, integer keys (response codes) strings
        document = json.loads(json.dumps(document, default=str, ensure_ascii=False))
    except (ValueError, RecursionError):
        raise InvalidDocument('it cannot be written as JSON (a recursive structure).') from None
    version = _check_top(document)
    _validate(document, text, node)
    return Reference(document=document, prepared=prepare(document), version=version,
                     operations=count_operations(document), title=str(document['info'].get('title') or ''))


def _check_top(document) -> str:
    if not isinstance(document, dict):
        raise InvalidDocument('the top level must be an object with "openapi" (or "swagger"), "info" and "paths".')
    if 'swagger' in document:
        if str(document['swagger']) != '2.0':
            raise InvalidDocument('"swagger" must be "2.0"; for OpenAPI 3 write "openapi: 3.1.0".')
        return '2.0'
    version = document.get('openapi')
    if not isinstance(version, str) or version.split('.')[0] != '3':
        raise InvalidDocument('it needs an "openapi" version (3.0, 3.1) or a "swagger" version (2.0).')
    if not isinstance(document.get('info'), dict):
        raise InvalidDocument('"info" with a "title" and a "version" is required.')
    return version


def _validators():
    """openapi-spec-validator's validators with no handler for external references (no file or network)."""
    from openapi_spec_validator import (OpenAPIV2SpecValidator, OpenAPIV30SpecValidator, OpenAPIV31SpecValidator,
                                        OpenAPIV32SpecValidator)
    offline = {}
    for name, base in (('2.0', OpenAPIV2SpecValidator), ('3.0', OpenAPIV30SpecValidator),
                       ('3.1', OpenAPIV31SpecValidator), ('3.2', OpenAPIV32SpecValidator)):
        offline[name] = type(f'Offline{base.__name__}', (base,), {'resolver_handlers': {}})
    return offline


def _validate(document: dict, text: str, node: yaml.Node | None) -> None:
    version = '2.0' if 'swagger' in document else '.'.join(document['openapi'].split('.')[:2])
    validator = _validators().get(version)
    if validator is None:
        raise InvalidDocument('OpenAPI {version} is not supported (2.0, 3.0, 3.1 and 3.2 are).',
                              version=document['openapi'])
    errors = []
    try:
        for error in validator(document).iter_errors():
            errors.append(error)
            if len(errors) >= 20:
                break
    except RecursionError:
        raise InvalidDocument('its references ($ref) nest too deeply to be checked.') from None
    except Exception as error:  # an unresolvable $ref surfaces as the resolver's own exception
        raise InvalidDocument('a reference cannot be resolved ({problem}); only references inside the '
                              'document (#/...) are supported: bundle external files into it.',
                              problem=_short(error)) from None
    if not errors:
        return
    first = errors[0]
    path = list(getattr(first, 'absolute_path', None) or getattr(first, 'path', None) or [])
    where = ' › '.join(str(part) for part in path)
    line = _line_of(path, text, node)
    where = where or lazy('the top level')
    located = (lazy('{problem} at {where} (line {line})', problem=_short(first), where=where, line=line) if line
               else lazy('{problem} at {where}', problem=_short(first), where=where))
    if len(errors) > 1:
        raise InvalidDocument('{problem} ({count} problems in all).', problem=located,
                              count=f'{len(errors)}{"+" if len(errors) >= 20 else ""}')
    raise InvalidDocument('{problem}.', problem=located)


def _short(error: Exception) -> str:
    message = str(getattr(error, 'message', None) or error).strip().splitlines()[0]
    return message if len(message) <= 300 else message[:300] + '…'


def _line_of(path: list, text: str, node: yaml.Node | None) -> int | None:
    """The line of a JSON path in the text, found in the YAML node tree (JSON is read as YAML for this
    when it is small enough)."""
    if node is None and len(text) <= IN_PROCESS_LIMIT:
        try:
            node = yaml.compose(text, Loader=_BoundedLoader)
        except (yaml.YAMLError, DomainError, RecursionError):
            return None
    line = node.start_mark.line + 1 if node is not None else None
    for part in path:
        if isinstance(node, yaml.MappingNode):
            node = next((value for key, value in node.value if str(key.value) == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            node = None
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


# --- the child process: time and memory bounds for big documents -------------------------------------

def _read_in_child(text: str) -> Reference:
    started = time.monotonic()
    try:
        done = subprocess.run([sys.executable, '-m', 'workflows.openapi'], input=text.encode('utf-8', 'surrogatepass'),
                              capture_output=True, timeout=MAX_SECONDS, cwd=Path(__file__).resolve().parent.parent,
                              env={**os.environ, 'PYTHONHASHSEED': '0'})
    except subprocess.TimeoutExpired:
        raise InvalidDocument('reading it took longer than {limit} seconds.', limit=MAX_SECONDS) from None
    if done.returncode != 0 or not done.stdout:
        if b'MemoryError' in done.stderr:
            raise InvalidDocument('reading it needed more than {limit} GB of memory.', limit=MAX_MEMORY // 1024 ** 3)
        raise InvalidDocument('it could not be read (the reader stopped after {seconds} s).',
                              seconds=lazy_number(time.monotonic() - started, '0'))
    answer = json.loads(done.stdout)
    if 'error' in answer:
        message, params = answer['error']  # the child's problem, rebuilt to be shown in the reader's language
        raise InvalidDocument(message, **{name: _from_child(value) for name, value in params.items()})
    return Reference(**answer)


def _child_main() -> None:
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (MAX_MEMORY, MAX_MEMORY))
    text = sys.stdin.buffer.read().decode('utf-8', 'surrogatepass')
    answer: dict = {}

    def work() -> None:
        try:
            answer.update(_read(text).__dict__)
        except InvalidDocument as error:
            answer['error'] = _to_parent(error.problem)
        except DomainError as error:
            answer['error'] = _to_parent(lazy('{problem}', problem=error.english()))

    # the validator follows references depth first: in a big document with linked schemas that goes deep,
    # so the child reads in a thread with a large stack and recursion limit (memory stays capped above)
    threading.stack_size(512 * 1024 * 1024)
    sys.setrecursionlimit(200_000)
    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    sys.stdout.write(json.dumps(answer or {'error': _to_parent(lazy('it could not be read.'))}))


def _to_parent(message: Lazy) -> list:
    """A lazy message as JSON: [text, {placeholder: value}], a nested message as {'lazy': [...]}."""
    def value_of(value):
        if isinstance(value, Lazy):
            return {'lazy': _to_parent(value)}
        if isinstance(value, LazyNumber):
            return {'number': [value.value, value.pattern]}
        return value if isinstance(value, (int, float)) else str(value)
    return [message.message, {name: value_of(value) for name, value in message.params.items()}]


def _from_child(value):
    if isinstance(value, dict) and 'lazy' in value:
        text, params = value['lazy']
        return lazy(text, **{name: _from_child(part) for name, part in params.items()})
    if isinstance(value, dict) and 'number' in value:
        return lazy_number(*value['number'])
    return value


if __name__ == '__main__':
    _child_main()
