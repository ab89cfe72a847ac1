"""« Le plan en chiffres »: horizontal bar charts drawn at build time (SVG), each followed by its data table."""

from __future__ import annotations

from pathlib import Path

from generator.escape import Markdown, markdown, url
from generator.schema import ChiffresFile, Graphique


def _fmt(value: float, unite: str) -> str:
    text = f"{value:,.0f}".replace(",", "\u202f") if value == int(value) else f"{value:.1f}".replace(".", ",")
    return f"{text} %" if unite == "%" else text


def draw(graphique: Graphique, out: Path) -> None:
    """Write one chart as SVG (matplotlib is imported here: it is slow to import and only needed here)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # Deterministic SVG: same ids and no creation date, so rebuilding does not change the files.
    matplotlib.rcParams.update({"svg.hashsalt": "partaj", "font.family": "DejaVu Sans", "font.size": 10})
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


def draw_all(chiffres: ChiffresFile, folder: Path) -> None:
    """Draw every chart as `folder/<id>.svg`."""
    folder.mkdir(parents=True, exist_ok=True)
    for graphique in chiffres.graphiques:
        draw(graphique, folder / f"{graphique.id}.svg")


def chiffres_markdown(chiffres: ChiffresFile) -> Markdown:
    """The Markdown of « Le plan en chiffres »: each chart (an SVG beside the page) followed by its table.

    The images are raw HTML so that MkDocs does not look for them among the docs: they are drawn in another
    process during the MkDocs build and copied next to the page afterwards. Titles, labels and units are
    escaped as text (`Markdown.format`), notes are contributor Markdown.
    """
    parts = []
    for graphique in chiffres.graphiques:
        rows = Markdown("\n").join(
            Markdown("| {} | {} |").format(v.libelle, _fmt(v.valeur, graphique.unite))
            for v in graphique.valeurs
        )
        note = Markdown("\n\n{}").format(markdown(graphique.note)) if graphique.note else ""
        alt = f"{graphique.titre} : graphique en barres, les valeurs sont dans le tableau qui suit"
        parts.append(
            Markdown(
                "## {titre}\n\n"
                '<figure class="partaj-chiffre"><img src="{src}" alt="{alt}" width="720"></figure>\n\n'
                "| {titre} | {unite} |\n|---|---|\n{rows}{note}\n"
            ).format(
                titre=graphique.titre,
                src=url(f"{graphique.id}.svg"),
                alt=alt,
                unite=graphique.unite,
                rows=rows,
                note=note,
            )
        )
    source = chiffres.source
    parts.append(Markdown("Source : [{}]({}).\n").format(source.titre, url(source.url)))
    return Markdown("\n").join(parts)
