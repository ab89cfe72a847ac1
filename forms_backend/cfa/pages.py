"""The CFA's pages (`/cfa/`): « Mes signalements » (plain-words statuses), the template to download, the
upload of a file with its preview, the confirmation of its valid rows, the weekly digest's choice.

The preview keeps the valid rows in memory only (`Previews`, 30 minutes, for the account that uploaded them):
nothing of the file is written before the CFA confirms, and confirming stores every row in one transaction.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from forms_backend.accounts.auth import BACK_OFFICE_HEADERS, cfa_area
from forms_backend.cfa import reading, rows, template
from forms_backend.clock import today_in
from forms_backend.db import cfa as cfa_db
from forms_backend.db import situations
from forms_backend.services import Services, services
from forms_backend.vocabulary import CFA_STATUT_LABELS, AuditAction, AuditResult
from forms_backend.web.audit import log as log_audit
from forms_backend.web.pages import render

PREVIEW_SECONDS = 30 * 60
PREVIEW_GONE = (
    "Cet aperçu n'est plus disponible (plus de 30 minutes, ou déjà confirmé) : déposez le fichier à nouveau."
)
NOTHING_TO_STORE = "Aucune ligne valide à enregistrer : corrigez le fichier puis déposez-le à nouveau."


@dataclass
class Pending:
    """A preview waiting for its confirmation: whose, until when, the valid rows."""

    user_id: int
    expires: float
    valid: list[rows.ValidRow]
    filename: str


@dataclass
class Previews:
    """The previews waiting for a confirmation, in memory (one server process), by random id."""

    waiting: dict[str, Pending] = field(default_factory=dict)

    def keep(self, pending: Pending) -> str:
        now = time.monotonic()
        self.waiting = {k: v for k, v in self.waiting.items() if v.expires > now}
        preview_id = secrets.token_urlsafe(24)
        self.waiting[preview_id] = pending
        return preview_id

    def take(self, preview_id: str, user_id: int) -> Pending | None:
        pending = self.waiting.get(preview_id)
        if pending is None or pending.user_id != user_id or pending.expires <= time.monotonic():
            return None
        del self.waiting[preview_id]
        return pending


def _previews(request: Request) -> Previews:
    previews: Previews = request.app.state.cfa_previews
    return previews


def _home(request: Request, svc: Services, reports: list[cfa_db.CfaReport], **extra: Any) -> Response:
    user = request.state.user
    context = {
        "reports": reports,
        "labels": CFA_STATUT_LABELS,
        "tz": svc.settings.tz,
        "uais": sorted(user.uais),
        "digest": extra.pop("digest", False),
        "error": extra.pop("error", ""),
        "done": extra.pop("done", None),
        "max_rows": reading.MAX_ROWS,
    }
    return render(request, "cfa/accueil.html", context, extra.pop("status_code", 200))


async def _reports(request: Request) -> tuple[list[cfa_db.CfaReport], bool]:
    svc = services(request)
    user = request.state.user
    found = await svc.store.read(partial(cfa_db.list_reports, uais=sorted(user.uais)))
    digest = await svc.store.read(partial(cfa_db.digest_wanted, user_id=user.id))
    return found, digest


@cfa_area
async def home(request: Request) -> Response:
    """« Mes signalements »: every report the CFA sent, its status in plain words, the date of its last change."""
    svc = services(request)
    found, digest = await _reports(request)
    await log_audit(
        request, AuditAction.CFA_SIGNALEMENTS_CONSULTES, None, AuditResult.SUCCES, {"lignes": len(found)}
    )
    done = None
    counts = (request.query_params.get("crees", ""), request.query_params.get("deja", "0"))
    if all(count.isdigit() and len(count) < 5 for count in counts):
        done = (int(counts[0]), int(counts[1]))
    return _home(request, svc, found, digest=digest, done=done)


@cfa_area
async def template_file(request: Request) -> Response:
    """The template to fill: `modele.xlsx` or `modele.csv`."""
    svc = services(request)
    form = svc.forms["rupture"]
    if request.path_params["format"] == "csv":
        body, media = template.template_csv(form), "text/csv; charset=utf-8"
    else:
        body = template.template_xlsx(form)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    name = f"partaj-signalements-modele.{request.path_params['format']}"
    headers = {"content-disposition": f'attachment; filename="{name}"', **BACK_OFFICE_HEADERS}
    return Response(body, media_type=media, headers=headers)


@cfa_area
async def upload(request: Request) -> Response:
    """POST a file: read it, check every row, show the preview (nothing stored yet); a file that cannot be read
    comes back on the home page with its reason (422)."""
    svc = services(request)
    user = request.state.user
    form_data = await request.form(max_files=1)
    upload_file = form_data.get("fichier")
    name, data = "", b""
    if isinstance(upload_file, UploadFile):
        name = (upload_file.filename or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
        data = await upload_file.read(reading.MAX_FILE_BYTES + 1)
    try:
        table = reading.read_file(name, data)
    except reading.FileRefused as exc:
        found, digest = await _reports(request)
        await log_audit(
            request, AuditAction.CFA_FICHIER_DEPOSE, None, AuditResult.REFUSE, {"motif": exc.message}
        )
        return _home(request, svc, found, digest=digest, error=exc.message, status_code=422)
    preview = rows.check_rows(
        svc.forms["rupture"],
        table.rows,
        today_in(svc.settings.tz),
        sorted(user.uais),
        reading.MAX_ROWS,
        reading.TOO_MANY_ROWS,
    )
    preview.notes[:0] = table.notes
    known = await svc.store.read(partial(cfa_db.known_keys, keys=[r.key for r in preview.valid]))
    preview_id = ""
    if preview.valid and not preview.refused:
        pending = Pending(user.id, time.monotonic() + PREVIEW_SECONDS, preview.valid, name)
        preview_id = _previews(request).keep(pending)
    details = {"lignes": preview.rows, "valides": len(preview.valid), "problemes": len(preview.problems)}
    await log_audit(request, AuditAction.CFA_FICHIER_DEPOSE, None, AuditResult.SUCCES, details)
    context = {
        "preview": preview,
        "known": known,
        "filename": name,
        "preview_id": preview_id,
        "new_count": sum(1 for r in preview.valid if r.key not in known),
        "territoires": {t.id: t.nom for t in svc.catalogue.territoires.values()},
    }
    return render(request, "cfa/apercu.html", context, 422 if preview.refused else 200)


@cfa_area
async def confirm(request: Request) -> Response:
    """POST the preview's id: store its valid rows in one transaction, then 303 to « Mes signalements » with
    the counts (already stored rows are not stored again)."""
    svc = services(request)
    user = request.state.user
    form_data = await request.form(max_files=1)
    preview_id = form_data.get("apercu")
    pending = _previews(request).take(preview_id, user.id) if isinstance(preview_id, str) else None
    if pending is None or not pending.valid:
        found, digest = await _reports(request)
        return _home(request, svc, found, digest=digest, error=PREVIEW_GONE, status_code=409)
    now = svc.clock()
    year = now.astimezone(svc.settings.tz).year
    reports = [situations.NewReport("rupture", r.cleaned, r.key, now, year) for r in pending.valid]
    sender = cfa_db.Sender("fichier", user.id, user.email)
    details = {"fichier": pending.filename, "lignes": len(reports)}
    receipts = await svc.store.write(
        partial(
            cfa_db.store_reports,
            reports=reports,
            sender=sender,
            action=AuditAction.CFA_FICHIER_CONFIRME,
            details=details,
        )
    )
    created = sum(1 for r in receipts if not r.replayed)
    location = f"/cfa/?crees={created}&deja={len(receipts) - created}"
    return RedirectResponse(location, status_code=303, headers=BACK_OFFICE_HEADERS)


@cfa_area
async def digest_choice(request: Request) -> Response:
    """POST: ask for the weekly e-mail digest of status changes, or stop it."""
    svc = services(request)
    form_data = await request.form(max_files=1)
    wanted = form_data.get("resume") == "oui"
    await svc.store.write(partial(cfa_db.set_digest, user_id=request.state.user.id, wanted=wanted))
    return RedirectResponse("/cfa/", status_code=303, headers=BACK_OFFICE_HEADERS)


async def redirect_home(request: Request) -> Response:
    """`/cfa` → `/cfa/`."""
    return RedirectResponse("/cfa/", status_code=308)
