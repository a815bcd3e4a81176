"""XML for GPX and KML imports: parsed only with defusedxml, HTML recognised and refused."""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element, ParseError

from defusedxml import (
    DefusedXmlException,
    DTDForbidden,
    EntitiesForbidden,
    ExternalReferenceForbidden,
)
from defusedxml.ElementTree import fromstring

from vigil.errors import VigilError

VIGIL_NS = "urn:vigil:observation:1"  # GPX <extensions> and KML elements in this namespace
# A web page: after any XML declaration, comments and blanks, an HTML doctype or <html> tag.
_HTML = re.compile(
    rb"\A(?:\s|<\?xml[^>]*>|<!--.*?-->)*<(?:!doctype\s+html|html[\s>])", re.IGNORECASE | re.DOTALL
)


def looks_like_html(data: bytes) -> bool:
    """True for a web page (a login page or an error page saved under another name)."""
    return bool(_HTML.match(data[:4096].removeprefix(b"\xef\xbb\xbf")))


def parse_xml(data: bytes, what: str) -> Element:
    """The root element; no DTD, entity or external reference is ever expanded."""
    if looks_like_html(data):
        raise VigilError("unsupported_file_type", f"this is HTML (a web page), not {what}")
    try:
        return fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DTDForbidden as exc:
        raise _forbidden(what, "declares a DTD (<!DOCTYPE ...>)") from exc
    except EntitiesForbidden as exc:
        raise _forbidden(what, f"declares the entity {exc.name!r}") from exc
    except ExternalReferenceForbidden as exc:
        raise _forbidden(what, f"refers to the external resource {exc.sysid!r}") from exc
    except DefusedXmlException as exc:
        raise _forbidden(what, f"uses a forbidden XML construct ({exc})") from exc
    except ParseError as exc:
        raise VigilError("malformed_xml", f"the {what} file is not well-formed XML: {exc}") from exc


def _forbidden(what: str, cause: str) -> VigilError:
    return VigilError(
        "malformed_xml",
        f"the {what} file {cause}: refused, since DTDs and entities carry XML bombs and "
        "external entity attacks (XXE); remove the declaration",
    )


def local(tag: object) -> str:
    """An element's name without its namespace: {http://...}wpt -> wpt."""
    return str(tag).rsplit("}", 1)[-1]


def namespace(tag: object) -> str:
    """An element's namespace URI ('' for none)."""
    text = str(tag)
    return text[1:].split("}", 1)[0] if text.startswith("{") else ""


def child_text(element: Element, name: str) -> str:
    """The text of the first direct child of that local name ('' if none)."""
    for child in element:
        if local(child.tag) == name:
            return "".join(child.itertext()).strip()
    return ""


def check_root(root: Element, name: str, what: str) -> None:
    """Refuse XML of another kind (an SVG, an XForm) given as GPX or KML."""
    if local(root.tag) != name:
        raise VigilError(
            "unsupported_file_type", f"this is XML with a <{local(root.tag)}> root, not {what}"
        )
