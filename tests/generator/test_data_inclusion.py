"""`python -m generator import-data-inclusion` on feeds written here, record by record, with the real
data·inclusion v1 models: formats, validation, location, filters, idempotence, changes, removals,
corrections, unreadable files and an import killed while it writes."""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from data_inclusion.schema import v1 as di

from generator.catalogue import load_catalogue
from generator.cli import main
from tests.conftest import ROOT

TODAY = "2026-11-30"
SERVICES = Path("importes/data-inclusion/services")
STRUCTURES = Path("importes/data-inclusion/structures")


def structure(i: int, **changes: Any) -> dict[str, Any]:
    """A fictional structure, validated by the official model."""
    record = {
        "source": "essai",
        "id": f"essai--structure-{i}",
        "nom": f"Structure fictive {i}",
        "date_maj": "2026-10-01",
        "siret": None,
        "adresse": f"{i} rue de l'Exemple",
        "code_postal": "59300",
        "commune": "Valenciennes",
        "courriel": f"structure-{i}@example.org",
        "site_web": f"https://structure-{i}.example.org/",
        "horaires_accueil": "Mo-Fr 09:00-12:00",
        **changes,
    }
    di.Structure.model_validate(record)
    return record


def service(i: int, structure_id: int = 0, **changes: Any) -> dict[str, Any]:
    """A fictional service of the feed (kept by default: Valenciennes, jeunes, remobilisation)."""
    invalid = changes.pop("invalid", False)
    record = {
        "source": "essai",
        "structure_id": f"essai--structure-{structure_id}",
        "id": f"essai--service-{i}",
        "nom": f"Atelier fictif {i} de remobilisation",
        "description": f"Atelier fictif numéro {i} pour reprendre confiance et construire un projet.",
        "date_maj": "2026-10-15",
        "type": "atelier",
        "thematiques": ["remobilisation--bien-etre-confiance-en-soi"],
        "publics": ["jeunes"],
        "code_insee": "59606",
        "lien_source": f"https://fiches.example.org/services/{i}",
        **changes,
    }
    if invalid:
        with pytest.raises(ValueError):
            di.Service.model_validate(record)
    else:
        di.Service.model_validate(record)
    return record


