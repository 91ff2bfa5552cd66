"""The review page in a queue with several reviewers per trace: what the panel says about the judgment being made
("Judgment 2 of 3", blind), and Save & next saving (or editing) the reviewer's own judgment. The rules are
services.judgments'; the page never shows anyone else's judgment nor the trace's final review."""
from __future__ import annotations

from dataclasses import dataclass

from reviewapp.models import Judgment, ReviewQueueItem, User
from reviewapp.services import judgments


@dataclass(frozen=True)
class Judging:
    """The panel's account of a judgment: which of the N it is, whether the queue is blind, and the reviewer's
    own judgment when they are editing it."""

    number: int
    of: int
    blind: bool
    judgment: Judgment | None

    @property
    def label(self) -> str:
        return f"Judgment {self.number} of {self.of}"


def judging_for(item: ReviewQueueItem, actor: User) -> Judging | None:
    """The panel's account for `actor` on this item, or None in a queue with one reviewer per trace."""
    queue = item.queue
    if not queue.takes_judgments:
        return None
    earlier = judgments.judgments_for_item(item.id)
    own = next((j for j in earlier if j.reviewer_id == actor.id), None)
    number = earlier.index(own) + 1 if own is not None else min(item.judgment_count + 1, queue.reviews_per_trace)
    return Judging(number=number, of=queue.reviews_per_trace, blind=queue.blind, judgment=own)
