"""The API of CFA software (`/api/v1/…`): a report (or a list) sent as JSON with the rupture form's field names,
and the status of a report it sent. Authenticated by a CFA's bearer token (`cfa token add`), scoped to its UAI;
the same validation as the form (422, one French message per field); `Idempotency-Key` honoured; rate limited
per token; audited. The answers never carry anything the CTL keeps for itself.
"""

from __future__ import annotations

import hashlib
import json
from functools import partial
from typing import Any

from sqlite_utils import Database
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from forms_backend.cfa import openapi, rows
from forms_backend.cfa.reading import MAX_ROWS
from forms_backend.clock import timestamp, today_in
from forms_backend.db import cfa as cfa_db
from forms_backend.db import situations
from forms_backend.services import services
from forms_backend.vocabulary import CFA_STATUT_LABELS, AuditAction, AuditResult
from forms_backend.web.audit import log as log_audit
from forms_backend.web.pages import render
from forms_backend.web.security import RateLimiter

NO_TOKEN = "Jeton d'API absent : envoyez l'en-tête « Authorization: Bearer VOTRE_JETON »."
BAD_TOKEN = "Jeton d'API inconnu : vérifiez-le, ou demandez-en un nouveau à votre coordinateur."
REVOKED = "Ce jeton d'API a été révoqué : demandez-en un nouveau à votre coordinateur."
BAD_JSON = "Corps de la requête illisible : attendu un objet JSON encodé en UTF-8 ({detail})."
BAD_SHAPE = "Attendu un objet JSON (un signalement) ou une liste d'objets (de 1 à {max} signalements)."
KEY_REUSED = "Cette clé Idempotency-Key a déjà servi pour un autre contenu : choisissez une nouvelle clé."
BAD_KEY = "En-tête Idempotency-Key invalide : de 1 à 200 caractères visibles."
NOT_FOUND = "Aucun signalement de votre CFA sous cette référence."
TOO_MANY = "Trop de requêtes avec ce jeton : réessayez dans {seconds} secondes."
NO_STORE = {"cache-control": "no-store"}


def _error(status: int, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"erreur": message}, status_code=status, headers={**NO_STORE, **headers})


def digest(token: str) -> str:
    """What `cfa_jetons` stores of a token: its SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


async def _token(request: Request) -> cfa_db.Token | JSONResponse:
    """The request's valid token, or the 401 answer."""
    svc = services(request)
    scheme, _, raw = request.headers.get("authorization", "").partition(" ")
    challenge = {"www-authenticate": 'Bearer realm="partaj"'}
    if scheme.lower() != "bearer" or not raw.strip():
        return _error(401, NO_TOKEN, **challenge)
    token = await svc.store.read(partial(cfa_db.find_token, digest=digest(raw.strip())))
    if token is None:
        return _error(401, BAD_TOKEN, **challenge)
    if token.revoque_at is not None:
        await log_audit(
            request, AuditAction.CFA_API_ENVOI, token.uai, AuditResult.REFUSE, {"jeton": token.id}
        )
        return _error(401, REVOKED, **challenge)
    limiter: RateLimiter = request.app.state.cfa_api_limiter
    if retry := limiter.retry_after(str(token.id)):
        return _error(429, TOO_MANY.format(seconds=retry), **{"retry-after": str(retry)})
    limiter.record(str(token.id))
    return token


def _store_job(
    db: Database,
    reports: list[situations.NewReport],
    sender: cfa_db.Sender,
    replay: tuple[str, str] | None,
    single: bool,
) -> tuple[int, Any]:
    """Writer job: store the reports, keep the answer of an `Idempotency-Key` in the same transaction."""
    receipts = cfa_db.store_reports(
        db, reports, sender, AuditAction.CFA_API_ENVOI, {"jeton": sender.jeton_id}
    )
    answers = [{"reference": r.reference} for r in receipts]
    body: Any = answers[0] if single else answers
    status = 201 if any(not r.replayed for r in receipts) else 200
    if replay is not None and sender.jeton_id is not None:
        cfa_db.keep_replay(
            db, sender.jeton_id, replay[0], replay[1], {"status": status, "body": body}, reports[0].now
        )
    return status, body


