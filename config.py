"""Every setting of Portico, read from PORTICO_* environment variables (and a `.env` file).

The defaults run locally with nothing else installed: SQLite in `./data`, console mail, port 8080.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from dotenv import load_dotenv


class ConfigError(Exception):
    """A setting that cannot work; the message is one line meant for the console."""


@dataclass(frozen=True)
class Config:
    host: str
    port: int
    data_dir: Path
    database_url: str
    base_url: str
    secret_key: str
    smtp_url: str
    mail_from: str
    admin_email: str
    redis_url: str
    gateway_url: str
    gateway_secret: str
    key_cache_seconds: float
    key_changes_poll_seconds: float
    instance_name: str
    mail_poll_seconds: float
    mail_claim_seconds: float
    pool_size: int
    auto_migrate: bool
    gateway_path_header: str = 'x-forwarded-uri'
    limits_sync_seconds: float = 0.2
    outbox_retention_days: int = 30
    gateway_port: int = 0  # PORTICO_GATEWAY_PORT: a gateway-only child process serves the gateway paths there
    metrics_token: str = ''  # PORTICO_METRICS_TOKEN: Prometheus's bearer token for /metrics (the gateway secret works too)
    log_format: str = 'text'  # PORTICO_LOG_FORMAT: 'text', or 'json' (one JSON object a line, for log collectors)
    ready_mail_age_seconds: int = 900  # /readyz fails when an email has waited longer than this to go out

    @property
    def mail_transport(self) -> str:
        return 'smtp' if self.smtp_url else 'console'


def default_pool_size() -> int:
    """Every thread that reads the database holds one connection: the event loop's, the key loader's, the
    worker threads of NiceGUI's run.io_bound and of asyncio.to_thread (each min(32, CPUs + 4), Python's
    default), and a few to spare. A smaller pool makes a burst of work wait for a connection and fail."""
    workers = min(32, (os.cpu_count() or 1) + 4)
    return 2 * workers + 4


def load(env: dict[str, str] | None = None) -> Config:
    """Read the configuration; `env` replaces os.environ (tests), otherwise `.env` is honoured."""
    if env is None:
        load_dotenv(Path.cwd() / '.env', override=False)
        env = dict(os.environ)

    def get(name: str, default: str = '') -> str:
        return env.get(f'PORTICO_{name}', default).strip()

    data_dir = Path(get('DATA_DIR', 'data')).expanduser().resolve()
    port_text = get('PORT', '8080')
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ConfigError(f'PORTICO_PORT must be a port number, not {port_text!r}')
    port = int(port_text)
    database_url = get('DATABASE_URL') or f'sqlite:///{data_dir / "portico.db"}'
    check_database_url(database_url)
    smtp_url = get('SMTP_URL')
    if smtp_url:
        check_smtp_url(smtp_url)
    base_url = (get('BASE_URL') or f'http://localhost:{port}').rstrip('/')
    if urlparse(base_url).scheme not in {'http', 'https'}:
        raise ConfigError(f'PORTICO_BASE_URL must start with http:// or https://, not {base_url!r}')
    return Config(
        host=get('HOST', '0.0.0.0'),
        port=port,
        data_dir=data_dir,
        database_url=database_url,
        base_url=base_url,
        secret_key=get('SECRET_KEY') or _secret_key_file(get('SECRET_KEY_FILE')) or _secret_key_from(data_dir),
        smtp_url=smtp_url,
        mail_from=get('MAIL_FROM', 'portico@localhost'),
        admin_email=get('ADMIN_EMAIL'),
        redis_url=env.get('NICEGUI_REDIS_URL', '').strip(),
        gateway_url=(get('GATEWAY_URL') or base_url).rstrip('/'),
        gateway_secret=get('GATEWAY_SECRET'),
        key_cache_seconds=float(get('KEY_CACHE_SECONDS', '60') or 60),
        key_changes_poll_seconds=float(get('KEY_CHANGES_POLL_SECONDS', '1') or 1),
        instance_name=get('INSTANCE_NAME') or f'{os.uname().nodename}:{port}:{os.getpid()}',
        mail_poll_seconds=float(get('MAIL_POLL_SECONDS', '2') or 2),
        mail_claim_seconds=float(get('MAIL_CLAIM_SECONDS', '300') or 300),
        pool_size=int(get('DB_POOL_SIZE', '') or default_pool_size()),
        auto_migrate=get('AUTO_MIGRATE', '1').lower() not in {'0', 'false', 'no', 'off'},
        gateway_path_header=_gateway_path_header(get('GATEWAY_PATH_HEADER', 'x-forwarded-uri')),
        limits_sync_seconds=float(get('LIMITS_SYNC_SECONDS', '0.2') or 0.2),
        outbox_retention_days=_days(get('OUTBOX_RETENTION_DAYS', '30') or '30'),
        gateway_port=_gateway_port(get('GATEWAY_PORT'), port),
        metrics_token=get('METRICS_TOKEN'),
        log_format=_log_format(get('LOG_FORMAT', 'text')),
        ready_mail_age_seconds=_seconds('READY_MAIL_AGE_SECONDS', get('READY_MAIL_AGE_SECONDS', '900') or '900'),
    )


def _log_format(text: str) -> str:
    if text.lower() not in {'text', 'json'}:
        raise ConfigError(f'PORTICO_LOG_FORMAT is text or json, not {text!r}')
    return text.lower()


def _seconds(name: str, text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 86400 * 7:
        raise ConfigError(f'PORTICO_{name} must be a whole number of seconds from 1 to 604800, not {text!r}')
    return int(text)


def is_port(text: str) -> bool:
    """A TCP port number, 1 to 65535, in ASCII digits only (int() would also take '١٢' or ' 80')."""
    return text.isascii() and text.isdigit() and 0 < int(text) < 65536


def _gateway_port(text: str, port: int) -> int:
    """PORTICO_GATEWAY_PORT: empty (the portal answers the gateway paths itself) or a port other than PORTICO_PORT."""
    if not text:
        return 0
    if not is_port(text):
        raise ConfigError(f'PORTICO_GATEWAY_PORT must be a port number, not {text!r}')
    if int(text) == port:
        raise ConfigError(f'PORTICO_GATEWAY_PORT must differ from PORTICO_PORT ({port})')
    return int(text)


def _days(text: str) -> int:
    """How many days delivered emails are kept: a whole number from 1 to 3650."""
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 3650:
        raise ConfigError(f'PORTICO_OUTBOX_RETENTION_DAYS must be a whole number of days from 1 to 3650, not {text!r}')
    return int(text)


def _gateway_path_header(value: str) -> str:
    """Which header carries the original path: the one the gateway in front always sets itself."""
    if value.lower() not in {'x-forwarded-uri', 'x-original-uri'}:
        raise ConfigError(f'PORTICO_GATEWAY_PATH_HEADER must be X-Forwarded-Uri (Caddy, Traefik, the shipped '
                          f'nginx configuration) or X-Original-URI, not {value!r}')
    return value.lower()


def check_database_url(url: str) -> None:
    scheme = urlparse(url).scheme
    if scheme not in {'sqlite', 'postgres', 'postgresql', 'postgres+pool', 'postgresql+pool'}:
        raise ConfigError(f'PORTICO_DATABASE_URL must start with sqlite:/// or postgresql://, not {url.split(":")[0]!r}')
    parsed = urlparse(url)
    if scheme == 'sqlite' and not parsed.path[1:]:
        raise ConfigError('PORTICO_DATABASE_URL names no SQLite file (use sqlite:////absolute/path.db)')
    if scheme.startswith('postgres') and not parsed.path.strip('/'):
        raise ConfigError('PORTICO_DATABASE_URL names no PostgreSQL database (postgresql://user@host:5432/dbname)')


def check_smtp_url(url: str) -> None:
    parsed = urlparse(url)
    if parsed.scheme not in {'smtp', 'smtp+starttls', 'smtps'}:
        raise ConfigError(f'PORTICO_SMTP_URL must start with smtp://, smtp+starttls:// or smtps://, not {parsed.scheme!r}')
    try:
        parsed.port  # noqa: B018  (raises on a non-numeric port)
    except ValueError as error:
        raise ConfigError(f'PORTICO_SMTP_URL has a bad port: {error}') from None
    if not parsed.hostname:
        raise ConfigError('PORTICO_SMTP_URL names no host')


def _secret_key_file(name: str) -> str:
    """PORTICO_SECRET_KEY_FILE: the secret kept apart from the data folder (a mounted secret), so that a
    backup of the data folder alone decrypts nothing."""
    if not name:
        return ''
    path = Path(name).expanduser()
    try:
        key = path.read_text().strip()
    except OSError as error:
        raise ConfigError(f'PORTICO_SECRET_KEY_FILE cannot be read: {error.strerror} ({path})') from None
    if len(key) < 32:
        raise ConfigError(f'PORTICO_SECRET_KEY_FILE holds {len(key)} characters; use at least 32 random ones')
    return key


def _secret_key_from(data_dir: Path) -> str:
    """The generated secret, kept in the data folder so that sessions and encrypted keys survive restarts."""
    path = data_dir / 'secret_key'
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, 'w') as file:
        file.write(key)
    return key


_current: Config | None = None


def current() -> Config:
    """The configuration in force; main.py sets it at start."""
    global _current
    if _current is None:
        _current = load()
    return _current


def use(config: Config) -> None:
    global _current
    _current = config
