"""`vigil fuse` and `vigil stats violations` as a user runs them, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

from tests.integration.test_cli import Site

from vigil.store.tables import FusionRun, Incident

MONTH = ("--since", "2020-11-09T00:00Z", "--until", "2020-12-11T00:00Z")


def test_fuse_is_repeatable_and_stats_count_distinct_events(site: Site) -> None:
    site.ok("demo", "--seed", "3")
    incidents = site.count(Incident)
    assert incidents > 500  # the demo is fused as it is loaded
    site.ok("fuse", *MONTH)  # weekly steps may judge a few lone reports anew
    incidents = site.count(Incident)
    again = site.ok("fuse", *MONTH)
    assert re.search(r"\b0 incidents created, 0 changed, 0 superseded", again), again
    assert site.count(Incident) == incidents
    assert site.count(FusionRun) >= 2
    table = site.ok(
        "stats", "violations", "--from", "2020-11-10T00:00+04:00", "--to",
        "2020-12-10T00:00+04:00", "--period", "total",
    )  # fmt: skip
    found = re.search(r"total: (\d+) distinct events from (\d+) reports", table)
    assert found, table
    events, reports = int(found.group(1)), int(found.group(2))
    assert 0 < events < reports  # fused: fewer events than reports
    assert "intact" in site.ok("verify")


def test_bad_fuse_and_stats_options_are_one_line_errors(site: Site) -> None:
    site.ok("init")
    for args, message in (
        (("fuse", "--since", "yesterday"), "not an ISO 8601"),
        (("fuse", "--since", "2020-11-10T00:00"), "needs a UTC offset"),
        (("fuse", "--since", "2020-11-10T00:00Z", "--until", "2020-11-09T00:00Z"), "after"),
        (("fuse", "--since", "2020-11-10T00:00Z", "--chunk-days", "0"), "chunk-days"),
        (
            ("stats", "violations", "--from", "2020-11-10T00:00Z", "--to", "2020-11-11T00:00Z",
             "--period", "fortnight"),
            "period",
        ),
        (
            ("stats", "violations", "--from", "2020-11-10T00:00Z", "--to", "2020-11-11T00:00Z",
             "--zone", "atlantis"),
            "atlantis",
        ),
    ):  # fmt: skip
        done = site.run(*args)
        assert done.returncode != 0, args
        assert message in done.stderr, (args, done.stderr)
        assert len(done.stderr.strip().splitlines()) <= 3, done.stderr
    assert site.count(FusionRun) == 0
