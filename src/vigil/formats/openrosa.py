"""OpenRosa XML that Vigil sends: the form list, a form's manifest, and the response envelope.

Shapes follow the OpenRosa Form List, Form Submission and HTTP Request specs as ODK Collect,
KoBoCollect and Enketo read them. Built with ElementTree, so every value is escaped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from xml.etree import ElementTree as ET

XFORMS_LIST_NS = "http://openrosa.org/xforms/xformsList"
MANIFEST_NS = "http://openrosa.org/xforms/xformsManifest"
RESPONSE_NS = "http://openrosa.org/http/response"
# Vigil's own payload in an error envelope: the problem code and the fields it names.
PROBLEM_NS = "urn:vigil:problem"
XML_CONTENT_TYPE = "text/xml; charset=utf-8"


@dataclass(frozen=True)
class FormEntry:
    """One <xform> of the form list."""

    form_id: str
    name: str
    version: str
    md5: str
    download_url: str
    manifest_url: str | None = None


@dataclass(frozen=True)
class MediaEntry:
    """One <mediaFile> of a manifest."""

    filename: str
    md5: str
    download_url: str


def _child(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = text
    return element


def _document(root: ET.Element) -> bytes:
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def form_list_xml(entries: Iterable[FormEntry]) -> bytes:
    """The OpenRosa form list (`<xforms>`); manifestUrl only for forms with media files."""
    root = ET.Element("xforms", {"xmlns": XFORMS_LIST_NS})
    for entry in entries:
        xform = ET.SubElement(root, "xform")
        _child(xform, "formID", entry.form_id)
        _child(xform, "name", entry.name or entry.form_id)
        _child(xform, "version", entry.version)
        _child(xform, "hash", f"md5:{entry.md5}")
        _child(xform, "downloadUrl", entry.download_url)
        if entry.manifest_url:
            _child(xform, "manifestUrl", entry.manifest_url)
    return _document(root)


def manifest_xml(files: Iterable[MediaEntry]) -> bytes:
    """The manifest of a form version: each media file with its md5 and where to get it."""
    root = ET.Element("manifest", {"xmlns": MANIFEST_NS})
    for media in files:
        item = ET.SubElement(root, "mediaFile")
        _child(item, "filename", media.filename)
        _child(item, "hash", f"md5:{media.md5}")
        _child(item, "downloadUrl", media.download_url)
    return _document(root)


def response_xml(
    message: str,
    nature: str,
    code: str | None = None,
    status: int | None = None,
    fields: Sequence[tuple[str, str]] = (),
) -> bytes:
    """The OpenRosaResponse envelope; errors carry a payload naming the code and fields."""
    root = ET.Element("OpenRosaResponse", {"xmlns": RESPONSE_NS})
    _child(root, "message", message).set("nature", nature)
    if code is not None:
        attrs = {"xmlns": PROBLEM_NS, "code": code}
        if status is not None:
            attrs["status"] = str(status)
        problem = ET.SubElement(root, "problem", attrs)
        for name, text in fields:
            _child(problem, "field", text).set("name", name)
    return _document(root)