def feed(
    folder: Path, services: list[dict[str, Any]], structures: list[dict[str, Any]], lines: bool = True
) -> list[str]:
    """Write the two files (JSON Lines, else a JSON array); the CLI arguments naming them."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, records in (("services", services), ("structures", structures)):
        path = folder / f"{name}.{'jsonl' if lines else 'json'}"
        if lines:
            path.write_text(
                "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
            )
        else:
            path.write_text(json.dumps(records, ensure_ascii=False, indent=1), encoding="utf-8")
        paths += [f"--{name}", str(path)]
    return paths


ImportRun = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run_import(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> ImportRun:
    """Run the real command on the scratch data folder; (exit code, stdout, stderr)."""

    def run(files: list[str], *options: str) -> tuple[int, str, str]:
        code = main(["import-data-inclusion", "--data", str(data_dir), "--date", TODAY, *files, *options])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def tree(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file under `folder`: (sha256, mtime in ns), by relative path."""
    return {
        str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def sheets(data_dir: Path) -> dict[str, dict[str, Any]]:
    """The written service sheets, by feed id."""
    out = {}
    for path in sorted((data_dir / SERVICES).glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        out[data["provenance"]["id"]] = data
    return out


def test_import_json_array_and_json_lines_give_the_same_files(tmp_path: Path, data_dir: Path) -> None:
    records = [service(1), service(2, structure_id=1)], [structure(0), structure(1)]
    trees = []
    for lines in (True, False):
        data = tmp_path / f"data-{lines}"
        data.mkdir()
        for name in ("nomenclatures.yaml", "territoires.yaml", "communes.json"):
            (data / name).write_bytes((data_dir / name).read_bytes())
        files = feed(tmp_path / f"feed-{lines}", *records, lines=lines)
        assert main(["import-data-inclusion", "--data", str(data), "--date", TODAY, *files]) == 0
        trees.append({k: v[0] for k, v in tree(data / "importes").items()})
    assert trees[0] == trees[1]
    assert len(trees[0]) == 4


def test_import_locates_by_insee_code_postal_code_then_zone(
    tmp_path: Path, data_dir: Path, run_import: ImportRun
) -> None:
    services = [
        service(1, code_insee="59606"),  # Valenciennes
        service(2, code_insee=None, code_postal="62300", commune="Lens"),  # Lens, not Éleu-dit-Leauwette
        service(3, code_insee=None, zone_eligibilite=["246200364"]),  # CA de Lens-Liévin (EPCI)
        service(4, code_insee=None, zone_eligibilite=["59512"]),  # Roubaix
        service(5, code_insee=None, code_postal="62000"),  # Arras
    ]
    code, out, _ = run_import(feed(tmp_path, services, [structure(0)]))
    assert code == 0
    located = {feed_id: data["territoires"] for feed_id, data in sheets(data_dir).items()}
    assert located == {
        "essai--service-1": ["valenciennes"],
        "essai--service-2": ["lens-lievin-henin-carvin"],
        "essai--service-3": ["lens-lievin-henin-carvin"],
        "essai--service-4": ["roubaix-tourcoing"],
        "essai--service-5": ["arras"],
    }
    assert "localisé par code_insee : 1" in out
    assert "localisé par code_postal : 2" in out
    assert "localisé par zone_eligibilite : 2" in out


def test_import_zone_of_a_departement_reaches_its_territories(
    tmp_path: Path, data_dir: Path, run_import: ImportRun
) -> None:
    code, _, _ = run_import(
        feed(tmp_path, [service(1, code_insee=None, zone_eligibilite=["62"])], [structure(0)])
    )
    assert code == 0
    (sheet,) = sheets(data_dir).values()
    expected = {"arras", "bethune-bruay", "lens-lievin-henin-carvin", "hors-territoires"}
    assert expected <= set(sheet["territoires"])
    assert not {"valenciennes", "roubaix-tourcoing", "sambre-avesnois"} & set(sheet["territoires"])


def test_import_leaves_out_services_outside_the_covered_departements(
    tmp_path: Path, data_dir: Path, run_import: ImportRun
) -> None:
    services = [
        service(1, code_insee="75056"),
        service(2, code_insee=None, code_postal="69001"),
        service(3, code_insee=None, zone_eligibilite=["75"]),
        service(4, code_insee=None, zone_eligibilite=["france"]),
        service(5),
    ]
    code, out, _ = run_import(feed(tmp_path, services, [structure(0)]))
    assert code == 0
    assert list(sheets(data_dir)) == ["essai--service-5"]
    assert "écarté : 3 hors des départements couverts" in out
    assert "écarté : 1 ni commune ni zone d'éligibilité locale" in out
    assert out.splitlines()[-1] == "5 lus, 1 gardés, 1 ajoutés, 0 modifiés, 0 retirés, 0 rejetés"


def test_import_reports_invalid_records_and_goes_on(
    tmp_path: Path, data_dir: Path, run_import: ImportRun
) -> None:
    services = [
        service(1),
        service(2, nom="AB", invalid=True),
        service(3, publics=["jeunes", "martiens"], invalid=True),
        service(4, structure_id=9),
        service(5, type=None),
        service(6, structure_id=1),
        ["pas", "un", "objet"],
    ]
    bad_structure = {**structure(1), "siret": "123"}  # not a SIRET
    code, out, _ = run_import(feed(tmp_path, services, [structure(0), bad_structure]))
    assert code == 0
    assert list(sheets(data_dir)) == ["essai--service-1"]
    lines = out.splitlines()
    assert (
        "rejeté : essai / essai--service-2 : invalide selon data-inclusion-schema v1 : « nom » : texte trop court, "
        "au moins 3 caractères attendus"
    ) in lines
    assert (
        "rejeté : essai / essai--service-3 : invalide selon data-inclusion-schema v1 : « publics[1] » : valeur "
        "« martiens » inconnue du schéma data·inclusion"
    ) in lines
    assert (
        "rejeté : essai / essai--service-4 : structure essai--structure-9 absente du fichier des structures"
        in lines
    )
    assert (
        "rejeté : essai / essai--service-5 : champ(s) type absent(s) : le guide classe chaque fiche par type, "
        "thématique et public"
    ) in lines
    assert any(
        line.startswith("rejeté : essai / essai--service-6 : structure essai--structure-1 invalide")
        and "siret" in line
        for line in lines
    )
    assert "rejeté : ? / ? : enregistrement qui n'est pas un objet JSON" in lines
    assert lines[-1] == "7 lus, 1 gardés, 1 ajoutés, 0 modifiés, 0 retirés, 6 rejetés"


def test_import_filters_publics_and_thematiques(
    tmp_path: Path, data_dir: Path, run_import: ImportRun
) -> None:
    services = [
        service(1),
        service(2, publics=["seniors"]),
        service(3, thematiques=["numerique--acquerir-un-equipement"]),
        service(4, publics=["tous-publics"], thematiques=["mobilite--preparer-un-permis"]),
    ]
    files = feed(tmp_path, services, [structure(0)])
    code, out, _ = run_import(files)
    assert code == 0
    assert sorted(sheets(data_dir)) == ["essai--service-1", "essai--service-4"]
    assert "écarté : 1 publics hors du filtre --publics" in out
    assert "écarté : 1 thématiques hors du filtre --thematiques" in out
    code, out, _ = run_import(files, "--publics", "", "--thematiques", "numerique")
    assert sorted(sheets(data_dir)) == ["essai--service-3"]
    assert out.splitlines()[-1] == "4 lus, 1 gardés, 1 ajoutés, 0 modifiés, 2 retirés, 0 rejetés"


def test_import_writes_provenance_structure_and_schema_comment(
    tmp_path: Path, data_dir: Path, run_import: ImportRun
) -> None:
    run_import(feed(tmp_path, [service(1)], [structure(0)]))
    (path,) = (data_dir / SERVICES).glob("*.yaml")
    text = path.read_text(encoding="utf-8")
    assert text.startswith(
        "# yaml-language-server: $schema=../../../../schemas/service-importe.schema.json\n"
    )
    data = yaml.safe_load(text)
    assert data["provenance"] == {
        "flux": "data·inclusion",
        "source": "essai",
        "id": "essai--service-1",
        "structure_id": "essai--structure-0",
        "lien_source": "https://fiches.example.org/services/1",
        "date_maj": datetime.date(2026, 10, 15),
        "importe_le": datetime.date(2026, 11, 30),
    }
    (structure_path,) = (data_dir / STRUCTURES).glob("*.yaml")
    assert data["porteur"] == structure_path.stem
    kept = yaml.safe_load(structure_path.read_text(encoding="utf-8"))
    assert kept["nom"] == "Structure fictive 0"
    assert kept["horaires_accueil"] == "Mo-Fr 09:00-12:00"
    assert "telephone" not in kept and "siret" not in kept  # never completed


def test_import_second_run_touches_no_file(tmp_path: Path, data_dir: Path, run_import: ImportRun) -> None:
    files = feed(tmp_path / "feed", [service(i) for i in range(5)], [structure(0)])
    run_import(files)
    before = tree(data_dir)
    code, out, _ = run_import(files)
    # Even on another day, unchanged records keep their bytes (and their import date).
    main(["import-data-inclusion", "--data", str(data_dir), "--date", "2026-12-15", *files])
    assert code == 0
    assert tree(data_dir) == before
    assert out.splitlines()[-1] == "5 lus, 5 gardés, 0 ajoutés, 0 modifiés, 0 retirés, 0 rejetés"


def test_import_changed_record_rewrites_only_its_file(
    tmp_path: Path, data_dir: Path, run_import: ImportRun
) -> None:
    services = [service(i) for i in range(4)]
    run_import(feed(tmp_path / "v1", services, [structure(0)]))
    before = tree(data_dir)
    services[2] = service(2, nom="Atelier fictif renommé", date_maj="2026-11-20")
    code, out, _ = run_import(feed(tmp_path / "v2", services, [structure(0)]))
    after = tree(data_dir)
    changed = sorted(k for k in after if after[k] != before.get(k))
    assert code == 0
    assert len(changed) == 1 and changed[0].startswith(str(SERVICES / "essai-service-2-"))
    assert sheets(data_dir)["essai--service-2"]["nom"] == "Atelier fictif renommé"
    assert out.splitlines()[-1] == "4 lus, 4 gardés, 0 ajoutés, 1 modifiés, 0 retirés, 0 rejetés"


def test_import_vanished_record_is_removed_with_its_structure(
    tmp_path: Path, data_dir: Path, run_import: ImportRun
) -> None:
    run_import(feed(tmp_path / "v1", [service(1), service(2, structure_id=1)], [structure(0), structure(1)]))
    code, out, _ = run_import(feed(tmp_path / "v2", [service(1)], [structure(0), structure(1)]))
    assert code == 0
    assert list(sheets(data_dir)) == ["essai--service-1"]
    assert len(list((data_dir / STRUCTURES).glob("*.yaml"))) == 1
    removed = [line for line in out.splitlines() if line.startswith("retiré : ")]
    assert len(removed) == 1 and "essai--service-2 : absent du flux" in removed[0]
    assert out.splitlines()[-1] == "1 lus, 1 gardés, 0 ajoutés, 0 modifiés, 1 retirés, 0 rejetés"


CORRECTIONS = """\
date_maj: 2026-11-29
corrections:
  - source: essai
    id: essai--service-2
    masquer: true
    raison: Service fermé en novembre 2026 (appel de la CTL de Valenciennes)
  - source: essai
    id: essai--service-3
    raison: Numéro direct donné par la structure
    champs:
      telephone: "03 27 00 00 00"
      volet: [reparation]
"""


def test_import_respects_the_corrections_file(tmp_path: Path, data_dir: Path, run_import: ImportRun) -> None:
    files = feed(tmp_path, [service(1), service(2), service(3)], [structure(0)])
    run_import(files)
    assert len(sheets(data_dir)) == 3
    (data_dir / "importes" / "data-inclusion-corrections.yaml").write_text(CORRECTIONS, encoding="utf-8")
    code, out, _ = run_import(files)
    assert code == 0
    kept = sheets(data_dir)
    assert sorted(kept) == ["essai--service-1", "essai--service-3"]
    assert kept["essai--service-3"]["telephone"] == "03 27 00 00 00"
    assert kept["essai--service-3"]["volet"] == ["reparation"]
    assert kept["essai--service-3"]["provenance"]["corrige"] is True
    assert "écarté : 1 masqué par une correction locale" in out
    assert out.splitlines()[-1] == "3 lus, 2 gardés, 0 ajoutés, 1 modifiés, 1 retirés, 0 rejetés"
    catalogue = load_catalogue(data_dir, ROOT / "content")
    assert catalogue.errors == []


def test_check_reports_a_wrong_correction_at_its_line(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (data_dir / "importes").mkdir()
    wrong = CORRECTIONS.replace("volet: [reparation]", "volet: [apres]").replace("telephone:", "telefone:")
    (data_dir / "importes" / "data-inclusion-corrections.yaml").write_text(wrong, encoding="utf-8")
    assert main(["check", "--data", str(data_dir), "--content", str(ROOT / "content")]) == 1
    out = capsys.readouterr().out
    shown = os.path.relpath(data_dir / "importes" / "data-inclusion-corrections.yaml")
    assert (
        f"{shown}:11:7: « corrections[1].champs.telefone » : champ non corrigeable ; champs permis : nom,"
        in out
    )
    assert (
        f"{shown}:12:15: « corrections[1].champs.volet[0] » : valeur « apres » non permise ; valeurs permises : prevention, reparation"
        in out
    )


def test_import_refuses_while_the_corrections_file_is_wrong(
    tmp_path: Path, data_dir: Path, run_import: ImportRun
) -> None:
    (data_dir / "importes").mkdir()
    (data_dir / "importes" / "data-inclusion-corrections.yaml").write_text(
        "date_maj: 2026-11-29\ncorrections: oui\n", encoding="utf-8"
    )
    code, _, err = run_import(feed(tmp_path, [service(1)], [structure(0)]))
    assert code == 1
    assert "import impossible, corrigez d'abord les corrections locales" in err
    assert "data-inclusion-corrections.yaml:2:14: « corrections » : liste attendue" in err
    assert not (data_dir / SERVICES).exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "lecture impossible"),
        ('[{"source": "essai", "id": "essai--service-1"', "JSON invalide ou tronqué"),
        ('{"source": "essai"}\n{"source": \n', "ligne 2 : JSON invalide"),
        ("source;id;nom\nessai;essai--1;Atelier\n", "format non reconnu"),
        ("", "fichier vide"),
        (b'[{"nom": "\xff"}]', "encodage invalide"),
    ],
)
def test_import_unreadable_services_file_writes_nothing(
    tmp_path: Path, data_dir: Path, run_import: ImportRun, content: str | bytes | None, message: str
) -> None:
    files = feed(tmp_path / "ok", [service(1)], [structure(0)])
    run_import(files)
    before = tree(data_dir)
    broken = tmp_path / "services.json"
    if isinstance(content, bytes):
        broken.write_bytes(content)
    elif content is not None:
        broken.write_text(content, encoding="utf-8")
    code, out, err = run_import(["--services", str(broken), "--structures", files[3]])
    assert code == 1
    assert err.startswith("import impossible, rien n'a été écrit : ")
    assert message in err
    assert out == ""
    assert tree(data_dir) == before


