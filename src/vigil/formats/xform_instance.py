"""Reading XForms and the instances phones submit, safely (defusedxml: no DTDs, no entities,
no external references), so an XML bomb or an XXE payload is refused before it expands."""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from vigil.errors import VigilError

XFORMS = "http://www.w3.org/2002/xforms"
XHTML = "http://www.w3.org/1999/xhtml"


@dataclass(frozen=True)
class Instance:
    """A submitted form instance: which form and version, its ids, and its leaf values."""

    form_id: str
    version: str | None
    instance_id: str
    deprecated_id: str | None
    values: dict[str, str]  # leaf elements by local name, in document order (first wins)
    root_tag: str


@dataclass(frozen=True)
class XFormInfo:
    """What an XForm definition says about itself: id, version, title and its fields."""

    form_id: str
    version: str | None
    title: str
    fields: dict[str, str]  # field name (last step of the bind's nodeset) -> bind type


def local(tag: str) -> str:
    """An element's name without its namespace."""
    return tag.rsplit("}", 1)[-1]


def parse_xml(data: bytes | str) -> Element:
    """A document's root, or VigilError malformed_xml (DTDs, entities, external refs too)."""
    try:
        return fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise VigilError(
            "malformed_xml",
            f"DTDs, entities and external references are refused ({type(exc).__name__})",
        ) from None
    except (ParseError, ValueError) as exc:
        raise VigilError("malformed_xml", f"the XML is not well-formed: {exc}") from None


def _child(parent: Element | None, name: str) -> Element | None:
    if parent is None:
        return None
    return next((c for c in parent if local(c.tag) == name), None)


def _meta_value(root: Element, name: str) -> str | None:
    """meta/<name> (in the orx namespace or none), stripped; None when absent or empty."""
    node = _child(_child(root, "meta"), name)
    text = (node.text or "").strip() if node is not None else ""
    return text or None


def _leaves(root: Element) -> dict[str, str]:
    values: dict[str, str] = {}
    for node in root.iter():
        if node is not root and len(node) == 0:
            values.setdefault(local(node.tag), node.text or "")
    return values


def parse_instance(data: bytes) -> Instance:
    """A submission's XML as an Instance; malformed_xml when it cannot be one."""
    root = parse_xml(data)
    form_id = (root.get("id") or "").strip()
    if not form_id:
        raise VigilError("malformed_xml", "the instance's root element has no id attribute")
    instance_id = _meta_value(root, "instanceID")
    if instance_id is None:
        raise VigilError("malformed_xml", "the instance has no meta/instanceID")
    return Instance(
        form_id=form_id,
        version=(root.get("version") or "").strip() or None,
        instance_id=instance_id,
        deprecated_id=_meta_value(root, "deprecatedID"),
        values=_leaves(root),
        root_tag=local(root.tag),
    )


def xform_info(xform: str | bytes) -> XFormInfo:
    """The id, version, title and fields of an XForm definition."""
    root = parse_xml(xform)
    model = next((e for e in root.iter(f"{{{XFORMS}}}model")), None)
    primary = next(
        (i for i in _children(model, "instance") if i.get("id") is None and len(i)), None
    )
    if model is None or primary is None:
        raise VigilError("malformed_xml", "the XForm has no model with a primary instance")
    data = primary[0]
    title = root.find(f"{{{XHTML}}}head/{{{XHTML}}}title")
    fields = {
        bind.get("nodeset", "").rstrip("/").rsplit("/", 1)[-1]: bind_type(bind)
        for bind in model.iter(f"{{{XFORMS}}}bind")
        if bind.get("nodeset")
    }
    return XFormInfo(
        form_id=(data.get("id") or "").strip(),
        version=(data.get("version") or "").strip() or None,
        title=((title.text if title is not None else "") or "").strip(),
        fields=fields,
    )


def bind_type(bind: Element) -> str:
    """A bind's type without a namespace prefix (xsd:string and string alike)."""
    return (bind.get("type") or "string").rsplit(":", 1)[-1]


def _children(parent: Element | None, name: str) -> list[Element]:
    return [c for c in parent if local(c.tag) == name] if parent is not None else []


def binary_fields(xform: str | bytes) -> set[str]:
    """The fields whose value names an attached file (bind type="binary")."""
    return {name for name, kind in xform_info(xform).fields.items() if kind == "binary"}


def media_references(xform: str | bytes) -> set[str]:
    """The file names an XForm refers to as form media (jr://images/logo.png -> logo.png)."""
    names = set()
    for node in parse_xml(xform).iter():
        for value in (node.text or "", *node.attrib.values()):
            value = value.strip()
            if value.startswith("jr://") and "/" in value[5:]:
                names.add(value[5:].split("/", 1)[1])
    return names
