"""A client that talks to Vigil the way ODK Collect (OkHttp) does, for the OpenRosa tests.

What it copies from Collect: the headers of OpenRosaServerClient (X-OpenRosa-Version, Date,
the Collect User-Agent, Accept-Encoding gzip); authentication as OkHttp's authenticators do
it (first request without credentials, then answer the 401 challenge: Digest over http, and
Basic only over https; later requests answer the cached Digest challenge at once with the
next nonce count); the HEAD probe before a submission; the multipart body of
OkHttpConnection.uploadSubmissionAndFiles (xml_submission_file first, each file as a part
named by its file name, "*isIncomplete*"="yes" on every POST but the last when the files do
not fit in X-OpenRosa-Accept-Content-Length); and instances filled in as Collect saves them,
from the primary instance of the downloaded XForm.
"""

from __future__ import annotations

import copy
import hashlib
import re
import secrets
import uuid
from base64 import b64encode
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

import httpx
from defusedxml.ElementTree import fromstring

USER_AGENT = (
    "org.odk.collect.android/v2024.3.0 Dalvik/2.1.0 "
    "(Linux; U; Android 13; Pixel 6 Build/TQ3A.230805.001)"
)
XFORMS = "http://www.w3.org/2002/xforms"
LIST_NS = "{http://openrosa.org/xforms/xformsList}"
MANIFEST_NS = "{http://openrosa.org/xforms/xformsManifest}"
RESPONSE_NS = "{http://openrosa.org/http/response}"
PROBLEM_NS = "{urn:vigil:problem}"
CONTENT_TYPES = {
    ".jpg": "image/jpeg",
    ".png": "image/png",
    ".mp4": "video/mp4",
    ".m4a": "audio/mp4",
}


def md5(text: str | bytes) -> str:
    data = text.encode() if isinstance(text, str) else text
    return hashlib.md5(data).hexdigest()


def collect_headers() -> dict[str, str]:
    """The headers Collect's OpenRosaServerClient puts on every request."""
    return {
        "X-OpenRosa-Version": "1.0",
        "Date": formatdate(usegmt=True),
        "User-Agent": USER_AGENT,
        "Accept-Encoding": "gzip",
    }


def parse_challenge(value: str) -> tuple[str, dict[str, str]]:
    """A WWW-Authenticate value as (scheme, params)."""
    scheme, _, rest = value.partition(" ")
    params = {k.lower(): v for k, v in re.findall(r'([\w-]+)="?([^",]*)"?', rest)}
    return scheme.lower(), params


def digest_header(
    username: str, password: str, method: str, uri: str, challenge: dict[str, str], nc: int
) -> str:
    """The Authorization a Digest client sends (RFC 7616, MD5, qop=auth), computed here."""
    ha1 = md5(f"{username}:{challenge['realm']}:{password}")
    ha2 = md5(f"{method}:{uri}")
    cnonce = secrets.token_hex(8)
    count = f"{nc:08x}"
    response = md5(f"{ha1}:{challenge['nonce']}:{count}:{cnonce}:auth:{ha2}")
    return (
        f'Digest username="{username}", realm="{challenge["realm"]}", '
        f'nonce="{challenge["nonce"]}", uri="{uri}", response="{response}", qop=auth, '
        f'nc={count}, cnonce="{cnonce}", algorithm=MD5'
    )


