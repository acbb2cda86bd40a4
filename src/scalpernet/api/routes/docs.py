"""GET /docs: Swagger UI over the OpenAPI document, served from this server.

The Swagger UI files come from the pinned ``swagger-ui-bundle`` package (Swagger UI
4.15.5), so the page works on an intranet without internet access and loads nothing from
elsewhere; its start-up script is a file here too, so the page's policy allows only this
server's own scripts.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

router = APIRouter(include_in_schema=False)
ASSETS = "/docs/assets"
DOCS_CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
            "frame-ancestors 'none'")

_PAGE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>ScalperNet Investigator API</title>
<link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
<link rel="icon" type="image/png" href="{ASSETS}/favicon-32x32.png">
</head><body><div id="swagger-ui"></div>
<script src="{ASSETS}/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body></html>
"""

_INIT = """window.ui = SwaggerUIBundle({
  url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis], layout: "BaseLayout",
  persistAuthorization: false, queryConfigEnabled: false, validatorUrl: null
});
"""


@router.get("/docs")
async def swagger_ui() -> Response:
    """The interactive API documentation."""
    return HTMLResponse(_PAGE, headers={"Content-Security-Policy": DOCS_CSP})


@router.get("/docs/init.js")
async def swagger_init() -> Response:
    return Response(_INIT, media_type="text/javascript")


def mount_assets(app: FastAPI) -> None:
    """Serve the Swagger UI files of the installed package under /docs/assets."""
    app.mount(ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="swagger-ui")
