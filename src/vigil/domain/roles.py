"""The roles of MISSION.md, and the groups of them that endpoints grant access to."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What a signed-in user is in the mission; the anonymous public has no role."""

    monitor = "monitor"
    patrol_leader = "patrol_leader"
    analyst = "analyst"
    duty_officer = "duty_officer"
    head_of_mission = "head_of_mission"
    party_liaison = "party_liaison"
    admin = "admin"


ALL_ROLES: frozenset[Role] = frozenset(Role)
# Everyone inside the mission; party liaisons are external and see nothing internal.
INTERNAL: frozenset[Role] = ALL_ROLES - {Role.party_liaison}
# Who may submit observations.
REPORTERS: frozenset[Role] = frozenset(
    {Role.monitor, Role.patrol_leader, Role.analyst, Role.duty_officer, Role.admin}
)
# Who may fuse observations into incidents.
ANALYSTS: frozenset[Role] = frozenset({Role.analyst, Role.head_of_mission})
# Who may change the mission's geography and configuration.
ADMINS: frozenset[Role] = frozenset({Role.admin})
# Who may read the audit log.
AUDITORS: frozenset[Role] = frozenset({Role.admin, Role.head_of_mission})
# Who may run fusion on demand: analysts, and admins (the server's own worker is one).
FUSION_RUNNERS: frozenset[Role] = ANALYSTS | ADMINS
# Who may set the default reliability of sources (posts, patrols, third parties).
SOURCE_GRADERS: frozenset[Role] = frozenset({Role.head_of_mission, Role.admin})
# Who may set the lowest attribution confidence the mission's reports show.
ATTRIBUTION_PUBLISHERS: frozenset[Role] = frozenset({Role.head_of_mission})
# Who may log a patrol's radio call and acknowledge a safety alarm (the operations room).
DUTY_OFFICERS: frozenset[Role] = frozenset({Role.duty_officer, Role.head_of_mission, Role.admin})
# Who plans patrols, edits their plans, registers vehicles (the operations room).
OPERATIONS: frozenset[Role] = DUTY_OFFICERS
# Who may start, complete or abort a patrol: the operations room, and a patrol leader (only
# a patrol they lead: services/patrols.py checks that).
PATROL_RUNNERS: frozenset[Role] = OPERATIONS | {Role.patrol_leader}
# Who runs the hotline for the mission: open threads, relay, log answers, close.
HOTLINE_STAFF: frozenset[Role] = DUTY_OFFICERS
# Who may write into hotline threads: the hotline's staff, and liaisons behind their wall.
HOTLINE_WRITERS: frozenset[Role] = HOTLINE_STAFF | {Role.party_liaison}
# Who may register the phones that track patrols, and revoke them.
TRACKER_KEEPERS: frozenset[Role] = frozenset({Role.duty_officer, Role.admin})
