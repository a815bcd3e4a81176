"""The OpenRosa form list, form download, manifest and media files (what Collect's "Download
form" and Enketo read)."""

from __future__ import annotations

from functools import partial
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from vigil.errors import VigilError
from vigil.formats.openrosa import FormEntry, MediaEntry, form_list_xml, manifest_xml
from vigil.services import openrosa_forms
from vigil.services.forms import FormRules
from vigil.services.openrosa_access import PhoneCaller
from vigil.store.blobs import BlobStore
from vigil.web.openrosa.common import base_url, database, form_path, phone, settings
from vigil.web.openrosa.responses import openrosa_headers, xml_response


def _list(request: Request, caller: PhoneCaller, form_id: str | None) -> bytes:
    """The form list; a writing transaction, since listing may generate a new version."""
    rules = FormRules.of(settings(request))
    with database(request).writing() as session:
        forms = openrosa_forms.list_forms(session, caller.principal, rules, form_id)
    base = base_url(request)
    entries = [
        FormEntry(
            form_id=f.form_id,
            name=f.title,
            version=f.version,
            md5=f.md5,
            download_url=f"{base}{form_path(f.form_id, f.version)}.xml",
            manifest_url=f"{base}{form_path(f.form_id, f.version)}/manifest"
            if f.has_media
            else None,
        )
        for f in forms
    ]
    return form_list_xml(entries)


async def form_list(request: Request) -> Response:
    """GET /formList (?formID= narrows it to one form, as Enketo asks)."""
    caller = await phone(request)
    wanted = request.query_params.get("formID") or None
    return xml_response(await run_in_threadpool(_list, request, caller, wanted))


async def form_xml(request: Request) -> Response:
    """GET /forms/{form_id}/{version}.xml: the XForm whose MD5 the list gave."""
    caller = await phone(request)
    form_id, version = request.path_params["form_id"], request.path_params["version"]

    def read() -> str:
        with database(request).reading() as session:
            return openrosa_forms.form_xml(session, caller.principal, form_id, version)

    text = await run_in_threadpool(read)
    return xml_response(text.encode("utf-8"))


async def manifest(request: Request) -> Response:
    """GET /forms/{form_id}/{version}/manifest: the version's media files."""
    caller = await phone(request)
    form_id, version = request.path_params["form_id"], request.path_params["version"]

    def read() -> list[MediaEntry]:
        with database(request).reading() as session:
            files = openrosa_forms.manifest(session, caller.principal, form_id, version)
            where = f"{base_url(request)}{form_path(form_id, version)}/media/"
            return [MediaEntry(m.name, m.md5, where + quote(m.name, safe="")) for m in files]

    return xml_response(manifest_xml(await run_in_threadpool(read)))


async def media(request: Request) -> Response:
    """GET /forms/{form_id}/{version}/media/{name}: one media file, as stored."""
    caller = await phone(request)
    params = request.path_params
    find = partial(
        openrosa_forms.media_file,
        who=caller.principal,
        form_id=params["form_id"],
        version=params["version"],
        name=params["name"],
    )

    def read() -> tuple[str, str]:
        with database(request).reading() as session:
            file = find(session)
            return file.sha256, file.media_type

    sha256, media_type = await run_in_threadpool(read)
    path = BlobStore.of(settings(request)).path(sha256)
    if not path.is_file():
        raise VigilError("not_found", f"the file {params['name']!r} is missing from the store")
    return FileResponse(path, media_type=media_type, headers=openrosa_headers())
