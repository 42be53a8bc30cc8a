"""How the portal writes its log: plain lines, or with PORTICO_LOG_FORMAT=json one JSON object a line (time,
level, logger, message, and the traceback of an error), for log collectors (Loki, CloudWatch, journald's JSON)."""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

TEXT = '%(asctime)s %(levelname)s %(name)s: %(message)s'


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {'time': datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec='milliseconds')
                 .replace('+00:00', 'Z'),
                 'level': record.levelname.lower(), 'logger': record.name, 'message': record.getMessage()}
        if record.exc_info:
            entry['error'] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup(log_format: str) -> None:
    """The root logger's handler, and the web server's own loggers through it (no second format beside it)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == 'json' else logging.Formatter(TEXT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    for name in ('uvicorn', 'uvicorn.error', 'uvicorn.access'):
        server = logging.getLogger(name)
        server.handlers[:] = []
        server.propagate = True


def uvicorn_config(log_format: str) -> dict:
    """uvicorn's log configuration that leaves its loggers to the root handler set up above."""
    return {'version': 1, 'disable_existing_loggers': False,
            'loggers': {name: {'handlers': [], 'propagate': True, 'level': 'INFO'}
                        for name in ('uvicorn', 'uvicorn.error', 'uvicorn.access')}}