def multipart(parts: list[tuple[str, str | None, str | None, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body as OkHttp's MultipartBody writes it: (body, content type).
    Each part: (name, file name or None, content type or None, bytes)."""
    boundary = str(uuid.uuid4())
    out = bytearray()
    for name, filename, kind, data in parts:
        out += f"--{boundary}\r\n".encode()
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += f"Content-Disposition: {disposition}\r\n".encode()
        if kind is not None:
            out += f"Content-Type: {kind}\r\n".encode()
        out += f"Content-Length: {len(data)}\r\n\r\n".encode()
        out += data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


@dataclass
class Collect:
    """One phone's Collect, configured with a server URL (and a user and password)."""

    client: Any  # fastapi TestClient (an httpx.Client)
    server: str = "http://testserver"
    username: str | None = None
    password: str | None = None
    challenge: dict[str, str] | None = None
    nc: int = 0
    log: list[httpx.Response] = field(default_factory=list)

    def url(self, path: str) -> str:
        return path if path.startswith("http") else self.server.rstrip("/") + path

    def _auth(self, method: str, url: str) -> dict[str, str]:
        if self.challenge is None or self.username is None:
            return {}
        self.nc += 1
        parts = urlsplit(url)
        uri = parts.path + (f"?{parts.query}" if parts.query else "")
        return {
            "Authorization": digest_header(
                self.username, self.password or "", method, uri, self.challenge, self.nc
            )
        }

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send as OkHttp does: answer a 401 challenge once (Digest, or Basic over https)."""
        url = self.url(path)
        extra = kwargs.pop("headers", {})
        headers = {**collect_headers(), **self._auth(method, url), **extra}
        response = self.client.request(method, url, headers=headers, **kwargs)
        self.log.append(response)
        if response.status_code != 401 or self.username is None:
            return response
        retry = self._answer(method, url, response)
        if retry is None:
            return response
        response = self.client.request(method, url, headers={**headers, **retry}, **kwargs)
        self.log.append(response)
        return response

    def _answer(self, method: str, url: str, response: httpx.Response) -> dict[str, str] | None:
        offered = dict(parse_challenge(v) for v in response.headers.get_list("www-authenticate"))
        if "digest" in offered:
            self.challenge, self.nc = offered["digest"], 0
            return self._auth(method, url)
        if "basic" in offered and url.startswith("https://"):
            pair = f"{self.username}:{self.password}".encode()
            return {"Authorization": "Basic " + b64encode(pair).decode()}
        return None

    # What Collect's screens do.

    def form_list(self) -> list[dict[str, str]]:
        """Get Blank Form: the list, each <xform> as a dict of its children."""
        r = self.request("GET", "/formList")
        assert r.status_code == 200, r.text
        root = fromstring(r.content)
        assert root.tag == f"{LIST_NS}xforms"
        return [{c.tag.removeprefix(LIST_NS): c.text or "" for c in x} for x in root]

    def download(self, url: str) -> str:
        r = self.request("GET", url)
        assert r.status_code == 200, r.text
        return r.text

    def submit(self, xml: bytes, files: list[tuple[str, bytes]] = ()) -> list[httpx.Response]:
        """Send Finalized Form: the HEAD probe, then one POST or several (split by size)."""
        probe = self.request("HEAD", "/submission")
        assert probe.status_code == 204, probe.text
        limit = int(probe.headers["x-openrosa-accept-content-length"])
        answers = []
        for chunk, more in split(xml, list(files), limit):
            parts = [("xml_submission_file", submission_name(), "text/xml", xml)]
            parts += [(name, name, content_type(name), data) for name, data in chunk]
            if more:
                parts.append(("*isIncomplete*", None, None, b"yes"))
            body, kind = multipart(parts)
            answer = self.request(
                "POST", "/submission", content=body, headers={"Content-Type": kind}
            )
            answers.append(answer)
            if answer.status_code not in (201, 202):
                break
        return answers


def content_type(name: str) -> str:
    return CONTENT_TYPES.get(name[name.rfind(".") :].lower(), "application/octet-stream")


def submission_name() -> str:
    return "Observation_2020-11-12_14-05-00.xml"


def split(
    xml: bytes, files: list[tuple[str, bytes]], limit: int
) -> list[tuple[list[tuple[str, bytes]], bool]]:
    """Collect's split: add files while the next one still fits under the limit (or 100)."""
    if not files:
        return [([], False)]
    posts: list[tuple[list[tuple[str, bytes]], bool]] = []
    index = 0
    while index < len(files):
        chunk: list[tuple[str, bytes]] = []
        count = len(xml)
        first = index
        while index < len(files):
            chunk.append(files[index])
            count += len(files[index][1])
            index += 1
            if index < len(files) and (index - first > 100 or count + len(files[index][1]) > limit):
                break
        posts.append((chunk, index < len(files)))
    return posts


def fill(xform: str, values: dict[str, str], instance_id: str | None = None) -> bytes:
    """An instance as Collect saves it: the XForm's primary instance (without the XForms
    namespace, as JavaRosa writes it) with values filled in and meta/instanceID set (and
    meta/deprecatedID when `values` has one)."""
    root = fromstring(xform.encode())
    model = next(root.iter(f"{{{XFORMS}}}model"))
    primary = next(i for i in model.iter(f"{{{XFORMS}}}instance") if i.get("id") is None)
    data = copy.deepcopy(primary[0])
    for element in data.iter():
        element.tag = element.tag.rsplit("}", 1)[-1]
    values = dict(values)
    deprecated = values.pop("deprecatedID", None)
    for element in data.iter():
        if element.tag in values and len(element) == 0:
            element.text = values[element.tag]
    meta = data.find("meta")
    meta.find("instanceID").text = instance_id or f"uuid:{uuid.uuid4()}"
    if deprecated is not None:
        ET.SubElement(meta, "deprecatedID").text = deprecated
    data.set("xmlns:jr", "http://openrosa.org/javarosa")
    data.set("xmlns:orx", "http://openrosa.org/xforms")
    return b"<?xml version='1.0' ?>" + ET.tostring(data, encoding="unicode").encode()


def response_message(r: httpx.Response) -> tuple[str, str | None, str | None, list[str]]:
    """An OpenRosaResponse: (message, nature, problem code, fields named)."""
    root = fromstring(r.content)
    assert root.tag == f"{RESPONSE_NS}OpenRosaResponse", r.text
    message = root.find(f"{RESPONSE_NS}message")
    assert message is not None
    problem = root.find(f"{PROBLEM_NS}problem")
    code = problem.get("code") if problem is not None else None
    fields = [f.get("name") for f in problem] if problem is not None else []
    return message.text or "", message.get("nature"), code, fields
