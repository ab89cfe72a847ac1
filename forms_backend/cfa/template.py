"""The template a CFA fills to report several ruptures at once: an XLSX workbook (the reports' sheet with a
drop-down list on every coded column, a notice sheet, the lists sheet) or a CSV (the French header, `;`, UTF-8
with BOM so that Excel reads the accents). Both derive from the rupture form's fields (`rows.columns`)."""

from __future__ import annotations

import io
from datetime import date

import xlsxwriter

from forms_backend.cfa.reading import MAX_ROWS, SHEET
from forms_backend.cfa.rows import columns
from forms_backend.web.forms import Champ, Formulaire

LISTS_SHEET = "Listes"
NOTICE_SHEET = "Notice"


def _rule(champ: Champ) -> str:
    """What the notice says of one column."""
    parts = ["obligatoire" if champ.required else "facultatif"]
    if champ.kind == "date":
        parts.append("date JJ/MM/AAAA")
    elif champ.kind == "checkbox":
        parts.append("« oui » quand le jeune a été informé de ce signalement (obligatoire)")
    elif champ.kind == "checkboxes":
        parts.append("une ou plusieurs valeurs de la liste, séparées par « ; »")
    elif champ.choices:
        parts.append("une valeur de la liste déroulante")
    elif champ.kind in ("text", "email", "tel", "postal", "commune", "textarea"):
        parts.append(f"{champ.max_length} caractères au plus")
    if champ.hint:
        parts.append(champ.hint)
    return " ; ".join(parts)


NOTICE = (
    "Signaler plusieurs ruptures de contrat d'apprentissage",
    "",
    "1. Remplissez une ligne par apprenti dans la feuille « Signalements », sans changer la ligne d'en-tête.",
    f"2. Au plus {MAX_ROWS} lignes et 2 Mo par fichier ; pas de cellule fusionnée ; les formules sont lues comme "
    "leur valeur affichée.",
    "3. Déposez le fichier sur la page « Mes signalements » : un aperçu liste chaque problème par ligne et par "
    "colonne avant tout enregistrement. Corrigez le fichier et déposez-le à nouveau, ou confirmez les seules "
    "lignes valides.",
    "4. Un apprenti déjà signalé (même UAI, mêmes nom, prénom et date de naissance, même date de rupture) n'est "
    "pas enregistré deux fois : vous pouvez déposer le même fichier complété.",
    "5. Prévenez chaque jeune de ce signalement (RGPD, article 14) et n'écrivez aucun détail de santé ni de "
    "justice.",
    "",
    "Colonnes :",
)


def template_xlsx(form: Formulaire) -> bytes:
    """The XLSX template: header, drop-down lists for the coded columns, a notice, the lists."""
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"in_memory": True})
    sheet = workbook.add_worksheet(SHEET)
    notice = workbook.add_worksheet(NOTICE_SHEET)
    lists = workbook.add_worksheet(LISTS_SHEET)
    bold = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#E8EEF7"})
    text = workbook.add_format({"num_format": "@"})
    day = workbook.add_format({"num_format": "dd/mm/yyyy"})
    list_column = 0
    for index, (champ, title) in enumerate(columns(form)):
        sheet.write_string(0, index, title, bold)
        sheet.set_column(
            index, index, max(14, min(40, len(title) + 2)), day if champ.kind == "date" else text
        )
        if champ.choices:
            lists.write_string(0, list_column, title, bold)
            for row, (_, label) in enumerate(champ.choices, start=1):
                lists.write_string(row, list_column, label)
            if not champ.multiple:
                column = xlsxwriter.utility.xl_col_to_name(list_column)
                source = f"='{LISTS_SHEET}'!${column}$2:${column}${len(champ.choices) + 1}"
                sheet.data_validation(
                    1,
                    index,
                    MAX_ROWS,
                    index,
                    {
                        "validate": "list",
                        "source": source,
                        "error_title": title,
                        "error_message": "Choisissez une valeur de la liste.",
                    },
                )
            list_column += 1
        elif champ.kind == "date":
            sheet.data_validation(
                1,
                index,
                MAX_ROWS,
                index,
                {
                    "validate": "date",
                    "criteria": "between",
                    "minimum": date(1900, 1, 1),
                    "maximum": date(2100, 12, 31),
                    "error_message": "Une date au format JJ/MM/AAAA.",
                },
            )
    sheet.freeze_panes(1, 0)
    sheet.set_row(0, 45)
    notice.set_column(0, 0, 34)
    notice.set_column(1, 1, 110)
    for row, line in enumerate(NOTICE):
        notice.write_string(row, 0, line, bold if row == 0 else None)
    for row, (champ, title) in enumerate(columns(form), start=len(NOTICE)):
        notice.write_string(row, 0, title)
        notice.write_string(row, 1, _rule(champ))
    workbook.close()
    return output.getvalue()


def template_csv(form: Formulaire) -> bytes:
    """The CSV template: the French header only, `;`-separated, UTF-8 with BOM."""
    header = ";".join(title for _, title in columns(form))
    return ("\ufeff" + header + "\r\n").encode("utf-8")