def test_import_dry_run_counts_without_writing(tmp_path: Path, data_dir: Path, run_import: ImportRun) -> None:
    code, out, _ = run_import(feed(tmp_path, [service(1)], [structure(0)]), "--dry-run")
    assert code == 0
    assert (
        out.splitlines()[-1]
        == "1 lus, 1 gardés, 1 ajoutés, 0 modifiés, 0 retirés, 0 rejetés (essai à blanc : rien n'a été écrit)"
    )
    assert not (data_dir / "importes").exists()


# Run the real command in a child process that SIGKILLs itself at the n-th rename, the temporary file of that
# write already on disk: a crash in the middle of the writes.
_KILLER = """
import os, signal, sys
from generator.cli import main
calls, real = [0], os.replace
def replace(src, dst):
    calls[0] += 1
    if calls[0] == int(sys.argv[1]):
        os.kill(os.getpid(), signal.SIGKILL)
    real(src, dst)
os.replace = replace
sys.exit(main(sys.argv[2:]))
"""


def test_import_killed_while_writing_leaves_a_loadable_catalogue(
    tmp_path: Path, data_dir: Path, run_import: ImportRun
) -> None:
    structures = [structure(i) for i in range(6)]
    first = [service(i, structure_id=i % 3) for i in range(12)]
    run_import(feed(tmp_path / "v1", first, structures))
    # v2: every record changed, new structures and services, some gone.
    second = [service(i, structure_id=3 + i % 3, nom=f"Atelier fictif {i} modifié") for i in range(4, 20)]
    files = feed(tmp_path / "v2", second, structures)
    args = ["import-data-inclusion", "--data", str(data_dir), "--date", TODAY, *files]
    proc = subprocess.run(
        [sys.executable, "-c", _KILLER, "9", *args], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == -signal.SIGKILL
    leftovers = list((data_dir / SERVICES).glob(".*.tmp"))
    assert len(leftovers) == 1  # the interrupted write, never renamed
    catalogue = load_catalogue(data_dir, ROOT / "content")
    assert [p.format() for p in catalogue.errors] == []
    ids = {f.provenance.id for f in catalogue.fiches.values() if hasattr(f, "provenance")}
    assert {f"essai--service-{i}" for i in range(12)} <= ids  # nothing removed before every write was done
    code, out, _ = run_import(files)
    assert code == 0
    assert out.splitlines()[-1].endswith(" 4 retirés, 0 rejetés")  # services 0 to 3, left in v2
    assert sorted(sheets(data_dir)) == sorted(r["id"] for r in second)
    assert not list((data_dir / SERVICES).glob(".*.tmp"))
    assert load_catalogue(data_dir, ROOT / "content").errors == []


def test_check_warns_of_a_correction_that_matches_no_imported_service(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (data_dir / "importes").mkdir()
    path = data_dir / "importes" / "data-inclusion-corrections.yaml"
    path.write_text(CORRECTIONS, encoding="utf-8")
    assert main(["check", "--data", str(data_dir), "--content", str(ROOT / "content")]) == 0
    out = capsys.readouterr().out
    # The hidden service is never written: only the correction of essai--service-3 is orphaned.
    assert out.splitlines() == [
        f"{os.path.relpath(path)}:7:5: avertissement : « corrections[1] » : aucun service importé essai / "
        "essai--service-3 ; le service a quitté le flux ou n'est pas dans les départements couverts : "
        "supprimez cette correction"
    ]
