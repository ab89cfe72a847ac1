"""The state of an action on a reference date (the build date), derived from its period, and its wording."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum

from generator.checks import problem_at
from generator.errors import Problem, Severity
from generator.loader import Document
from generator.schema import Fiche, Offre, Periode

MOIS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
PLAN = " dans le cadre du plan PARTAJ"


class Etat(StrEnum):
    """Where an action stands on a given day."""

    EN_COURS = "en cours"
    TERMINEE = "terminée"
    A_VENIR = "à venir"

    @property
    def libelle(self) -> str:
        """The label of the search filter « état » (capitalised like the other filters' values)."""
        return self.value[0].upper() + self.value[1:]


# Current actions first, then the planned ones, then those kept for memory.
ORDRE = {Etat.EN_COURS: 0, Etat.A_VENIR: 1, Etat.TERMINEE: 2}


def etat(periode: Periode | None, today: date, active: bool | None = None) -> Etat:
    """The state on `today`: both ends of the period are included; `active: false` ends it early."""
    if active is False:
        return Etat.TERMINEE
    if periode is not None:
        if periode.debut is not None and today < periode.debut:
            return Etat.A_VENIR
        if periode.fin is not None and today > periode.fin:
            return Etat.TERMINEE
    return Etat.EN_COURS


def etat_offre(offre: Offre, today: date) -> Etat:
    """The state of a sheet: a fiche's from its period, a national dispositif is always current."""
    return etat(offre.periode, today, offre.active) if isinstance(offre, Fiche) else Etat.EN_COURS


def mois(day: date) -> str:
    """« septembre 2010 »."""
    return f"{MOIS[day.month - 1]} {day.year}"


def _de(day: date) -> str:
    """« de septembre 2010 », « d'avril 2010 » (elided before avril, août, octobre)."""
    shown = mois(day)
    return f"d'{shown}" if shown[0] in "ao" else f"de {shown}"


def _jusqu_en(day: date) -> str:
    return f"jusqu'en {mois(day)}"


def periode_texte(periode: Periode) -> str:
    """The period in a table cell: « De septembre 2010 à décembre 2011 », « À partir de … », « Jusqu'en … »."""
    if periode.debut and periode.fin:
        if (periode.debut.year, periode.debut.month) == (periode.fin.year, periode.fin.month):
            shown = f"en {mois(periode.debut)}"
        else:
            shown = f"{_de(periode.debut)} à {mois(periode.fin)}"
    elif periode.debut:
        shown = f"à partir {_de(periode.debut)}"
    else:
        shown = _jusqu_en(periode.fin) if periode.fin else ""
    return shown[:1].upper() + shown[1:]


def bandeau(periode: Periode | None, state: Etat) -> tuple[str, str] | None:
    """Title and text of the banner of a fiche, or None (a current action without dates has none)."""
    cadre = PLAN if periode and periode.plan_partaj else ""
    if state is Etat.TERMINEE:
        quand = periode_texte(periode) if periode else ""
        quand = quand[:1].lower() + quand[1:]
        phrase = f"Action menée {quand}{cadre}." if quand else f"Action terminée{cadre}."
        suite = " Elle reste décrite ici pour mémoire et comme source d'idées."
        return "Action terminée", phrase + suite
    if periode is None:
        return None
    fin = f", {_jusqu_en(periode.fin)}" if periode.fin else ""
    if state is Etat.A_VENIR and periode.debut:
        return "Action à venir", f"Action prévue à partir {_de(periode.debut)}{fin}{cadre}."
    if periode.debut:
        return "Action en cours", f"Action en cours depuis {mois(periode.debut)}{fin}{cadre}."
    if periode.fin:
        return "Action en cours", f"Action en cours {_jusqu_en(periode.fin)}{cadre}."
    return None


def check_periods(fiches: Iterable[tuple[Fiche, Document]], today: date) -> list[Problem]:
    """Warnings for a fiche declared current (`active: true`) whose period ended before `today`."""
    problems = []
    for fiche, doc in fiches:
        fin = fiche.periode.fin if fiche.periode else None
        if fiche.active is True and fin is not None and fin < today:
            message = (
                f"« active » : true, mais la période s'est terminée le {fin:%d/%m/%Y} (« periode.fin ») ; "
                "si l'action continue, corrigez « periode.fin », sinon retirez « active » : "
                "l'état se déduit de la période"
            )
            problems.append(problem_at(doc, ("active",), message, Severity.WARNING))
    return problems
