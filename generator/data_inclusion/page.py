"""What the page of an imported service adds: where it comes from, and its structure as the feed gives it."""

from __future__ import annotations

from generator.data_inclusion.model import FLUX, ServiceImporte, StructureImportee
from generator.escape import Markdown, url
from generator.schema import Offre, Structure

NATURE = "Service local (data·inclusion)"


def source_block(offre: Offre, porteur: Structure | None) -> Markdown | None:
    """The « Source : data·inclusion (producteur), mis à jour le … » paragraph of an imported service."""
    if not isinstance(offre, ServiceImporte):
        return None
    p = offre.provenance
    line = Markdown("Source : {} ({}), mis à jour le {}").format(FLUX, p.source, f"{p.date_maj:%d/%m/%Y}")
    if p.lien_source:
        line += Markdown(" — [voir la fiche d'origine]({})").format(url(p.lien_source))
    else:
        line += Markdown(" — identifiant dans le flux : {}").format(p.id)
    line += Markdown(". Importée le {}").format(f"{p.importe_le:%d/%m/%Y}")
    if p.corrige:
        line += Markdown(", avec une correction locale")
    lines = [line + Markdown(".")]
    if offre.horaires_accueil:
        lines.append(Markdown("Horaires d'accueil : {}").format(offre.horaires_accueil))
    if isinstance(porteur, StructureImportee):
        where = [
            x
            for x in (porteur.adresse, porteur.complement_adresse, porteur.code_postal, porteur.commune)
            if x
        ]
        if where:
            lines.append(Markdown("Adresse de la structure : ") + Markdown(", ").join(where))
        if porteur.horaires_accueil:
            lines.append(Markdown("Horaires de la structure : {}").format(porteur.horaires_accueil))
        if porteur.siret:
            lines.append(Markdown("SIRET de la structure : {}").format(porteur.siret))
    # Plain Markdown lines (hard breaks), the paragraph styled through attr_list: no HTML block to re-parse.
    return Markdown("  \n").join(lines) + Markdown("\n{: .partaj-source }")


def nature_of(offre: Offre, default: str) -> str:
    """The nature shown on a sheet and used as a search filter."""
    return NATURE if isinstance(offre, ServiceImporte) else default
