"""« Le plan en chiffres »: horizontal bar charts drawn at build time (SVG), each followed by its data table."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from generator.schema import ChiffresFile, Graphique  # noqa: E402

# Deterministic SVG: same ids and no creation date, so rebuilding does not change the files.
matplotlib.rcParams.update({"svg.hashsalt": "partaj", "font.family": "DejaVu Sans", "font.size": 10})


def _fmt(value: float, unite: str) -> str:
    text = f"{value:,.0f}".replace(",", "\u202f") if value == int(value) else f"{value:.1f}".replace(".", ",")
    return f"{text} %" if unite == "%" else text


def draw(graphique: Graphique, out: Path) -> None:
    """Write one chart as SVG."""
    labels = [v.libelle for v in graphique.valeurs][::-1]
    values = [v.valeur for v in graphique.valeurs][::-1]
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(values) + 1.1))
    bars = ax.barh(labels, values, color="#3f51b5")
    ax.bar_label(bars, labels=[_fmt(v, graphique.unite) for v in values], padding=3)
    ax.set_xlabel(graphique.unite)
    ax.spines[["top", "right"]].set_visible(False)
    ax.margins(x=0.18)
    fig.tight_layout()
    fig.savefig(out, format="svg", metadata={"Date": None})
    plt.close(fig)


def render_chiffres(chiffres: ChiffresFile, docs: Path) -> str:
    """Draw every chart under `docs/chiffres/` and return the Markdown that shows them with their tables."""
    folder = docs / "chiffres"
    folder.mkdir(parents=True, exist_ok=True)
    parts = []
    for graphique in chiffres.graphiques:
        draw(graphique, folder / f"{graphique.id}.svg")
        rows = "\n".join(f"| {v.libelle} | {_fmt(v.valeur, graphique.unite)} |" for v in graphique.valeurs)
        note = f"\n\n{graphique.note}" if graphique.note else ""
        parts.append(
            f"## {graphique.titre}\n\n"
            f'<figure class="partaj-chiffre" markdown>\n'
            f"![{graphique.titre} (les valeurs sont dans le tableau qui suit)](chiffres/{graphique.id}.svg)\n"
            f"</figure>\n\n"
            f"| {graphique.titre} | {graphique.unite} |\n|---|---|\n{rows}{note}\n"
        )
    source = chiffres.source
    parts.append(f"Source : [{source.titre}]({source.url}).\n")
    return "\n".join(parts)
