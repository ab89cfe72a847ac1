"""The backend's vocabularies, each defined once (docs/domaine.md): the status chain of a situation, the
sources and their references, the kinds of solution, the audit actions and results with their French labels.

Everything else derives from here or is checked against it by a test: the labels of `data/nomenclatures.yaml`
(`statuts_situation`), the database's CHECK constraints and triggers, the forms' lists, the journal's labels.
Pure: no I/O, no project import.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

# --- Statuses of a situation in the CTL tracking table -------------------------------------------------------

STATUTS = ("nouveau", "a-examiner-en-ctl", "solution-proposee", "accompagnement", "sortie", "sans-suite")
INITIAL_STATUT = "nouveau"
# The follow-up goes one step at a time along this chain; `sans-suite` may end it at any point before `sortie`.
CHAIN = STATUTS[:5]
CLOSED = frozenset({"sortie", "sans-suite"})


@dataclass(frozen=True)
class Closing:
    """What closing a situation with this status needs: the form field and the nomenclature list of its value,
    and the column of `situations` that keeps it."""

    field: str
    nomenclature: str
    column: str


CLOSINGS = {
    "sortie": Closing("sortie", "sorties", "sortie"),
    "sans-suite": Closing("motif_sans_suite", "motifs_sans_suite", "motif_sans_suite"),
}


def allowed_next(statut: str) -> tuple[str, ...]:
    """The statuses a situation may move to: the next step of the chain, or `sans-suite` at any point of the
    follow-up; a closed situation (sortie, sans suite) moves no more."""
    if statut in CLOSED:
        return ()
    following = (CHAIN[CHAIN.index(statut) + 1],) if statut in CHAIN[:-1] else ()
    return (*following, "sans-suite")


def status_columns(statut: str, issue: str | None) -> dict[str, Any]:
    """The columns of `situations` a move to `statut` sets: the status, the outcome or reason of a closing
    (the other one cleared), and no next CTL meeting once closed."""
    columns: dict[str, Any] = {"statut": statut}
    if statut in CLOSINGS:
        for name, closing in CLOSINGS.items():
            columns[closing.column] = issue if name == statut else None
        columns["prochaine_ctl"] = None
    return columns


# --- Where a situation comes from ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """One source of situations: its reference prefix and its label."""

    prefix: str
    label: str


SOURCES = {
    "rupture": Source("RUP", "Rupture de contrat"),
    "orientation": Source("ORI", "Orientation"),
    "saisie": Source("SAI", "Saisie"),
}


# A partner's proposal (new action, correction, « rien à changer »): its own sequence of references.
PROPOSITION_PREFIX = "PRO"
PROPOSITION_STATUTS = {
    "en-attente": "En attente",
    "question": "Question posée",
    "acceptee": "Acceptée",
    "refusee": "Refusée",
}
PROPOSITION_GENRES = {
    "nouvelle": "Nouvelle action",
    "correction": "Correction",
    "rien-a-changer": "Rien à changer",
}


def proposition_reference(year: int, number: int) -> str:
    """A proposal's reference: `PRO-2026-000012` (one sequence per year)."""
    return f"{PROPOSITION_PREFIX}-{year}-{number:06d}"


def reference(source: str, year: int, number: int) -> str:
    """A situation's reference: `RUP-2026-000123` (one sequence per source and year; the local year)."""
    return f"{SOURCES[source].prefix}-{year}-{number:06d}"


# What a CFA is told of the situations it reported: the status in plain words, nothing of the CTL's work.
CFA_STATUT_LABELS = {
    "nouveau": "Reçu",
    "a-examiner-en-ctl": "Examiné en CTL",
    "solution-proposee": "Solution proposée",
    "accompagnement": "Accompagnement en cours",
    "sortie": "Sortie du dispositif",
    "sans-suite": "Sans suite",
}
# How a CFA's report came in: a spreadsheet uploaded on its page, or its software through the API.
CFA_CANAUX = ("fichier", "api")


# --- What a CTL proposes -----------------------------------------------------------------------------------------

SOLUTION_KINDS = {"dispositif": "Dispositif", "fiche": "Fiche action"}


# --- The audit journal -------------------------------------------------------------------------------------------


