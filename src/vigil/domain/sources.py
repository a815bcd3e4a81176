"""Sources of reports: who a report comes from (its identity, for independence) and the
default reliability the mission gives each source (its profile)."""

from __future__ import annotations

from dataclasses import dataclass

from vigil.domain.admiralty import RELIABILITY
from vigil.errors import FieldError, VigilError

# post: an observation post; sensor: a post whose kind is camera or acoustic sensor;
# third_party: media, a party's statement, an NGO.
SOURCE_KINDS = ("post", "patrol", "monitor", "sensor", "third_party")
SENSOR_POST_KINDS = frozenset({"camera", "acoustic_sensor"})
POST_SOURCE_KINDS = frozenset({"post", "sensor"})  # keyed by a post's code
DEFAULT_KEY = "*"  # the profile of a kind's sources that have none of their own
UNNAMED = "(unnamed)"  # the key of reports that name no observer: one source, conservatively
MAX_KEY = 200
MAX_LABEL = 200
MAX_NOTES = 5000


@dataclass(frozen=True, order=True)
class SourceKey:
    """A source: its kind and key (a post's code, or an observer's name trimmed and lower-cased)."""

    kind: str
    key: str

    @property
    def identity(self) -> str:
        """How the derivation names the source, e.g. post:OP-1 or patrol:patrol 2."""
        return f"{self.kind}:{self.key}"


def normalise_key(kind: str, key: str) -> str:
    """A post's code as it is (trimmed); a name trimmed, spaces collapsed, case folded."""
    if kind in POST_SOURCE_KINDS:
        return key.strip()
    return " ".join(key.split()).casefold()


def source_of(
    observer_kind: str, post_code: str | None, post_kind: str | None, observer_name: str | None
) -> SourceKey:
    """The source of one observation: a post (or sensor) by its code, anyone else by kind
    and name. Reports naming no one are one source of their kind, so they never count as
    independent of each other."""
    if observer_kind == "post" and post_code:
        kind = "sensor" if post_kind in SENSOR_POST_KINDS else "post"
        return SourceKey(kind, normalise_key(kind, post_code))
    kind = observer_kind if observer_kind in SOURCE_KINDS else "third_party"
    name = normalise_key(kind, observer_name or "")
    return SourceKey(kind, name or UNNAMED)


@dataclass(frozen=True)
class ProfileFields:
    """A source profile as validated: kind, normalised key, reliability, label, notes."""

    kind: str
    key: str
    reliability: str
    label: str
    notes: str


def check_profile(
    kind: str, key: str, reliability: str, label: str = "", notes: str = ""
) -> ProfileFields:
    """Validate a profile, naming every wrong field at once (422 validation_failed)."""
    errors: list[FieldError] = []
    kind = kind.strip()
    if kind not in SOURCE_KINDS:
        errors.append(FieldError("kind", f"must be one of {', '.join(SOURCE_KINDS)}"))
    clean_key = normalise_key(kind, key)
    if not clean_key:
        errors.append(FieldError("key", "give the source's key (a post code, a name, or *)"))
    elif len(clean_key) > MAX_KEY:
        errors.append(FieldError("key", f"at most {MAX_KEY} characters"))
    grade = reliability.strip().upper()
    if grade not in RELIABILITY:
        errors.append(FieldError("reliability", "must be one of A, B, C, D, E, F"))
    label = " ".join(label.split())
    if len(label) > MAX_LABEL:
        errors.append(FieldError("label", f"at most {MAX_LABEL} characters"))
    if len(notes) > MAX_NOTES:
        errors.append(FieldError("notes", f"at most {MAX_NOTES} characters"))
    if errors:
        detail = "; ".join(f"{e.field}: {e.message}" for e in errors)
        raise VigilError("validation_failed", detail, errors)
    return ProfileFields(kind, clean_key, grade, label, notes.strip())


def default_profiles() -> list[ProfileFields]:
    """The defaults `vigil sources defaults` loads: one per kind, from how much a mission
    usually trusts each kind before it knows the individual source."""
    return [
        ProfileFields("post", DEFAULT_KEY, "B", "Observation posts", _POST),
        ProfileFields("sensor", DEFAULT_KEY, "B", "Cameras and acoustic sensors", _SENSOR),
        ProfileFields("monitor", DEFAULT_KEY, "B", "The mission's monitors", _MONITOR),
        ProfileFields("patrol", DEFAULT_KEY, "B", "The mission's patrols", _PATROL),
        ProfileFields("third_party", DEFAULT_KEY, "D", "Media, parties' statements", _THIRD),
    ]


_POST = "Trained monitors at a fixed post with a known field of view."
_SENSOR = "Instruments: reliable about what they record, not about what it was."
_MONITOR = "The mission's own staff reporting directly."
_PATROL = "The mission's own patrols; often at a distance, sometimes under pressure."
_THIRD = "Unverified by the mission; a party's statement is an interested one."
