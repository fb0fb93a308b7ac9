"""Chalice entry point (Chalice requires `app.py` at the project root).

Routes live in `functions/` as blueprints, one module per route group; business rules live in `shared/`.
`make package` brings `functions/` and `shared/` into the deployment zip (Chalice itself only packages `app.py`,
`chalicelib/` and `vendor/`).
"""

from functions.http import create_app

app = create_app()