class AuditAction(StrEnum):
    """Every action the audit journal records; `label` is what the journal page shows."""

    CONNEXION = "connexion"
    DECONNEXION = "deconnexion"
    VERROUILLAGE = "verrouillage"  # before migration 6 only: entries of the old permanent lock
    RALENTISSEMENT = "ralentissement"
    SESSION_EXPIREE = "session-expiree"
    CSRF = "csrf"
    COMPTE_CREE = "compte-cree"
    COMPTE_DESACTIVE = "compte-desactive"
    COMPTE_REACTIVE = "compte-reactive"
    SAUVEGARDE = "sauvegarde"
    MOT_DE_PASSE_CHANGE = "mot-de-passe-change"
    PURGE = "purge"
    JOURNAL_CONSULTE = "journal-consulte"
    TABLEAU_CONSULTE = "tableau-consulte"
    SITUATION_CONSULTEE = "situation-consultee"
    MODIFICATION = "modification"
    STATUT_CHANGE = "statut-change"
    NOTE_AJOUTEE = "note-ajoutee"
    SOLUTION_PROPOSEE = "solution-proposee"
    SOLUTION_RETIREE = "solution-retiree"
    REFERENT_MODIFIE = "referent-modifie"
    CTL_PLANIFIEE = "ctl-planifiee"
    SITUATION_SAISIE = "situation-saisie"
    AGENDA_CONSULTE = "agenda-consulte"
    EXPORT = "export"
    EXPORT_CLI = "export-cli"
    PROPOSITION_RECUE = "proposition-recue"
    PROPOSITIONS_CONSULTEES = "propositions-consultees"
    PROPOSITION_CONSULTEE = "proposition-consultee"
    PROPOSITION_ACCEPTEE = "proposition-acceptee"
    PROPOSITION_REFUSEE = "proposition-refusee"
    PROPOSITION_QUESTION = "proposition-question"
    RAPPELS_ACTUALISATION = "rappels-actualisation"
    OBSERVATOIRE_CONSULTE = "observatoire-consulte"
    EXPORT_OBSERVATOIRE = "export-observatoire"
    AGREGATS = "agregats"
    CFA_SIGNALEMENTS_CONSULTES = "cfa-signalements-consultes"
    CFA_FICHIER_DEPOSE = "cfa-fichier-depose"
    CFA_FICHIER_CONFIRME = "cfa-fichier-confirme"
    CFA_API_ENVOI = "cfa-api-envoi"
    CFA_API_STATUT = "cfa-api-statut"
    CFA_JETON_CREE = "cfa-jeton-cree"
    CFA_JETON_REVOQUE = "cfa-jeton-revoque"
    CFA_RESUMES = "cfa-resumes"

    ACCES_HORS_ESPACE = "acces-hors-espace"

    @property
    def label(self) -> str:
        return _ACTION_LABELS[self]


_ACTION_LABELS = {
    AuditAction.CONNEXION: "Connexion",
    AuditAction.DECONNEXION: "Déconnexion",
    AuditAction.VERROUILLAGE: "Verrouillage après échecs",
    AuditAction.RALENTISSEMENT: "Connexion ralentie après échecs",
    AuditAction.SESSION_EXPIREE: "Session expirée",
    AuditAction.CSRF: "Action refusée (jeton CSRF)",
    AuditAction.COMPTE_CREE: "Compte créé",
    AuditAction.COMPTE_DESACTIVE: "Compte désactivé",
    AuditAction.COMPTE_REACTIVE: "Compte réactivé",
    AuditAction.SAUVEGARDE: "Sauvegarde de la base",
    AuditAction.MOT_DE_PASSE_CHANGE: "Mot de passe changé",
    AuditAction.PURGE: "Purge (durée de conservation)",
    AuditAction.JOURNAL_CONSULTE: "Journal consulté",
    AuditAction.TABLEAU_CONSULTE: "Tableau de bord consulté",
    AuditAction.SITUATION_CONSULTEE: "Situation consultée",
    AuditAction.MODIFICATION: "Modification d'une situation",
    AuditAction.STATUT_CHANGE: "Statut changé",
    AuditAction.NOTE_AJOUTEE: "Note ajoutée",
    AuditAction.SOLUTION_PROPOSEE: "Solution proposée",
    AuditAction.SOLUTION_RETIREE: "Solution retirée",
    AuditAction.REFERENT_MODIFIE: "Référent tuteur modifié",
    AuditAction.CTL_PLANIFIEE: "Prochaine CTL fixée",
    AuditAction.SITUATION_SAISIE: "Situation saisie",
    AuditAction.AGENDA_CONSULTE: "Ordre du jour de CTL consulté",
    AuditAction.EXPORT: "Export du tableau de bord",
    AuditAction.EXPORT_CLI: "Export (ligne de commande)",
    AuditAction.PROPOSITION_RECUE: "Proposition reçue d'un partenaire",
    AuditAction.ACCES_HORS_ESPACE: "Page hors de l'espace du compte refusée",
    AuditAction.PROPOSITIONS_CONSULTEES: "Liste des propositions consultée",
    AuditAction.PROPOSITION_CONSULTEE: "Proposition consultée",
    AuditAction.PROPOSITION_ACCEPTEE: "Proposition acceptée et publiée",
    AuditAction.PROPOSITION_REFUSEE: "Proposition refusée",
    AuditAction.PROPOSITION_QUESTION: "Question posée au proposeur",
    AuditAction.RAPPELS_ACTUALISATION: "Rappels d'actualisation envoyés",
    AuditAction.OBSERVATOIRE_CONSULTE: "Observatoire consulté",
    AuditAction.EXPORT_OBSERVATOIRE: "Export d'un tableau de l'observatoire",
    AuditAction.AGREGATS: "Agrégats publiables écrits (ligne de commande)",
    AuditAction.CFA_SIGNALEMENTS_CONSULTES: "Signalements du CFA consultés",
    AuditAction.CFA_FICHIER_DEPOSE: "Fichier de signalements déposé (aperçu)",
    AuditAction.CFA_FICHIER_CONFIRME: "Signalements d'un fichier enregistrés",
    AuditAction.CFA_API_ENVOI: "Signalement reçu par l'API",
    AuditAction.CFA_API_STATUT: "Statut lu par l'API",
    AuditAction.CFA_JETON_CREE: "Jeton d'API créé",
    AuditAction.CFA_JETON_REVOQUE: "Jeton d'API révoqué",
    AuditAction.CFA_RESUMES: "Résumés hebdomadaires envoyés aux CFA",
}


class AuditResult(StrEnum):
    """The result of an audited action; `label` is what the journal page shows."""

    SUCCES = "succes"
    ECHEC = "echec"
    REFUSE = "refuse"

    @property
    def label(self) -> str:
        return {"succes": "réussite", "echec": "échec", "refuse": "refusé"}[self.value]
