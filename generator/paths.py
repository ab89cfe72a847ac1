"""Where the guide's MkDocs configuration, overrides and assets are: generator/site_config/ in an installed wheel
(in a checkout, a symbolic link to the top-level site_config/), else the checkout's folder itself (link not
checked out). The backend serves one of these assets too (`quelle-ctl.js`, the commune name normaliser)."""

from __future__ import annotations

from pathlib import Path

_PACKAGED_SITE_CONFIG = Path(__file__).resolve().parent / "site_config"
SITE_CONFIG = (
    _PACKAGED_SITE_CONFIG
    if (_PACKAGED_SITE_CONFIG / "mkdocs.yml").is_file()
    else Path(__file__).resolve().parent.parent / "site_config"
)
COMMUNE_FINDER_JS = SITE_CONFIG / "assets" / "quelle-ctl.js"
