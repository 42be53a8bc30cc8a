"""Generated OpenAPI documents for the reference benchmark and tests (never committed as files).

`stripe_like()` has the shape that makes Stripe's document hard: about 1.6 MB of JSON, 330 operations,
form-encoded bodies, expandable fields whose `anyOf` points back at the object that holds them (cycles),
long descriptions. `many_operations(1000)` is a plain document with a thousand small operations.
"""
from __future__ import annotations

import json
import random

WORDS = ('account balance charge customer dispute event file invoice mandate payment payout plan price '
         'product quote refund review session source subscription tax token transfer usage webhook').split()
SENTENCE = ('The {a} this object belongs to; expand it to get the full {b} object instead of its identifier. '
            'Only returned when the {a} was created through the API with a {b} attached, otherwise null.')


def _description(rng: random.Random, sentences: int) -> str:
    return ' '.join(SENTENCE.format(a=rng.choice(WORDS), b=rng.choice(WORDS)) for _ in range(sentences))


def stripe_like(operations: int = 330, schemas: int = 104, seed: int = 7) -> dict:
    rng = random.Random(seed)
    names = [f'{WORDS[i % len(WORDS)]}_{i}' for i in range(schemas)]
    components = {}
    for index, name in enumerate(names):
        properties = {'id': {'type': 'string', 'description': 'Unique identifier for the object.', 'maxLength': 5000},
                      'object': {'type': 'string', 'enum': [name], 'description': 'The type of object.'},
                      'created': {'type': 'integer', 'format': 'unix-time', 'description': _description(rng, 1)},
                      'livemode': {'type': 'boolean'},
                      'metadata': {'type': 'object', 'additionalProperties': {'type': 'string', 'maxLength': 500},
                                   'nullable': True, 'description': _description(rng, 1)}}
        for field in range(8):
            target = names[(index + field * 7 + 1) % schemas]  # links across schemas, and back: cycles
            properties[f'{target}_ref_{field}'] = {
                'anyOf': [{'maxLength': 5000, 'type': 'string'}, {'$ref': f'#/components/schemas/{target}'}],
                'description': _description(rng, 2), 'nullable': True,
                'x-expansionResources': {'oneOf': [{'$ref': f'#/components/schemas/{target}'}]}}
        for field in range(5):
            properties[f'amount_{field}'] = {'type': 'integer', 'minimum': 0, 'description': _description(rng, 1)}
        components[name] = {'type': 'object', 'title': name.replace('_', ' ').title(), 'description': _description(rng, 3),
                            'properties': properties, 'required': ['id', 'object', 'created', 'livemode'],
                            'x-resourceId': name}
    components['error'] = {'type': 'object', 'properties': {'error': {'type': 'object', 'properties': {
        'message': {'type': 'string'}, 'type': {'type': 'string', 'enum': ['api_error', 'card_error']}}}}}
    paths: dict = {}
    made = 0
    while made < operations:
        name = names[made % schemas]
        resource = f'/v1/{name}s'
        item = f'{resource}/{{id}}'
        for path, method in ((resource, 'get'), (resource, 'post'), (item, 'get'), (item, 'post'), (item, 'delete')):
            if made >= operations:
                break
            if method in paths.get(path, {}):
                path = f'{path}/action_{made}'
            body = {'content': {'application/x-www-form-urlencoded': {'encoding': {'metadata': {'explode': True, 'style': 'deepObject'}},
                    'schema': {'type': 'object', 'additionalProperties': False, 'properties': {
                        'description': {'type': 'string', 'maxLength': 5000, 'description': _description(rng, 1)},
                        'expand': {'type': 'array', 'items': {'type': 'string', 'maxLength': 5000}},
                        'metadata': {'anyOf': [{'type': 'object', 'additionalProperties': {'type': 'string'}},
                                               {'type': 'string', 'enum': ['']}]}}}}}, 'required': False}
            operation = {
                'operationId': f'{method.title()}{name.title().replace("_", "")}{made}',
                'summary': f'{method.upper()} {name} {made}', 'description': _description(rng, 2),
                'tags': [WORDS[made % len(WORDS)]],
                'parameters': ([{'name': 'id', 'in': 'path', 'required': True, 'schema': {'type': 'string', 'maxLength': 5000}}]
                               if '{id}' in path else []) + [
                    {'name': 'expand', 'in': 'query', 'required': False, 'style': 'deepObject', 'explode': True,
                     'description': 'Specifies which fields in the response should be expanded.',
                     'schema': {'type': 'array', 'items': {'type': 'string', 'maxLength': 5000}}},
                    {'name': 'limit', 'in': 'query', 'required': False, 'schema': {'type': 'integer', 'default': 10, 'minimum': 1, 'maximum': 100}}],
                'responses': {
                    '200': {'description': 'Successful response.', 'content': {'application/json': {
                        'schema': {'$ref': f'#/components/schemas/{name}'}}}},
                    'default': {'description': 'Error response.', 'content': {'application/json': {
                        'schema': {'$ref': '#/components/schemas/error'}}}}}}
            if method == 'post':
                operation['requestBody'] = body
            paths.setdefault(path, {})[method] = operation
            made += 1
    return {'openapi': '3.0.0', 'info': {'title': 'Stripe-like API', 'version': '2024-06-20',
                                         'description': 'A generated document the size and shape of Stripe\'s.'},
            'servers': [{'url': 'https://api.example.com/'}],
            'security': [{'basicAuth': []}, {'bearerAuth': []}],
            'tags': [{'name': word, 'description': f'Everything about {word}s.'} for word in WORDS],
            'paths': paths,
            'components': {'schemas': components, 'securitySchemes': {
                'basicAuth': {'type': 'http', 'scheme': 'basic'}, 'bearerAuth': {'type': 'http', 'scheme': 'bearer'}}}}


def many_operations(count: int = 1000) -> dict:
    paths = {}
    for index in range(count):
        paths[f'/things{index // 4}/{{id}}/part{index % 4}'] = {'get': {
            'operationId': f'getThing{index}', 'summary': f'Get thing {index}', 'tags': [f'group{index // 50}'],
            'parameters': [{'name': 'id', 'in': 'path', 'required': True, 'schema': {'type': 'integer', 'minimum': 1}}],
            'responses': {'200': {'description': 'The thing.', 'content': {'application/json': {
                'schema': {'$ref': '#/components/schemas/Thing'}}}}}}}
    return {'openapi': '3.1.0', 'info': {'title': 'Thousand operations', 'version': '1'}, 'paths': paths,
            'components': {'schemas': {'Thing': {'type': 'object', 'properties': {
                'id': {'type': 'integer'}, 'parent': {'$ref': '#/components/schemas/Thing'}}}}}}


def as_text(document: dict) -> str:
    return json.dumps(document, indent=1)


if __name__ == '__main__':
    for label, document in (('stripe-like', stripe_like()), ('1000 operations', many_operations())):
        text = as_text(document)
        count = sum(len(item) for item in document['paths'].values())
        print(f'{label}: {len(text) / 1e6:.2f} MB, {count} operations')
