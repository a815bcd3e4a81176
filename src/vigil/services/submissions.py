"""OpenRosa submissions: the raw XML kept, its observation recorded once, its files added as
they arrive over one or several POSTs, and edits that keep the version they replace.

Decisions (docs/openrosa.md says them to users):
- the observation is recorded with the first part of a split submission, so a report is on
  the map even if its last photo never arrives; files are attached as their parts come;
- the same instanceID with the same XML is a further part or a retry: new files are added,
  nothing is duplicated; with other XML it is refused (submission_conflict);
- meta/deprecatedID makes an edit: a new submission and observation; the edited
  observation keeps its content and becomes "replaced"; an edit of an instance Vigil never
  received is taken as a new report (the original cannot be sent any more);
- a part the XML does not name is ignored and reported back; a file of a refused type
  refuses the whole POST.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import BinaryIO

from sqlalchemy.orm import Session

from vigil.config import Settings
from vigil.domain.odk_mapping import draft_from_instance
from vigil.domain.roles import REPORTERS
from vigil.errors import VigilError, invalid
from vigil.formats.xform_instance import Instance, parse_instance
from vigil.queries import audit as audit_q
from vigil.queries import submissions as sub_q
from vigil.services import evidence, forms
from vigil.services.access import Principal, require
from vigil.services.audit import Auditor
from vigil.services.compass import post_positions
from vigil.services.observations import record_observations, signed_by_monitor
from vigil.store.blobs import BlobStore
from vigil.store.snapshots import row_values
from vigil.store.tables import EvidenceFile, Observation, Submission, SubmissionAttachment

MAX_NAME = 255  # SubmissionAttachment.name
MAX_ID = 128  # Submission.instance_id and deprecated_id


@dataclass(frozen=True)
class SubmissionRules:
    """What receiving a submission needs besides the database: the file store and limits."""

    blobs: BlobStore
    evidence: evidence.EvidenceRules
    future_tolerance_s: int = 300

    @classmethod
    def of(cls, settings: Settings) -> SubmissionRules:
        """The rules of a Vigil site."""
        return cls(
            BlobStore.of(settings),
            evidence.EvidenceRules.of(settings),
            settings.future_tolerance_s,
        )


@dataclass(frozen=True)
class Receipt:
    """What one POST did: which submission, whether it was new, which files came or not."""

    instance_id: str
    submission_id: int
    observation_id: int | None
    created: bool  # False: a further part, or a retry of a part already received
    complete: bool  # the client has sent its last part
    attached: tuple[str, ...] = ()  # files the XML names that this POST brought first
    ignored: tuple[str, ...] = ()  # parts the XML does not name: not stored
    missing: tuple[str, ...] = ()  # files the XML names that have not arrived yet
    replaced: str | None = None  # the instance this one edits, when Vigil had it


def receive_submission(
    session: Session,
    who: Principal,
    device_id: int | None,
    xml: bytes,
    files: Sequence[tuple[str, BinaryIO]],
    incomplete: bool,
    rules: SubmissionRules,
    now: datetime | None = None,
) -> Receipt:
    """Take one POST of a submission: all of it is stored, or nothing."""
    require(who, REPORTERS)
    now = now or datetime.now(UTC)
    instance = parse_instance(xml)
    digest = hashlib.sha256(xml).hexdigest()
    audit_q.lock_chain(session)  # the same instance sent twice at once: one submission
    sub = sub_q.by_instance(session, instance.instance_id)
    created, old = sub is None, None
    if sub is None:
        part = FirstPart(who, device_id, instance, xml, digest, not incomplete)
        sub, old = _first_part(session, part, rules, now)
    elif sub.xml_sha256 != digest:
        raise VigilError(
            "submission_conflict",
            f"instance {instance.instance_id} was received before with different XML; "
            "an edit needs a new instanceID and meta/deprecatedID",
        )
    attached, ignored = _take_files(session, who, sub, files, rules, now)
    if not incomplete and sub.deprecated_id is not None:
        _carry_over(session, who, sub, rules, now)
    if not incomplete and not sub.complete:
        _mark_complete(session, who, sub, now)
    missing = tuple(a.name for a in sub_q.attachments(session, sub.id) if a.sha256 is None)
    return Receipt(
        instance.instance_id,
        sub.id,
        sub.observation_id,
        created,
        sub.complete,
        tuple(attached),
        tuple(ignored),
        missing,
        old.instance_id if old is not None else None,
    )


@dataclass(frozen=True)
class FirstPart:
    """The first POST of an instance: who sent it, from which phone, and what."""

    who: Principal
    device_id: int | None
    instance: Instance
    xml: bytes
    digest: str
    complete: bool


def _first_part(
    session: Session, part: FirstPart, rules: SubmissionRules, now: datetime
) -> tuple[Submission, Submission | None]:
    """A new instance: its form version must accept it and its values must make an
    observation; the submission is stored with the files it names (still to come)."""
    instance = part.instance
    form = forms.accepting_version(session, instance.form_id, instance.version, now)
    mapped = draft_from_instance(instance, forms.binary_fields(form), post_positions(session))
    names = _file_names(mapped.files)
    text = _text(part.xml)
    old = _edited(session, instance)
    [done] = record_observations(
        session,
        part.who,
        [signed_by_monitor(session, part.who, mapped.draft)],
        "odk",
        [""],
        now=now,
        future_tolerance_s=rules.future_tolerance_s,
    )
    sub = Submission(
        instance_id=instance.instance_id,
        form_version_id=form.id,
        xml=text,
        xml_sha256=part.digest,
        submitted_by=part.who.user_id,
        device_token_id=part.device_id,
        received_at=now,
        complete=part.complete,
        observation_id=done.values["id"],
        deprecated_id=instance.deprecated_id,
    )
    session.add(sub)
    session.flush()
    Auditor(session, part.who.actor, now).created("submission.receive", sub)
    _expect(session, part.who, sub, names, now)
    if old is not None:
        _replace(session, part.who, old, sub, now)
    later = sub_q.edited_by(session, instance.instance_id)
    if later is not None:  # its edit came first (phones may send out of order)
        _replace(session, part.who, sub, later, now)
    return sub, old


def _file_names(files: Sequence[tuple[str, str]]) -> dict[str, str]:
    """The files the XML names: file name -> form field (a name named twice counts once)."""
    names: dict[str, str] = {}
    for field, name in files:
        if len(name) > MAX_NAME or "/" in name or "\\" in name:
            raise invalid(
                field, f"a file name must be a plain name of at most {MAX_NAME} characters"
            )
        names.setdefault(name, field[:64])
    return names


def _text(xml: bytes) -> str:
    """The XML as stored (text, exactly as received): it must be UTF-8, as phones send it."""
    try:
        return xml.decode("utf-8")
    except UnicodeDecodeError:
        raise VigilError("malformed_xml", "send the submission XML encoded as UTF-8") from None


def _edited(session: Session, instance: Instance) -> Submission | None:
    """The submission an edit replaces: None when there is no deprecatedID or Vigil never
    received that instance; refused when it was edited already."""
    if instance.deprecated_id is None:
        return None
    if len(instance.deprecated_id) > MAX_ID:
        raise invalid("deprecatedID", f"at most {MAX_ID} characters")
    if instance.deprecated_id == instance.instance_id:
        raise invalid("deprecatedID", "an edit must have a new instanceID")
    old = sub_q.by_instance(session, instance.deprecated_id)
    if old is None:
        return None
    later = sub_q.edited_by(session, old.instance_id)
    if later is not None:
        raise VigilError(
            "submission_conflict",
            f"instance {old.instance_id} was edited already (by {later.instance_id}); "
            "edit the latest version",
        )
    return old


def _expect(
    session: Session, who: Principal, sub: Submission, names: dict[str, str], now: datetime
) -> None:
    """Record the files the submission names; each gets its hash when a part brings it."""
    rows = [
        SubmissionAttachment(submission_id=sub.id, name=name, field=field, sha256=None)
        for name, field in names.items()
    ]
    if not rows:
        return
    session.add_all(rows)
    session.flush()
    values = [row_values(r) for r in rows]
    Auditor(session, who.actor, now).created_many("submission.expect", SubmissionAttachment, values)


def _replace(
    session: Session, who: Principal, old: Submission, new: Submission, now: datetime
) -> None:
    """An edit: the old observation keeps its content and becomes "replaced"."""
    obs = session.get(Observation, old.observation_id) if old.observation_id else None
    if obs is not None and obs.id != new.observation_id and obs.status != "replaced":
        before = row_values(obs)
        obs.status = "replaced"
        session.flush()
        Auditor(session, who.actor, now).changed("observation.replace", obs, before)


def _carry_over(
    session: Session, who: Principal, new: Submission, rules: SubmissionRules, now: datetime
) -> None:
    """When an edit's last part is in, files it names but did not send come from the version
    it replaces (as ODK Central does), so an edit need not send its photos again."""
    old = sub_q.by_instance(session, new.deprecated_id) if new.deprecated_id else None
    if old is None:
        return
    kept = {a.name: a.sha256 for a in sub_q.attachments(session, old.id) if a.sha256}
    for row in sub_q.attachments(session, new.id):
        sha = kept.get(row.name) if row.sha256 is None else None
        file = session.get(EvidenceFile, sha) if sha else None
        if file is not None:
            _link(session, who, new, row, file, rules, now)


def _take_files(
    session: Session,
    who: Principal,
    sub: Submission,
    files: Sequence[tuple[str, BinaryIO]],
    rules: SubmissionRules,
    now: datetime,
) -> tuple[list[str], list[str]]:
    """Store and link the parts the XML names; the names of the others, ignored."""
    expected = {a.name: a for a in sub_q.attachments(session, sub.id)}
    attached: list[str] = []
    ignored: list[str] = []
    for name, stream in files:
        row = expected.get(name)
        if row is None:
            ignored.append(name)
            continue
        file = evidence.store_file(session, who, rules.blobs, stream, rules.evidence, now)
        if _link(session, who, sub, row, file, rules, now):
            attached.append(name)
    return attached, ignored


def _link(
    session: Session,
    who: Principal,
    sub: Submission,
    row: SubmissionAttachment,
    file: EvidenceFile,
    rules: SubmissionRules,
    now: datetime,
) -> bool:
    """The file arrived for this name: note its hash and attach it to the observation
    (True), or it had arrived before (False). The same name with other bytes is refused
    (evidence is never swapped)."""
    fresh = row.sha256 is None
    if fresh:
        before = row_values(row)
        row.sha256 = file.sha256
        session.flush()
        Auditor(session, who.actor, now).changed("submission.attachment", row, before)
    elif row.sha256 != file.sha256:
        raise VigilError(
            "submission_conflict",
            f"{row.name} was received before for instance {sub.instance_id} with other content",
        )
    if sub.observation_id is not None:
        evidence.attach(
            session, who, sub.observation_id, file, row.name, row.field, rules.evidence, now
        )
    return fresh


def _mark_complete(session: Session, who: Principal, sub: Submission, now: datetime) -> None:
    """The last part of a split submission arrived."""
    before = row_values(sub)
    sub.complete = True
    session.flush()
    Auditor(session, who.actor, now).changed("submission.complete", sub, before)
