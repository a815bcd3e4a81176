"""The compliance status of a provision, as a whole and per party; breaches over time; the
timeline of deadlines (pure, no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

from vigil.domain import compliance as c
from vigil.domain import compliance_timeline as over_time

T0 = datetime(2020, 11, 10, tzinfo=UTC)
NOW = datetime(2020, 12, 1, tzinfo=UTC)
WEEK = timedelta(days=7)
_ids = count(1)
BREACH_RULE = c.RuleFact(1, "breach", label="any ceasefire violation")
COMPLIANCE_RULE = c.RuleFact(2, "compliance", label="peacekeepers seen deployed")


def flag(
    at: datetime,
    party: str | None = None,
    effect: str = "breach",
    status: str = "confirmed",
    incident_status: str = "verified",
    incident: int | None = None,
) -> c.FlagFact:
    """A flag on an incident started at `at`."""
    i = next(_ids)
    return c.FlagFact(i, incident or 100 + i, effect, status, incident_status, at, party)


def provision(*flags: c.FlagFact, **changes: object) -> c.ProvisionFacts:
    """Provision 1, binding AZ and AM, in force from 10 November, with a breach rule."""
    values: dict[str, object] = {
        "id": 1,
        "number": "1",
        "title": "Complete ceasefire",
        "binding": ("AZ", "AM"),
        "in_force_from": T0,
        "rules": (BREACH_RULE,),
        "flags": flags,
    }
    values.update(changes)
    return c.ProvisionFacts(**values)  # type: ignore[arg-type]


def status(p: c.ProvisionFacts, at: datetime = NOW, window: timedelta = WEEK) -> c.ProvisionStatus:
    return c.provision_status(p, at, window)


# --- the provision as a whole ------------------------------------------------------------------


def test_before_entry_into_force_it_is_not_yet_due() -> None:
    got = status(provision(), at=T0 - timedelta(hours=1))
    assert got.overall.status == c.NOT_YET_DUE
    assert "in force from 2020-11-10" in got.overall.reason
    assert {s.status for s in got.parties.values()} == {c.NOT_YET_DUE}


def test_before_its_deadline_without_a_breach_it_is_not_yet_due() -> None:
    p = provision(deadline=datetime(2020, 12, 5, tzinfo=UTC))
    assert status(p).overall.status == c.NOT_YET_DUE
    assert "deadline 2020-12-05" in status(p).overall.reason


def test_a_breach_before_the_deadline_counts_already() -> None:
    p = provision(flag(NOW - timedelta(days=1), "AZ"), deadline=datetime(2020, 12, 5, tzinfo=UTC))
    got = status(p)
    assert got.overall.status == c.BREACHED
    assert got.parties["AZ"].status == c.BREACHED
    assert got.parties["AM"].status == c.NOT_YET_DUE


def test_verified_breaches_in_the_window_make_it_breached_with_evidence() -> None:
    a = flag(NOW - timedelta(days=1), "AZ")
    b = flag(NOW - timedelta(days=2), "AZ")
    d = flag(NOW - timedelta(days=3), "AM")
    got = status(provision(a, b, d))
    assert got.overall.status == c.BREACHED
    assert got.overall.reason == "3 verified breaches in the last 7 days"
    assert got.overall.incident_ids == tuple(sorted({a.incident_id, b.incident_id, d.incident_id}))
    assert got.overall.flag_ids == tuple(sorted({a.id, b.id, d.id}))
    assert got.counts == c.Counts(verified_breaches=3, open_flags=0, evidence=0)


def test_two_flags_on_one_incident_are_one_breach() -> None:
    a = flag(NOW - timedelta(days=1), "AZ", incident=7)
    b = flag(NOW - timedelta(days=1), "AZ", incident=7)
    got = status(provision(a, b))
    assert got.overall.reason == "1 verified breach in the last 7 days"
    assert got.overall.incident_ids == (7,) and got.overall.flag_ids == (a.id, b.id)


def test_breaches_only_before_the_window_make_it_partially() -> None:
    old = flag(NOW - timedelta(days=10), "AZ")
    got = status(provision(old))
    assert got.overall.status == c.PARTIALLY
    assert got.overall.reason == "1 verified breach before the last 7 days, none within it"
    assert got.overall.incident_ids == (old.incident_id,)
    assert status(provision(old), window=timedelta(days=30)).overall.status == c.BREACHED


def test_the_window_is_open_at_its_start_and_closed_at_its_end() -> None:
    assert status(provision(flag(NOW - WEEK))).overall.status == c.PARTIALLY
    assert status(provision(flag(NOW))).overall.status == c.BREACHED
    assert status(provision(flag(NOW + timedelta(seconds=1)))).overall.status == c.COMPLIED


def test_without_breaches_or_open_flags_an_active_rule_makes_it_complied() -> None:
    got = status(provision())
    assert got.overall.status == c.COMPLIED
    assert got.overall.reason == "no verified breach and no open breach flag"
    assert got.parties["AZ"].status == c.COMPLIED


def test_only_verified_incidents_and_live_flags_count() -> None:
    ignored = (
        flag(NOW - timedelta(days=1), "AZ", incident_status="corroborated"),
        flag(NOW - timedelta(days=1), "AZ", incident_status="refuted"),
        flag(NOW - timedelta(days=1), "AZ", status="dismissed"),
    )
    got = status(provision(*ignored))
    assert got.overall.status == c.COMPLIED
    assert got.counts == c.Counts()


def test_open_breach_flags_leave_it_unknown() -> None:
    pending = flag(NOW - timedelta(days=1), "AZ", status="open")
    got = status(provision(pending))
    assert got.overall.status == c.UNKNOWN
    assert got.overall.reason == "1 open breach flag awaits an analyst"
    assert got.overall.incident_ids == (pending.incident_id,)
    assert got.counts.open_flags == 1
    assert got.parties["AZ"].status == c.UNKNOWN
    assert got.parties["AM"].status == c.COMPLIED, "an attributed open flag is not AM's"


def test_without_active_rules_nothing_can_be_checked() -> None:
    for rules in ((), (c.RuleFact(1, "breach", active=False),)):
        got = status(provision(rules=rules))
        assert got.overall.status == c.UNKNOWN
        assert "no active rules" in got.overall.reason


def test_compliance_rules_alone_need_evidence() -> None:
    p = provision(rules=(COMPLIANCE_RULE,))
    assert status(p).overall.status == c.UNKNOWN
    assert "no evidence" in status(p).overall.reason
    seen = flag(NOW - timedelta(days=20), None, effect="compliance")
    got = status(provision(seen, rules=(COMPLIANCE_RULE,)))
    assert got.overall.status == c.COMPLIED
    assert got.overall.incident_ids == (seen.incident_id,)
    assert "1 confirmed piece of evidence" in got.overall.reason
    assert got.counts.evidence == 1
    assert got.parties["AM"].status == c.COMPLIED, "evidence for the whole counts for each"
    unconfirmed = flag(NOW - timedelta(days=2), None, effect="compliance", status="open")
    assert status(provision(unconfirmed, rules=(COMPLIANCE_RULE,))).overall.status == c.UNKNOWN


def test_evidence_for_one_party_clears_only_that_party() -> None:
    seen = flag(NOW - timedelta(days=2), "AM", effect="compliance")
    got = status(provision(seen, rules=(COMPLIANCE_RULE,)))
    assert got.parties["AM"].status == c.COMPLIED
    assert got.parties["AZ"].status == c.UNKNOWN


def test_a_breach_outweighs_evidence_of_compliance() -> None:
    p = provision(
        flag(NOW - timedelta(days=2), "AM", effect="compliance"),
        flag(NOW - timedelta(days=1), "AM"),
        rules=(BREACH_RULE, COMPLIANCE_RULE),
    )
    assert status(p).overall.status == c.BREACHED


def test_after_the_end_of_force_the_status_stands_as_it_was() -> None:
    end = NOW - timedelta(days=20)
    breach = flag(end - timedelta(days=2), "AZ")
    later = flag(NOW - timedelta(days=1), "AZ")
    got = status(provision(breach, later, in_force_until=end))
    assert got.overall.status == c.BREACHED, "in the week before the end, not after it"
    assert got.overall.incident_ids == (breach.incident_id,)
    assert "as it stood at the end of force, 2020-11-11" in got.overall.reason
    assert got.counts.verified_breaches == 1
    still = status(provision(breach, in_force_until=NOW + WEEK)).overall
    assert still.status == c.PARTIALLY and "end of force" not in still.reason


# --- per party ---------------------------------------------------------------------------------


def test_a_breach_counts_against_the_attributed_party_only() -> None:
    got = status(provision(flag(NOW - timedelta(days=1), "AZ")))
    assert got.parties["AZ"].status == c.BREACHED
    assert got.parties["AM"].status == c.COMPLIED
    assert got.party_counts["AZ"].verified_breaches == 1
    assert got.party_counts["AM"].verified_breaches == 0


def test_an_unattributed_breach_neither_blames_nor_clears_a_party() -> None:
    loose = flag(NOW - timedelta(days=1), None)
    got = status(provision(loose))
    assert got.overall.status == c.BREACHED
    for party in ("AZ", "AM"):
        assert got.parties[party].status == c.UNKNOWN
        assert got.parties[party].incident_ids == (loose.incident_id,)
        assert "unattributed" in got.parties[party].reason


def test_a_party_with_its_own_breach_is_judged_on_it() -> None:
    own = flag(NOW - timedelta(days=12), "AZ")
    got = status(provision(own, flag(NOW - timedelta(days=1), None)))
    assert got.parties["AZ"].status == c.PARTIALLY
    assert got.parties["AZ"].incident_ids == (own.incident_id,)
    assert got.parties["AM"].status == c.UNKNOWN


def test_an_unattributed_open_flag_leaves_every_party_unknown() -> None:
    got = status(provision(flag(NOW - timedelta(days=1), None, status="open")))
    assert {s.status for s in got.parties.values()} == {c.UNKNOWN}
    assert got.party_counts["AM"].open_flags == 1


def test_rules_for_another_party_do_not_clear_a_party() -> None:
    only_az = c.RuleFact(3, "breach", parties=("AZ",))
    got = status(provision(rules=(only_az,)))
    assert got.parties["AZ"].status == c.COMPLIED
    assert got.parties["AM"].status == c.UNKNOWN


def test_one_party_asked_for_gets_one_column() -> None:
    got = c.compliance([provision()], NOW, WEEK, party="AM")
    assert list(got[0].parties) == ["AM"]
    assert c.compliance([provision()], NOW, WEEK, party="RU")[0].parties == {}


def test_a_one_day_window_says_so() -> None:
    got = status(provision(flag(NOW - timedelta(hours=2), "AZ")), window=timedelta(days=1))
    assert got.overall.reason == "1 verified breach in the last day"


# --- over time ---------------------------------------------------------------------------------


def test_short_ranges_are_counted_per_day_and_long_ones_per_week() -> None:
    assert len(over_time.buckets(T0, T0 + timedelta(days=14))) == 14
    weeks = over_time.buckets(T0, T0 + timedelta(days=30))
    assert len(weeks) == 5 and weeks[-1] == (T0 + timedelta(days=28), T0 + timedelta(days=30))
    assert over_time.buckets(T0, T0) == []


def test_breaches_per_bucket_count_verified_incidents_once() -> None:
    flags = [
        flag(T0 + timedelta(days=1), "AZ", incident=1),
        flag(T0 + timedelta(days=1), "AZ", incident=1),
        flag(T0 + timedelta(days=8), None, incident=2),
        flag(T0 + timedelta(days=8), "AM", status="open", incident=3),
        flag(T0 + timedelta(days=9), "AM", incident_status="refuted", incident=4),
        flag(T0 + timedelta(days=9), "AM", effect="compliance", incident=5),
    ]
    got = over_time.breach_series(flags, T0, T0 + timedelta(days=21))
    assert [b.count for b in got] == [1, 1, 0]


def test_the_timeline_marks_deadlines_passed_or_upcoming() -> None:
    later = c.RuleFact(5, "breach", label="military presence", after_instant=NOW + WEEK)
    retired = c.RuleFact(6, "breach", active=False, after_instant=NOW)
    p = provision(
        deadline=NOW - WEEK,
        rules=(BREACH_RULE, later, retired),
        in_force_until=NOW + 2 * WEEK,
    )
    got = over_time.timeline([p], NOW)
    assert [(m.kind, m.passed) for m in got] == [
        ("deadline", True),
        ("rule", False),
        ("end_of_force", False),
    ]
    assert got[1].label == "military presence"
    assert over_time.timeline([p], NOW - WEEK)[0].passed, "a deadline at the instant has passed"
