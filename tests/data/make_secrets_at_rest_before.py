"""Writes tests/data/secrets_at_rest_before.json with the modules of commit d0c06b5: run it with the project venv from
a worktree of that commit (git worktree add /tmp/head d0c06b5; cd /tmp/head; python <path of this file in main>).
The secret key is fixed; Fernet tokens carry their time, so each run writes other bytes that open the same way."""
import json, os, sys
os.environ['PORTICO_SECRET_KEY'] = 'portico-fixture-secret-key-for-tests-d0c06b5-' + 'k' * 16
os.environ.setdefault('PORTICO_DATA_DIR', '/tmp/fixture-data')
sys.path.insert(0, os.getcwd())
import config
config.use(config.load())
from workflows import credentials, invite_codes, webhooks, tokens, api_tokens, sessions
from mail import outbox
from gateway import keys
raw_key, key = credentials._new_key()
raw_code, code = invite_codes._new_code()
secret = 'whsec_fixture_' + 'A' * 20
sealed_secret = webhooks._fernet().encrypt(secret.encode()).decode()
link = {'link': 'https://portal.test/reset?token=fixture-token-123'}
raw = 'pt_fixture-token-ÿ-ü'
out = {
    'commit': 'd0c06b537b484ca47876b8c7d3b0efd679227d74',
    'secret_key': os.environ['PORTICO_SECRET_KEY'],
    'api_key': dict(raw=raw_key, **key),
    'invite_code': dict(raw=raw_code, **code),
    'webhook_secret': {'raw': secret, 'secret_encrypted': sealed_secret},
    'outbox': {'raw': link, 'secret_context': outbox.seal(link)},
    'digests': {'raw': raw, 'link_token': tokens.digest(raw), 'api_token': api_tokens.digest(raw),
                'session': sessions._digest(raw), 'invite_code': invite_codes.digest(raw), 'api_key': keys.digest(raw)},
}
print(json.dumps(out, indent=2, ensure_ascii=False))
