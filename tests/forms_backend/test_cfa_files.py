"""A CFA's file of several reports: the template, every format, the preview by row and column, the limits,
the confirmation in one transaction, the same file twice."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, timedelta

import pytest
from python_calamine import load_workbook

from forms_backend.cfa.reading import FileRefused, read_file
from tests.forms_backend.cfa_support import (
    CFA_A,
    CFA_B,
    UAI_A,
    UAI_B,
    Area,
    area_fixture,
    csv_bytes,
    file_error,
    ods_bytes,
    problems,
    report,
    summary,
    table,
    xlsx_bytes,
)
from tests.forms_backend.conftest import TODAY
from tests.forms_backend.coordination import audit_actions, rows

__all__ = ["area_fixture"]


def _count(area: Area) -> int:
    return rows(area.db_path, "SELECT count(*) FROM situations")[0][0]


def test_cfa_template_csv_has_the_french_header_with_bom(area: Area) -> None:
    area.login_as(CFA_A)
    response = area.client.get("/cfa/modele.csv")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbfNom du jeune;Pr\xc3\xa9nom du jeune;Date de naissance;")
    assert "Date de rupture;Cadre de la rupture;Motifs de la rupture;" in response.content.decode("utf-8-sig")


def test_cfa_template_xlsx_has_lists_and_a_notice(area: Area) -> None:
    area.login_as(CFA_A)
    response = area.client.get("/cfa/modele.xlsx")
    workbook = load_workbook(io.BytesIO(response.content))

    assert workbook.sheet_names == ["Signalements", "Notice", "Listes"]
    header = workbook.get_sheet_by_name("Signalements").to_python()[0]
    assert header[:3] == ["Nom du jeune", "Prénom du jeune", "Date de naissance"]
    lists = workbook.get_sheet_by_name("Listes").to_python()
    assert "Secteur" in lists[0]
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert sheet_xml.count('<dataValidation type="list"') >= 6
    notice = workbook.get_sheet_by_name("Notice").to_python()
    assert notice[0][0] == "Signaler plusieurs ruptures de contrat d'apprentissage"


def test_cfa_file_with_two_bad_rows_lists_each_problem_then_stores_only_the_valid_rows(area: Area) -> None:
    area.login_as(CFA_A)
    future = (TODAY + timedelta(days=3)).isoformat()
    reports = [
        report(nom="Un"),
        report(nom="Deux", date_rupture=future),
        report(nom="Trois"),
        report(nom="Quatre", secteur="astronautique", courriel="pas-une-adresse"),
    ]
    response = area.upload("ruptures.csv", csv_bytes(table(reports, area.form)))

    assert response.status_code == 200
    assert problems(response.text) == [
        "Ligne 3, « Date de rupture » : Cette date est dans le futur : attendu une date passée ou celle "
        "d'aujourd'hui.",
        "Ligne 5, « Courriel du jeune » : Adresse électronique invalide : attendu une adresse de la forme "
        "nom@domaine.fr.",
        "Ligne 5, « Secteur » : Réponse non reconnue : choisissez une réponse dans la liste.",
    ]
    assert summary(response.text) == "2 nouveaux signalements."
    assert _count(area) == 0

    stored = area.confirm(response.text)

    assert (stored.status_code, stored.headers["location"]) == (303, "/cfa/?crees=2&deja=0")
    assert rows(area.db_path, "SELECT nom FROM situations ORDER BY id") == [("Un",), ("Trois",)]
    assert rows(area.db_path, "SELECT uai, canal FROM cfa_signalements") == [(UAI_A, "fichier")] * 2
    page = area.client.get(stored.headers["location"]).text
    assert "2 signalements enregistrés." in page
    files = [(a[0], a[1], a[2]) for a in audit_actions(area.db_path) if a[1].startswith("cfa-fichier")]
    assert files == [(CFA_A, "cfa-fichier-depose", "succes"), (CFA_A, "cfa-fichier-confirme", "succes")]
    assert '"crees": 2' in audit_actions(area.db_path)[-2][3]


def test_cfa_same_file_twice_creates_nothing_new_and_says_so(area: Area) -> None:
    area.login_as(CFA_A)
    data = csv_bytes(table([report(nom="Un"), report(nom="Deux")], area.form))
    area.confirm(area.upload("a.csv", data).text)
    again = area.upload("a.csv", data)

    assert "Déjà enregistré (RUP-" in again.text
    assert summary(again.text).startswith("0 nouveau signalement ; 2 lignes déjà enregistrées")
    second = area.confirm(again.text)

    assert second.headers["location"] == "/cfa/?crees=0&deja=2"
    assert _count(area) == 2
    assert "2 lignes déjà enregistrées auparavant" in area.client.get(second.headers["location"]).text


def test_cfa_preview_can_be_confirmed_once_only(area: Area) -> None:
    area.login_as(CFA_A)
    preview = area.upload("a.csv", csv_bytes(table([report()], area.form))).text
    assert area.confirm(preview).status_code == 303

    again = area.confirm(preview)

    assert again.status_code == 409
    assert file_error(again.text) == (
        "Cet aperçu n'est plus disponible (plus de 30 minutes, ou déjà confirmé) : déposez le fichier à nouveau."
    )


def test_cfa_xlsx_dates_as_serial_numbers_as_text_and_as_dates_are_read(area: Area) -> None:
    area.login_as(CFA_A)
    birth = date(TODAY.year - 19, 5, 5)
    serial = (birth - date(1899, 12, 30)).days
    rupture = date(TODAY.year - 1, 3, 3)

    def dates(workbook: object, sheet: object) -> None:
        day = workbook.add_format({"num_format": "dd/mm/yyyy"})  # type: ignore[attr-defined]
        sheet.write_datetime(3, 2, datetime(birth.year, birth.month, birth.day), day)  # type: ignore[attr-defined]

    reports = [
        report(nom="Serie", date_naissance=serial, code_postal=62300, telephone=612345678),
        report(
            nom="Texte",
            date_naissance=birth.strftime("%d/%m/%Y"),
            date_rupture=f"{rupture.isoformat()} 00:00:00",
        ),
        report(nom="Date"),
    ]
    response = area.upload("a.xlsx", xlsx_bytes(table(reports, area.form), dates))

    assert problems(response.text) == []
    area.confirm(response.text)
    assert rows(
        area.db_path, "SELECT nom, date_naissance, code_postal, telephone FROM situations ORDER BY id"
    ) == [
        ("Serie", birth.isoformat(), "62300", "0612345678"),
        ("Texte", birth.isoformat(), "62300", "06 12 34 56 78"),
        ("Date", birth.isoformat(), "62300", "06 12 34 56 78"),
    ]


def test_cfa_xlsx_formulas_are_read_as_their_cached_value(area: Area) -> None:
    area.login_as(CFA_A)

    def formulas(workbook: object, sheet: object) -> None:
        sheet.write_formula(1, 0, '=UPPER("martin")', None, "MARTIN")  # type: ignore[attr-defined]
        sheet.write_formula(2, 0, '=WEBSERVICE("http://example.invalid")', None, "")  # type: ignore[attr-defined]

    response = area.upload("a.xlsx", xlsx_bytes(table([report(), report(prenom="Zoé")], area.form), formulas))

    assert problems(response.text) == ["Ligne 3, « Nom du jeune » : Ce champ est obligatoire."]
    area.confirm(response.text)
    assert rows(area.db_path, "SELECT nom FROM situations") == [("MARTIN",)]


def test_cfa_ods_is_read(area: Area) -> None:
    area.login_as(CFA_A)
    response = area.upload("a.ods", ods_bytes(table([report(), report(nom="Durand")], area.form)))

    assert (response.status_code, problems(response.text)) == (200, [])
    assert summary(response.text) == "2 nouveaux signalements."


def test_cfa_empty_rows_are_skipped_and_lines_keep_their_number(area: Area) -> None:
    area.login_as(CFA_A)
    data = table([report(), report(nom="")], area.form)
    data.insert(2, [""] * len(data[0]))
    data.insert(2, [None] * 3)
    response = area.upload("a.xlsx", xlsx_bytes(data))

    assert problems(response.text) == ["Ligne 5, « Nom du jeune » : Ce champ est obligatoire."]


def test_cfa_merged_cells_are_refused_with_their_place(area: Area) -> None:
    area.login_as(CFA_A)

    def merge(workbook: object, sheet: object) -> None:
        sheet.merge_range(1, 8, 2, 8, "CFA de démonstration")  # type: ignore[attr-defined]

    response = area.upload("a.xlsx", xlsx_bytes(table([report(), report()], area.form), merge))

    assert response.status_code == 422
    assert file_error(response.text) == (
        "Le fichier contient des cellules fusionnées (I2:I3) : une cellule fusionnée laisse vides les lignes "
        "qu'elle couvre. Défusionnez-les et recopiez la valeur sur chaque ligne, puis déposez le fichier à nouveau."
    )


def test_cfa_501_rows_are_refused(area: Area) -> None:
    area.login_as(CFA_A)
    response = area.upload("a.csv", csv_bytes(table([report()] * 501, area.form)))

    assert response.status_code == 422
    assert problems(response.text) == [
        "Le fichier contient 501 lignes de signalement ; 500 au plus par fichier : partagez-le en plusieurs "
        "fichiers."
    ]
    assert 'name="apercu"' not in response.text


def test_cfa_windows_1252_csv_is_read_with_a_note(area: Area) -> None:
    area.login_as(CFA_A)
    response = area.upload("a.csv", csv_bytes(table([report(prenom="Zoé")], area.form), "cp1252"))

    assert "il a été lu comme un fichier Windows (Windows-1252)" in response.text
    area.confirm(response.text)
    assert rows(area.db_path, "SELECT prenom FROM situations") == [("Zoé",)]


def test_cfa_row_of_another_uai_is_refused(area: Area) -> None:
    area.login_as(CFA_B)
    response = area.upload("a.csv", csv_bytes(table([report(cfa_uai=UAI_A), report(cfa_uai="")], area.form)))

    assert problems(response.text) == [
        f"Ligne 2, « Numéro UAI du CFA » : Ce numéro UAI n'est pas celui de votre CFA ({UAI_B})."
    ]
    area.confirm(response.text)
    assert rows(
        area.db_path,
        "SELECT r.cfa_uai, c.uai FROM rapports_rupture r JOIN cfa_signalements c USING (situation_id)",
    ) == [(UAI_B, UAI_B)]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "rapport.pdf",
            b"%PDF-1.7",
            "« rapport.pdf » n'est pas un fichier accepté : déposez un fichier .xlsx (Excel), .ods (LibreOffice) "
            "ou .csv.",
        ),
        (
            "ruptures.xlsx",
            b"%PDF-1.7\n1 0 obj",
            "« ruptures.xlsx » porte l'extension .xlsx mais n'est pas un classeur Excel (il commence comme un "
            "PDF) : ouvrez-le dans votre tableur, enregistrez-le au format .xlsx, puis déposez-le à nouveau.",
        ),
        (
            "vieux.xls",
            b"\xd0\xcf\x11\xe0",
            "Le format .xls (Excel 97-2003) n'est pas accepté : enregistrez le fichier au format .xlsx, puis "
            "déposez-le.",
        ),
        (
            "gros.csv",
            b"a" * (2 * 1024 * 1024 + 1),
            "Le fichier pèse 2,0 Mo ; 2 Mo au plus : partagez-le en plusieurs fichiers.",
        ),
    ],
)
def test_cfa_unreadable_files_are_refused_with_a_french_reason(
    area: Area, name: str, data: bytes, message: str
) -> None:
    area.login_as(CFA_A)
    response = area.upload(name, data)

    assert response.status_code == 422
    assert file_error(response.text) == message
    assert _count(area) == 0


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (60 * 1024 * 1024))
    return buffer.getvalue()


def test_cfa_zip_bomb_is_refused_before_decompression() -> None:
    bomb = _zip_bomb()
    assert len(bomb) < 2 * 1024 * 1024

    with pytest.raises(FileRefused) as refused:
        read_file("bombe.xlsx", bomb)

    assert refused.value.message.startswith("« bombe.xlsx » se décompresse en plus de 40 Mo")


def test_cfa_zip_bomb_upload_answers_422(area: Area) -> None:
    area.login_as(CFA_A)
    response = area.upload("bombe.xlsx", _zip_bomb())

    assert response.status_code == 422
    assert (file_error(response.text) or "").startswith("« bombe.xlsx » se décompresse en plus de 40 Mo")


def test_cfa_upload_without_csrf_token_is_refused(area: Area) -> None:
    area.login_as(CFA_A)
    response = area.client.post("/cfa/fichier", files={"fichier": ("a.csv", b"x", "text/csv")})

    assert response.status_code == 403
    assert _count(area) == 0


def test_cfa_sheet_used_far_beyond_500_rows_is_refused_before_it_is_read(area: Area) -> None:
    area.login_as(CFA_A)

    def far(workbook: object, sheet: object) -> None:
        sheet.write(99_999, 0, "oubli")  # type: ignore[attr-defined]

    data = table([report()], area.form)
    response = area.upload("a.xlsx", xlsx_bytes(data, far))

    assert response.status_code == 422
    assert file_error(response.text) == (
        f"La feuille des signalements occupe 100000 lignes et {len(data[0])} colonnes : au plus 500 lignes de signalement et "
        "les colonnes du modèle. Effacez les lignes et colonnes inutilisées, ou repartez du modèle."
    )
