"""GET /healthz: is this instance up and can it reach its database."""
from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from nicegui import run

from db.connection import reachable

router = APIRouter()


@router.get('/healthz')
async def healthz() -> JSONResponse:
    ok = await run.io_bound(reachable)
    return JSONResponse({'status': 'ok' if ok else 'degraded', 'database': 'reachable' if ok else 'unreachable'},
                        status_code=200 if ok else 503)