async def post_reports(request: Request) -> Response:
    """POST /api/v1/ruptures: one report (object) or several (list); 201 with the reference of each."""
    svc = services(request)
    token = await _token(request)
    if isinstance(token, JSONResponse):
        return token
    raw = await request.body()
    key = request.headers.get("idempotency-key")
    replay = None
    if key is not None:
        if not 1 <= len(key) <= 200 or not key.isprintable():
            return _error(400, BAD_KEY)
        replay = (key, hashlib.sha256(raw).hexdigest())
        kept = await svc.store.read(partial(cfa_db.find_replay, token_id=token.id, key=key))
        if kept is not None:
            if kept[0] != replay[1]:
                return _error(422, KEY_REUSED)
            return JSONResponse(
                kept[1]["body"], status_code=kept[1]["status"], headers={"idempotent-replayed": "true"}
            )
    try:
        payload = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _error(400, BAD_JSON.format(detail=str(exc)))
    single = isinstance(payload, dict)
    items = [payload] if single else payload
    if (
        not isinstance(items, list)
        or not 1 <= len(items) <= MAX_ROWS
        or not all(isinstance(i, dict) for i in items)
    ):
        return _error(422, BAD_SHAPE.format(max=MAX_ROWS))
    form = svc.forms["rupture"]
    today = today_in(svc.settings.tz)
    errors: list[dict[str, str]] = []
    cleaned: list[dict[str, Any]] = []
    for item in items:
        submitted, shape_errors = rows.submitted_of(form, item)
        result = rows.check_report(form, submitted, today, [token.uai])
        found = {**result.errors, **shape_errors}
        errors.append(found)
        if result.cleaned is not None and not found:
            cleaned.append(result.cleaned)
    if any(errors):
        details = {"jeton": token.id, "erreurs": sum(len(e) for e in errors)}
        await log_audit(request, AuditAction.CFA_API_ENVOI, token.uai, AuditResult.REFUSE, details)
        body: Any = (
            {"erreurs": errors[0]}
            if single
            else {"erreurs": [{"index": i, "champs": e} for i, e in enumerate(errors) if e]}
        )
        return JSONResponse(body, status_code=422, headers=NO_STORE)
    now = svc.clock()
    year = now.astimezone(svc.settings.tz).year
    reports = [
        situations.NewReport("rupture", data, rows.report_key(data["cfa_uai"], data), now, year)
        for data in cleaned
    ]
    sender = cfa_db.Sender("api", None, None, token.id)
    status, answer = await svc.store.write(
        partial(_store_job, reports=reports, sender=sender, replay=replay, single=single)
    )
    await svc.store.write(partial(cfa_db.touch_token, token_id=token.id, now=now))
    return JSONResponse(answer, status_code=status, headers=NO_STORE)


async def report_status(request: Request) -> Response:
    """GET /api/v1/ruptures/{reference}: the reference, the status in plain words, the date of its last change."""
    svc = services(request)
    token = await _token(request)
    if isinstance(token, JSONResponse):
        return token
    reference = request.path_params["reference"]
    found = await svc.store.read(partial(cfa_db.report_status, reference=reference, uais=[token.uai]))
    result = AuditResult.SUCCES if found else AuditResult.REFUSE
    await log_audit(request, AuditAction.CFA_API_STATUT, reference[:40], result, {"jeton": token.id})
    if found is None:
        return _error(404, NOT_FOUND)
    statut, changed = found
    body = {"reference": reference, "statut": CFA_STATUT_LABELS[statut], "mis_a_jour": timestamp(changed)}
    return JSONResponse(body, headers=NO_STORE)


async def openapi_json(request: Request) -> Response:
    """GET /api/v1/openapi.json: the API's description, from the rupture form's own fields."""
    svc = services(request)
    return JSONResponse(openapi.describe(svc.forms["rupture"], svc.settings.base_url))


async def examples(request: Request) -> Response:
    """GET /api/v1/: a short page of examples with curl."""
    svc = services(request)
    context = {
        "base_url": svc.settings.base_url.rstrip("/"),
        "example": openapi.example_json(svc.forms["rupture"]),
    }
    return render(request, "cfa/api.html", context)
