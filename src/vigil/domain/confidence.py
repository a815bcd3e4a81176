"""How sure the mission is that an incident happened, from its reports' Admiralty grades and
how many independent sources they come from; the derivation is kept so pages can show it.

Each grade stands for a probability that a report is true (RELIABILITY_P, CREDIBILITY_P).
A report's probability combines its source's reliability r and its own credibility c as two
independent pieces of evidence on even prior odds: p = r·c / (r·c + (1 − r)(1 − c)).
Grades that cannot be judged (F, 6) are 0.5 and leave the other unchanged. Reports from the
same source are not independent: a source counts once, with its best report. Independent
sources combine as 1 − Π(1 − p_i): the chance that not all of them are wrong."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vigil.domain.sources import DEFAULT_KEY, SourceKey

RELIABILITY_P: dict[str, float] = {"A": 0.95, "B": 0.85, "C": 0.7, "D": 0.5, "E": 0.3, "F": 0.5}
CREDIBILITY_P: dict[str, float] = {"1": 0.95, "2": 0.85, "3": 0.7, "4": 0.5, "5": 0.3, "6": 0.5}
STRONG = frozenset({"A", "B"})  # sources "rated B or better"
CONFIRMED_P = 0.95  # and two independent strong sources, or one A1 report
HIGH_P = 0.85
MEDIUM_P = 0.6
LEVELS = ("confirmed", "high", "medium", "low")
FORMULA = (
    "report p = r*c / (r*c + (1-r)*(1-c)); a source counts once, with its best report; "
    "incident p = 1 - prod(1 - p_source)"
)


@dataclass(frozen=True)
class Report:
    """One observation of the incident as grading sees it: its source and its own grade."""

    observation_id: int
    client_id: str
    source: SourceKey
    reliability: str
    credibility: str


@dataclass(frozen=True)
class Graded:
    """A report with the reliability used (and where it came from) and its probability."""

    report: Report
    reliability: str
    reliability_from: str  # report | profile | kind default | ungraded
    p: float

    @property
    def grade(self) -> str:
        """The grade used, e.g. B2."""
        return f"{self.reliability}{self.report.credibility}"


@dataclass(frozen=True)
class SourceLine:
    """One independent source: its reports, and the best of them, which is what counts."""

    source: SourceKey
    reports: tuple[Graded, ...]
    best: Graded

    @property
    def p(self) -> float:
        """The source's probability: its best report's."""
        return self.best.p


@dataclass(frozen=True)
class Confidence:
    """An incident's confidence and how it was derived."""

    sources: tuple[SourceLine, ...]
    p: float
    level: str
    strong_sources: int
    a1: bool

    def as_data(self) -> dict[str, Any]:
        """The derivation as plain data (for the API and the CLI)."""
        return {
            "p": self.p,
            "level": self.level,
            "strong_sources": self.strong_sources,
            "a1": self.a1,
            "formula": FORMULA,
            "sources": [_source_data(s) for s in self.sources],
        }


def _source_data(line: SourceLine) -> dict[str, Any]:
    return {
        "identity": line.source.identity,
        "kind": line.source.kind,
        "key": line.source.key,
        "p": line.p,
        "reports": [
            {
                "observation_id": g.report.observation_id,
                "client_id": g.report.client_id,
                "grade_reported": f"{g.report.reliability}{g.report.credibility}",
                "grade_used": g.grade,
                "reliability_from": g.reliability_from,
                "p": g.p,
                "counted": g is line.best,
            }
            for g in line.reports
        ],
    }


def report_p(reliability: str, credibility: str) -> float:
    """The probability a report is true, from its reliability and credibility grades."""
    r, c = RELIABILITY_P[reliability], CREDIBILITY_P[credibility]
    return r * c / (r * c + (1 - r) * (1 - c))


def reliability_for(report: Report, profiles: Mapping[tuple[str, str], str]) -> tuple[str, str]:
    """The reliability to use and where it came from: the report's own unless F, else the
    source's profile, else its kind's default ("*"), else F."""
    if report.reliability != "F":
        return report.reliability, "report"
    own = profiles.get((report.source.kind, report.source.key))
    if own is not None:
        return own, "profile"
    default = profiles.get((report.source.kind, DEFAULT_KEY))
    if default is not None:
        return default, "kind default"
    return "F", "ungraded"


def grade(report: Report, profiles: Mapping[tuple[str, str], str]) -> Graded:
    """One report graded."""
    reliability, origin = reliability_for(report, profiles)
    return Graded(report, reliability, origin, report_p(reliability, report.credibility))


def level_of(p: float, strong_sources: int, a1: bool) -> str:
    """confirmed (p >= .95 and two independent sources rated B or better, or an A1 report),
    high (p >= .85), medium (p >= .6), else low. p is rounded to 6 places first, so a value
    on a threshold is not pushed below it by floating-point error."""
    p = round(p, 6)
    if p >= CONFIRMED_P and (strong_sources >= 2 or a1):
        return "confirmed"
    if p >= HIGH_P:
        return "high"
    if p >= MEDIUM_P:
        return "medium"
    return "low"


def _best(graded: Sequence[Graded]) -> Graded:
    """The highest probability; ties go to the lowest observation id (order-independent)."""
    return min(graded, key=lambda g: (-g.p, g.report.observation_id))


def confidence(reports: Iterable[Report], profiles: Mapping[tuple[str, str], str]) -> Confidence:
    """An incident's confidence from its reports and the mission's source profiles."""
    by_source: dict[SourceKey, list[Graded]] = {}
    for report in reports:
        by_source.setdefault(report.source, []).append(grade(report, profiles))
    lines = tuple(
        SourceLine(
            source,
            tuple(sorted(by_source[source], key=lambda g: g.report.observation_id)),
            _best(by_source[source]),
        )
        for source in sorted(by_source)
    )
    doubt = 1.0
    for line in lines:
        doubt *= 1 - line.p
    p = 1 - doubt if lines else 0.0
    strong = sum(1 for line in lines if line.best.reliability in STRONG)
    a1 = any(g.grade == "A1" for line in lines for g in line.reports)
    return Confidence(lines, p, level_of(p, strong, a1), strong, a1)
