"""The one gate to the hotline: which threads and messages a caller may load.

Mission staff see everything. A party liaison sees only what domain.hotline.liaison_sees
allows, enforced in the queries; anything else answers 404 exactly as a thread or message
that does not exist, so a liaison never learns that another party's thread exists.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from vigil.domain.roles import Role
from vigil.errors import VigilError
from vigil.queries import hotline as hotline_q
from vigil.services.access import Principal
from vigil.store.tables import HotlineMessage, HotlineThread


def walled(who: Principal) -> bool:
    """True for a caller behind the liaison wall."""
    return who.role is Role.party_liaison


def no_thread(thread_id: int) -> VigilError:
    """The one answer for a thread that does not exist or may not be seen."""
    return VigilError("not_found", f"no hotline thread {thread_id}")


def no_message(message_id: int) -> VigilError:
    """The one answer for a message that does not exist or may not be seen."""
    return VigilError("not_found", f"no hotline message {message_id}")


def load_thread(session: Session, who: Principal, thread_id: int) -> HotlineThread:
    """A thread the caller may see, else 404."""
    row = hotline_q.thread(session, thread_id, who.party_id, walled(who))
    if row is None:
        raise no_thread(thread_id)
    return row


def load_message(session: Session, who: Principal, message_id: int) -> HotlineMessage:
    """A message the caller may see (locked for an update), else 404."""
    row = hotline_q.message(session, message_id, who.party_id, walled(who))
    if row is None:
        raise no_message(message_id)
    return row
