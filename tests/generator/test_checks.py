"""Case tables: each invalid YAML gives the exact French message at the exact PATH:LINE:COL."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from generator.catalogue import load_catalogue
from generator.cli import main
from tests.conftest import ROOT
from tests.generator.conftest import VALID_DISPOSITIF, VALID_FICHE

TODAY = date(2026, 11, 30)
FICHE = "data/fiches/ma-fiche.yaml"


def problems_of(data: Path, strict: bool = False) -> list[str]:
    catalogue = load_catalogue(data, None, today=TODAY)
    return [p.format() for p in (catalogue.problems if strict else catalogue.errors)]


def with_line(old: str, new: str) -> str:
    assert old in VALID_FICHE
    return VALID_FICHE.replace(old, new)


CASES = [
    (
        "yaml-syntax",
        with_line("type: atelier\n", "type: [atelier\n"),
        f"{FICHE}:5:12: YAML invalide : « , » ou « ] » attendu : une liste entre crochets n'est pas fermée",
    ),
    (
        "missing-required",
        with_line("nom: Atelier de remobilisation\n", ""),
        f"{FICHE}:1:1: champ obligatoire « nom » manquant (Nom de l'action ou du dispositif) : ajoutez « nom: … »",
    ),
    (
        "unknown-key-suggestion",
        with_line("thematiques: [remobilisation]\n", "thematiques: [remobilisation]\nthematique: [sante]\n"),
        f"{FICHE}:6:1: clé inconnue « thematique » ; vouliez-vous dire « thematiques » ?",
    ),
    (
        "wrong-type",
        with_line("courriel: contact@example.org\n", "courriel: contact@example.org\nage_min: douze\n"),
        f"{FICHE}:13:10: « age_min » : nombre entier attendu, trouvé texte « douze »",
    ),
    (
        "enumeration",
        with_line("type: atelier\n", "type: stage\n"),
        f"{FICHE}:4:7: « type » : valeur « stage » non permise ; valeurs permises : accompagnement, "
        "aide-financiere, aide-materielle, atelier, formation, information",
    ),
    (
        "nomenclature",
        with_line("volet: reparation\n", "volet: [reparation, guerison]\n"),
        f"{FICHE}:10:21: « volet[1] » : valeur « guerison » non permise ; valeurs permises : prevention, reparation",
    ),
    (
        "invalid-date",
        with_line("date_maj: 2026-11-01\n", "date_maj: 2026-13-01\n"),
        f"{FICHE}:7:11: « date_maj » : date attendue au format AAAA-MM-JJ, trouvé texte « 2026-13-01 »",
    ),
    (
        "future-date",
        with_line("date_maj: 2026-11-01\n", "date_maj: 2027-01-15\n"),
        f"{FICHE}:7:11: « date_maj » : date dans le futur « 2027-01-15 » : attendu une date passée ou "
        "aujourd'hui (2026-11-30)",
    ),
    (
        "id-differs-from-file",
        with_line("id: ma-fiche\n", "id: autre-fiche\n"),
        f"{FICHE}:1:5: « id » : « autre-fiche » diffère du nom du fichier ; attendu « ma-fiche » "
        "(renommez le fichier ou corrigez l'identifiant)",
    ),
    (
        "unknown-territory",
        with_line("territoires: [valenciennes]\n", "territoires: [valencienne]\n"),
        f"{FICHE}:9:15: « territoires[0] » : territoire « valencienne » inconnu ; vouliez-vous dire « valenciennes » ?",
    ),
    (
        "unknown-structure",
        with_line("porteur: ma-structure\n", "porteur: mon-association\n"),
        f"{FICHE}:11:10: « porteur » : structure « mon-association » inconnue",
    ),
    (
        "unknown-dispositif",
        with_line(
            "courriel: contact@example.org\n", "courriel: contact@example.org\ndispositifs_lies: [epide]\n"
        ),
        f"{FICHE}:13:20: « dispositifs_lies[0] » : dispositif « epide » inconnu",
    ),
    (
        "malformed-email",
        with_line("courriel: contact@example.org\n", "courriel: contact@exemple\n"),
        f"{FICHE}:12:11: « courriel » : adresse électronique invalide « contact@exemple » : attendu une adresse de "
        "la forme nom@domaine.fr",
    ),
    (
        "malformed-phone",
        with_line("courriel: contact@example.org\n", "telephone: 03 27 00\n"),
        f"{FICHE}:12:12: « telephone » : numéro de téléphone invalide « 03 27 00 » : attendu un numéro français à "
        "10 chiffres (ex. 03 20 00 00 00) ou au format international +33",
    ),
    (
        "malformed-url",
        with_line("courriel: contact@example.org\n", "lien_mobilisation: www.exemple.fr\n"),
        f"{FICHE}:12:20: « lien_mobilisation » : adresse web invalide « www.exemple.fr » : attendu une URL "
        "complète commençant par https://",
    ),
    (
        "age-min-above-max",
        with_line(
            "courriel: contact@example.org\n", "courriel: contact@example.org\nage_min: 25\nage_max: 16\n"
        ),
        f"{FICHE}:13:10: « age_min » : 25 est supérieur à « age_max » (16) ; attendu age_min ≤ age_max",
    ),
    (
        "beneficiaires-min-above-max",
        with_line(
            "courriel: contact@example.org\n",
            "courriel: contact@example.org\nbeneficiaires: {min: 50, max: 10}\n",
        ),
        f"{FICHE}:13:22: « beneficiaires.min » : 50 est supérieur à « beneficiaires.max » (10) ; attendu min ≤ max",
    ),
    (
        "list-expected",
        with_line("publics: [jeunes]\n", "publics: {jeunes: oui}\n"),
        f"{FICHE}:6:10: « publics » : liste attendue (une valeur par ligne, précédée de « - »), trouvé ensemble de clés",
    ),
    (
        "duplicate-key",
        with_line("type: atelier\n", "type: atelier\ntype: formation\n"),
        f"{FICHE}:5:1: clé « type » en double : chaque clé ne peut apparaître qu'une fois",
    ),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_check_invalid_fiche_reports_exact_message(
    write_yaml: Callable[[str, str], Path],
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    text: str,
    expected: str,
) -> None:
    monkeypatch.chdir(data_dir.parent)
    write_yaml("fiches/ma-fiche.yaml", text)
    assert expected in problems_of(Path("data"))


def test_check_valid_fiche_has_no_problem(
    write_yaml: Callable[[str, str], Path], data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(data_dir.parent)
    write_yaml("fiches/ma-fiche.yaml", VALID_FICHE)
    assert problems_of(Path("data"), strict=True) == []


def test_check_reports_every_problem_of_every_file_in_one_run(
    write_yaml: Callable[[str, str], Path], data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(data_dir.parent)
    write_yaml("fiches/ma-fiche.yaml", with_line("type: atelier\n", "type: stage\nthematique: x\n"))
    write_yaml(
        "fiches/autre.yaml", VALID_FICHE.replace("id: ma-fiche", "id: autre").replace("publics", "public")
    )
    found = problems_of(Path("data"))
    assert [p.split(": ")[0] for p in found] == [
        "data/fiches/autre.yaml:1:1",
        "data/fiches/autre.yaml:6:1",
        f"{FICHE}:4:7",
        f"{FICHE}:5:1",
    ]


def test_check_duplicate_id_across_kinds_is_an_error(
    write_yaml: Callable[[str, str], Path], data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(data_dir.parent)
    write_yaml("fiches/ma-fiche.yaml", VALID_FICHE)
    write_yaml("dispositifs/ma-fiche.yaml", VALID_DISPOSITIF.replace("id: mon-dispositif", "id: ma-fiche"))
    assert f"{FICHE}:1:5: « id » : « ma-fiche » est déjà l'identifiant d'un dispositif" in problems_of(
        Path("data")
    )


def test_check_duplicate_territory_is_an_error(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(data_dir.parent)
    path = data_dir / "territoires.yaml"
    path.write_text(
        path.read_text(encoding="utf-8") + "  - {id: arras, nom: Arras bis, type: associe, "
        "departements: ['62'], date_maj: 2026-11-01}\n",
        encoding="utf-8",
    )
    found = problems_of(Path("data"))
    assert any(
        p.startswith("data/territoires.yaml:") and "identifiant « arras » en double" in p for p in found
    )


def test_check_old_date_is_a_warning_fatal_with_strict(
    write_yaml: Callable[[str, str], Path], data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(data_dir.parent)
    write_yaml("fiches/ma-fiche.yaml", with_line("date_maj: 2026-11-01\n", "date_maj: 2025-10-01\n"))
    expected = (
        f"{FICHE}:7:11: avertissement : « date_maj » : dernière vérification le 01/10/2025, il y a 13 mois "
        "(limite : 12 mois) ; vérifiez les informations puis mettez la date à jour"
    )
    assert problems_of(Path("data")) == []
    assert expected in problems_of(Path("data"), strict=True)


def test_check_sheet_without_contact_is_a_warning(
    write_yaml: Callable[[str, str], Path], data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(data_dir.parent)
    write_yaml("structures/ma-structure.yaml", "id: ma-structure\nnom: Structure\ndate_maj: 2026-11-01\n")
    write_yaml("fiches/ma-fiche.yaml", with_line("courriel: contact@example.org\n", ""))
    assert (
        f"{FICHE}:1:1: avertissement : aucun moyen de contact : renseignez telephone, courriel ou lien_mobilisation "
        "(ou ceux de la structure porteuse)"
    ) in problems_of(Path("data"), strict=True)


def test_cli_check_exit_codes_and_output(
    write_yaml: Callable[[str, str], Path],
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(data_dir.parent)
    write_yaml("fiches/ma-fiche.yaml", VALID_FICHE)
    assert main(["check", "--data", "data", "--content", str(ROOT / "content")]) == 0
    write_yaml("fiches/ma-fiche.yaml", with_line("type: atelier\n", "type: stage\n"))
    assert main(["check", "--data", "data", "--content", str(ROOT / "content")]) == 1
    assert capsys.readouterr().out.startswith(f"{FICHE}:4:7: « type » : valeur « stage » non permise")


def test_cli_check_freshness_limit_is_configurable(
    write_yaml: Callable[[str, str], Path], data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(data_dir.parent)
    write_yaml("fiches/ma-fiche.yaml", with_line("date_maj: 2026-11-01\n", "date_maj: 2024-01-01\n"))
    args = ["check", "--data", "data", "--content", str(ROOT / "content"), "--strict"]
    assert main(args) == 1
    assert main([*args, "--fraicheur", "60"]) == 0


def test_cli_check_real_content_passes_strict() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "generator", "check", "--strict"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout
    assert result.stdout == ""


def test_check_reports_references_of_a_file_with_other_errors(
    write_yaml: Callable[[str, str], Path], data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(data_dir.parent)
    text = with_line("type: atelier\n", "type: stage\n").replace("[valenciennes]", "[valencienne]")
    write_yaml("fiches/ma-fiche.yaml", text)
    found = problems_of(Path("data"))
    assert [p.split(": ")[0] for p in found] == [f"{FICHE}:4:7", f"{FICHE}:9:15"]
