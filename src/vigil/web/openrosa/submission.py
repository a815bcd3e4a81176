"""POST /submission as ODK Collect, KoBoCollect and Enketo send it (multipart with
xml_submission_file, the files it names, and *isIncomplete* on all but the last part of a
split submission), and the HEAD probe that comes before."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import BinaryIO

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response

from vigil.errors import VigilError
from vigil.formats.openrosa import response_xml
from vigil.services.openrosa_access import PhoneCaller
from vigil.services.submissions import Receipt, SubmissionRules, receive_submission
from vigil.web.openrosa.common import database, phone, settings
from vigil.web.openrosa.responses import no_content, xml_response

XML_PART = "xml_submission_file"
INCOMPLETE_PART = "*isIncomplete*"
MAX_XML_BYTES = 10 * 1024 * 1024  # a submission's XML is a few kilobytes; files come apart
MAX_PARTS = 1000


async def submission(request: Request) -> Response:
    """HEAD or GET: the probe (204 and the size the server takes); POST: a submission."""
    caller = await phone(request)
    limit = settings(request).max_upload_bytes
    if request.method in ("HEAD", "GET"):
        return no_content(limit)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "multipart/form-data":
        raise VigilError(
            "unsupported_media_type",
            f"send the submission as multipart/form-data with an {XML_PART} part",
        )
    form = await request.form(max_files=MAX_PARTS, max_fields=MAX_PARTS)
    try:
        xml, files, incomplete = await _parts(form)
        receipt = await run_in_threadpool(_receive, request, caller, xml, files, incomplete)
    finally:
        await form.close()
    body = response_xml(message(receipt), "submit_success")
    return xml_response(body, 201, limit)


async def _parts(form: FormData) -> tuple[bytes, list[tuple[str, BinaryIO]], bool]:
    """The XML, the attached files by name, and whether more parts are to come."""
    xmls: list[bytes] = []
    files: list[tuple[str, BinaryIO]] = []
    incomplete = False
    for key, value in form.multi_items():
        if key == XML_PART:
            xmls.append(await _read_xml(value))
        elif key == INCOMPLETE_PART:
            text = value if isinstance(value, str) else (await value.read(16)).decode("latin-1")
            incomplete = text.strip().lower() == "yes"
        elif isinstance(value, UploadFile):
            await value.seek(0)
            files.append((_file_name(key, value), value.file))
    if len(xmls) != 1:
        raise VigilError(
            "malformed_request",
            f"a submission has exactly one {XML_PART} part (this one has {len(xmls)})",
        )
    return xmls[0], files, incomplete


async def _read_xml(value: UploadFile | str) -> bytes:
    data = value.encode("utf-8") if isinstance(value, str) else await value.read(MAX_XML_BYTES + 1)
    if len(data) > MAX_XML_BYTES:
        raise VigilError("body_too_large", f"the submission XML exceeds {MAX_XML_BYTES} bytes")
    return data


def _file_name(key: str, value: UploadFile) -> str:
    """The name the XML knows the file by: the part's file name (Collect and Enketo set it
    to the part's name too), without any folder a browser may have put in front."""
    name = (value.filename or key).replace("\\", "/")
    return PurePosixPath(name).name or key


def _receive(
    request: Request,
    caller: PhoneCaller,
    xml: bytes,
    files: list[tuple[str, BinaryIO]],
    incomplete: bool,
) -> Receipt:
    rules = SubmissionRules.of(settings(request))
    with database(request).writing() as session:
        return receive_submission(
            session, caller.principal, caller.device_id, xml, files, incomplete, rules
        )


def message(receipt: Receipt) -> str:
    """What the phone shows the monitor: what was stored, what is still to come."""
    if receipt.created:
        said = f"Observation {receipt.observation_id} received (instance {receipt.instance_id})."
    else:
        added = len(receipt.attached)
        said = f"Instance {receipt.instance_id} was received before; {added} new file(s) added."
    if receipt.replaced:
        said += f" It replaces instance {receipt.replaced}, which is kept."
    if receipt.missing:
        said += f" Still to come: {', '.join(receipt.missing)}."
    if receipt.ignored:
        said += f" Ignored (the form does not name them): {', '.join(receipt.ignored)}."
    return said
