"""The OpenRosa server (ODK Collect, KoBoCollect, Enketo): form list, form download,
manifest, media, submission; each also under /key/{token}, where a phone's key signs it in.

These are plain Starlette routes, outside the OpenAPI schema and the JSON API's access
declarations: OpenRosa answers 401 with Digest/Basic challenges (not a login redirect) and
refuses requests without X-OpenRosa-Version. tests/integration/test_openrosa.py walks these
routes with every role instead.
"""

from __future__ import annotations

from fastapi import APIRouter

from vigil.web.openrosa import catalogue
from vigil.web.openrosa.submission import submission

router = APIRouter()

for prefix in ("", "/key/{token}"):
    router.add_route(f"{prefix}/formList", catalogue.form_list, ["GET"], include_in_schema=False)
    router.add_route(
        f"{prefix}/forms/{{form_id}}/{{version}}.xml",
        catalogue.form_xml,
        ["GET"],
        include_in_schema=False,
    )
    router.add_route(
        f"{prefix}/forms/{{form_id}}/{{version}}/manifest",
        catalogue.manifest,
        ["GET"],
        include_in_schema=False,
    )
    router.add_route(
        f"{prefix}/forms/{{form_id}}/{{version}}/media/{{name}}",
        catalogue.media,
        ["GET"],
        include_in_schema=False,
    )
    router.add_route(
        f"{prefix}/submission", submission, ["HEAD", "GET", "POST"], include_in_schema=False
    )
