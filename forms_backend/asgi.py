"""The ASGI application built from the `PARTAJ_*` environment (for `uvicorn forms_backend.asgi:app`)."""

from forms_backend.app import create_app, settle_memory
from forms_backend.settings import Settings

app = create_app(Settings.from_env())
settle_memory()
