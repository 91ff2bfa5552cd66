"""Queue rules: a queue's rules add the traces that match them by themselves, as traces arrive and by a backfill
over stored traces. A trace is added at most once per rule (queue_rule_additions), never while pending in any
queue nor once it has a review (the refusals of services/queue_items.py), a sampled share of the matches decided
from a hash of (rule id, trace id), and no more per UTC day than the rule's cap (counted in SQL under a lock of
the rule's row, so concurrent batches cannot pass it). What a condition means lives in rule_conditions.py."""
from __future__ import annotations

import functools
import hashlib
import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import CompoundSelect, Select, Table, bindparam, case, func, null, select, union_all
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from reviewapp.extensions import db
from reviewapp.models import QueueRule, QueueRuleAddition, ReviewQueue, Trace, User, utcnow
from reviewapp.services import queue_items, rule_conditions
from reviewapp.services.common import clean_text, load_by_id, refusal_rolls_back
from reviewapp.services.errors import ValidationError
from reviewapp.services.ingest.events import AIEvent
from reviewapp.services.ingest.summary import Summary

if TYPE_CHECKING:  # imported by name at run time: rule_conditions reaches this module through ingestion
    from reviewapp.services.rule_conditions import Condition
from reviewapp.services.queues import queue_for_body

NAME_MAX = 255
CAP_MAX = 1_000_000
# A backfill considers the newest matching stored traces up to this many per run (run it again for more).
BACKFILL_MAX = queue_items.BULK_MAX
INGEST, BACKFILL = "ingest", "backfill"


# --- rules -------------------------------------------------------------------------------------------

def _rules(project_id: int) -> Select:
    return (select(QueueRule).join(ReviewQueue, ReviewQueue.id == QueueRule.queue_id)
            .where(QueueRule.project_id == project_id, ReviewQueue.deleted_at.is_(None)))


def load_rule(project_id: int, rule_id: uuid.UUID | str) -> QueueRule:
    """A rule of a live queue of this project, or NotFound."""
    return load_by_id(_rules(project_id), QueueRule.id, rule_id)


def list_rules(project_id: int, *, queue_id: uuid.UUID | None = None, limit: int = 100,
               offset: int = 0) -> tuple[list[QueueRule], int]:
    """A page of rules, oldest first (the order in which they claim a trace two of them match), and the total."""
    query = _rules(project_id)
    if queue_id is not None:
        query = query.where(QueueRule.queue_id == queue_id)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rules = list(db.session.scalars(query.order_by(QueueRule.created_at, QueueRule.id).limit(limit).offset(offset)))
    return rules, total


def conditions_of(rule: QueueRule) -> list[Condition]:
    return rule_conditions.stored(rule.conditions or [])


def describe(rule: QueueRule) -> str:
    """The rule in words: "5% of traces where cost at least 0.5 and has an error, at most 20 a day"."""
    conditions = conditions_of(rule)
    share = "" if rule.sample_percent >= 100 else f"{rule_conditions.format_number(rule.sample_percent)}% of "
    if conditions:
        what = f"{share}traces where {' and '.join(c.describe() for c in conditions)}"
    else:
        what = f"{share}all traces" if share else "every trace"
    return what + (f", at most {rule.daily_cap} a day" if rule.daily_cap is not None else "")


def _clean_percent(raw: Any) -> float:
    if raw is None or raw == "":
        return 100.0
    try:
        value = float(raw) if not isinstance(raw, bool) else math.nan
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value) or not 0 < value <= 100:
        raise ValidationError("Enter a share between 0 (excluded) and 100 percent.", "sample_percent")
    return round(value, 4)


def _clean_cap(raw: Any) -> int | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw.strip())
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= CAP_MAX:
        raise ValidationError(f"Enter a whole number from 1 to {CAP_MAX:,}, or leave it empty for no cap.",
                              "daily_cap")
    return raw


def _clean_paused(raw: Any) -> bool:
    if not isinstance(raw, bool):
        raise ValidationError("Must be a valid boolean.", "paused")
    return raw


def _apply(project_id: int, rule: QueueRule, data: dict[str, Any]) -> None:
    if "name" in data:
        rule.name = clean_text(data["name"], "name", max_length=NAME_MAX)
    if "queue_id" in data:
        rule.queue_id = queue_for_body(project_id, data["queue_id"]).id
    if "conditions" in data:
        rule.conditions = [c.as_json() for c in rule_conditions.clean_conditions(data["conditions"])]
    if "sample_percent" in data:
        rule.sample_percent = _clean_percent(data["sample_percent"])
    if "daily_cap" in data:
        rule.daily_cap = _clean_cap(data["daily_cap"])
    if "paused" in data:
        rule.paused = _clean_paused(data["paused"])


@refusal_rolls_back
def create_rule(project_id: int, actor: User | None, queue_id: Any, data: dict[str, Any]) -> QueueRule:
    """A new rule of the queue; it applies to traces arriving from now on (a backfill takes stored ones)."""
    queue = queue_for_body(project_id, queue_id)
    rule = QueueRule(project_id=project_id, queue_id=queue.id, conditions=[], sample_percent=100.0,
                     paused=False, created_by_id=actor.id if actor else None)
    _apply(project_id, rule, {"name": None, **data, "queue_id": queue.id})
    db.session.add(rule)
    db.session.commit()
    return rule


@refusal_rolls_back
def update_rule(project_id: int, actor: User | None, rule_id: uuid.UUID | str, data: dict[str, Any]) -> QueueRule:
    """Change, pause or resume a rule; keys absent from `data` are left alone. What it added stays added."""
    rule = load_rule(project_id, rule_id)
    _apply(project_id, rule, data)
    rule.updated_at = utcnow()
    db.session.commit()
    return rule


@refusal_rolls_back
def delete_rule(project_id: int, actor: User | None, rule_id: uuid.UUID | str) -> None:
    """Delete the rule and its record of additions; the traces it queued stay queued."""
    db.session.delete(load_rule(project_id, rule_id))
    db.session.commit()


# --- what each rule added ----------------------------------------------------------------------------

@dataclass
class RuleStats:
    added: int = 0
    added_today: int = 0
    last_added_at: datetime | None = None


def _day_start(now: datetime | None = None) -> datetime:
    return datetime.combine((now or utcnow()).astimezone(UTC).date(), time(), UTC)


def stats(rule_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, RuleStats]:
    """Each rule's additions in all, today (UTC) and the latest one's time: one grouped query."""
    ids = list(rule_ids)
    found = {rule_id: RuleStats() for rule_id in ids}
    if ids:
        today = func.sum(case((QueueRuleAddition.added_at >= _day_start(), 1), else_=0))
        for rule_id, added, added_today, last in db.session.execute(
            select(QueueRuleAddition.rule_id, func.count(), today, func.max(QueueRuleAddition.added_at))
            .where(QueueRuleAddition.rule_id.in_(ids)).group_by(QueueRuleAddition.rule_id)
        ):
            found[rule_id] = RuleStats(int(added), int(added_today or 0), last)
    return found


def list_additions(project_id: int, rule_id: uuid.UUID | str, *, limit: int = 100,
                   offset: int = 0) -> tuple[list[QueueRuleAddition], int]:
    """The traces the rule added, newest first, and how many."""
    rule = load_rule(project_id, rule_id)
    base = select(QueueRuleAddition).where(QueueRuleAddition.rule_id == rule.id)
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = db.session.scalars(base.order_by(QueueRuleAddition.added_at.desc(), QueueRuleAddition.id.desc())
                              .limit(limit).offset(offset))
    return list(rows), total


# --- matching ----------------------------------------------------------------------------------------

def sampled_in(rule_id: uuid.UUID, trace_id: str, percent: float) -> bool:
    """Whether the trace falls in the rule's sampled share: a hash of (rule id, trace id), so the same trace gets
    the same answer on every batch, in a backfill and on every machine, and rules sample independently."""
    if percent >= 100:
        return True
    digest = hashlib.sha256(f"{rule_id}:{trace_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 * 100 < percent


@dataclass
class ActiveRule:
    """What ingestion needs of a rule, read in one query of plain columns, its conditions made into tests."""

    id: uuid.UUID
    queue_id: uuid.UUID
    sample_percent: float
    daily_cap: int | None
    tests: list[rule_conditions.SummaryTest]  # the conditions the summary settles
    others: list[Condition]  # those read from events or evaluation results

    @classmethod
    def of(cls, rule: Any, conditions: list[Condition],
           searched: rule_conditions.SearchedTexts | None = None) -> ActiveRule:
        tests = [rule_conditions.summary_test(c, searched) for c in conditions]
        return cls(rule.id, rule.queue_id, rule.sample_percent, rule.daily_cap, [t for t in tests if t is not None],
                   [c for c, t in zip(conditions, tests, strict=True) if t is None])

    def considered(self, trace_ids: list[str], summaries: dict[str, Summary], previous: dict[str, Summary],
                   batch: rule_conditions.BatchFacts) -> list[str]:
        """Of the batch's traces (sorted), those the rule may take, in order: the ones meeting its summary
        conditions. A rule without any can only come to match a trace the batch is the first news of (when it
        reads nothing else) or whose events in the batch bring a value or result another condition asks for."""
        for test in self.tests:  # the hot loop: a rule's first test leaves few traces to the next
            trace_ids = [trace_id for trace_id in trace_ids if test(trace_id, summaries[trace_id])]
        if self.tests:
            return trace_ids
        if not self.others:
            return [trace_id for trace_id in trace_ids if trace_id not in previous]
        woken = set().union(*(batch.woken(condition) for condition in self.others))
        return [trace_id for trace_id in trace_ids if trace_id in woken]


# The statements ingestion runs on every batch, or on every batch a rule takes a trace, are built once: building
# and keying a statement costs SQLAlchemy more than running it costs SQLite.
ACTIVE_RULES = (
    select(QueueRule.id, QueueRule.queue_id, QueueRule.sample_percent, QueueRule.daily_cap, QueueRule.conditions)
    .join(ReviewQueue, ReviewQueue.id == QueueRule.queue_id)
    .where(QueueRule.project_id == bindparam("project_id"), QueueRule.paused.is_(False),
           ReviewQueue.deleted_at.is_(None))
    .order_by(QueueRule.created_at, QueueRule.id))
LOCKED_CAPS = (select(QueueRule.id, QueueRule.daily_cap)
               .where(QueueRule.id.in_(bindparam("rule_ids", expanding=True)))
               .order_by(QueueRule.id).with_for_update())
LOCKED_ACTIVE_CAPS = LOCKED_CAPS.where(QueueRule.paused.is_(False))
# What the rules added before, in one statement: which of the traces each rule added (trace id, no count), and
# how many the capped rules added today (a count, no trace id).
EARLIER_ADDITIONS: CompoundSelect[uuid.UUID, str | None, int | None] = union_all(
    select(QueueRuleAddition.rule_id, QueueRuleAddition.trace_id, null()).where(
        QueueRuleAddition.rule_id.in_(bindparam("rule_ids", expanding=True)),
        QueueRuleAddition.trace_id.in_(bindparam("trace_ids", expanding=True))),
    select(QueueRuleAddition.rule_id, null(), func.count()).where(
        QueueRuleAddition.rule_id.in_(bindparam("capped_ids", expanding=True)),
        QueueRuleAddition.added_at >= bindparam("since")).group_by(QueueRuleAddition.rule_id),
)
ADDITIONS = cast(Table, QueueRuleAddition.__table__)  # inserted as plain rows: the ORM's bulk insert costs more


@functools.cache
def _insert_additions(dialect: str) -> Any:
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return insert(ADDITIONS).on_conflict_do_nothing(index_elements=["rule_id", "trace_id"])


def _active_rules(project_id: int) -> list[ActiveRule]:
    """The project's rules that take traces now, oldest first, their tests made for one batch."""
    searched = rule_conditions.SearchedTexts()
    return [ActiveRule.of(row, rule_conditions.stored(row.conditions or []), searched)
            for row in db.session.execute(ACTIVE_RULES, {"project_id": project_id})]


def apply_on_ingest(project_id: int, summaries: dict[str, Summary], previous: dict[str, Summary],
                    events: Iterable[AIEvent]) -> int:
    """Add the traces whose summary this batch changed to the queues of the active rules they now match, in the
    batch's transaction (not committed here). `summaries` are the merged summaries, `previous` the summaries before
    this batch of the traces seen before (the others are new: all their events are in it). A trace seen before is
    considered by a rule when this batch may have made one of its conditions hold: one that held already was
    considered then. One query when nothing matches; the number of traces added."""
    rules = _active_rules(project_id)
    if not rules or not summaries:
        return 0
    batch = rule_conditions.BatchFacts.of(events, {c.event_key for rule in rules for c in rule.others if c.event_key})
    trace_ids = sorted(summaries)
    candidates: list[tuple[ActiveRule, str]] = []
    open_questions: list[tuple[ActiveRule, str, list[Condition]]] = []
    for rule in rules:
        for trace_id in rule.considered(trace_ids, summaries, previous, batch):
            unknown = _unsettled(rule, trace_id, previous.get(trace_id), batch)
            if unknown is None or not sampled_in(rule.id, trace_id, rule.sample_percent):
                continue
            if unknown:
                open_questions.append((rule, trace_id, unknown))
            else:
                candidates.append((rule, trace_id))
    candidates += _settle_in_database(project_id, open_questions)
    if not candidates:
        return 0
    oldest_first = {rule.id: n for n, rule in enumerate(rules)}
    candidates.sort(key=lambda candidate: (candidate[1], oldest_first[candidate[0].id]))  # see _add
    return len(_add(project_id, candidates, INGEST, seen_before=set(previous)))


def _unsettled(rule: ActiveRule, trace_id: str, before: Summary | None,
               batch: rule_conditions.BatchFacts) -> list[Condition] | None:
    """For a trace whose summary meets the rule's summary conditions: None when the rule does not take it on this
    batch (an event or evaluation condition fails, or none came true with it); else the conditions only the
    database can settle (none: it matches)."""
    if before is not None and all(test(trace_id, before) for test in rule.tests) and not any(
            rule_conditions.came_true(c, trace_id, batch) for c in rule.others):
        return None  # nothing this batch brought can have changed the rule's answer: it was given before
    unknown: list[Condition] = []
    for condition in rule.others:
        verdict = rule_conditions.event_holds_now(condition, trace_id, batch, before is None)
        if verdict is False:
            return None
        if verdict is rule_conditions.UNKNOWN:
            unknown.append(condition)
    return unknown


def _settle_in_database(project_id: int, questions: list[tuple[ActiveRule, str, list[Condition]]]
                        ) -> list[tuple[ActiveRule, str]]:
    """The (rule, trace) pairs whose remaining conditions the stored events and evaluations meet: one query for
    each kind asked about."""
    if not questions:
        return []
    trace_ids = sorted({trace_id for _, trace_id, _ in questions})
    event_keys = sorted({c.event_key for *_, conditions in questions for c in conditions if c.event_key})
    evaluation_keys = sorted({c.key for *_, conditions in questions for c in conditions
                              if c.field == rule_conditions.EVALUATION and c.key})
    values = rule_conditions.stored_event_values(project_id, trace_ids, event_keys)
    outcomes = rule_conditions.evaluation_outcomes(project_id, trace_ids, evaluation_keys)

    def holds(trace_id: str, condition: Condition) -> bool:
        if condition.event_key:
            return condition.value.casefold() in values.get(trace_id, {}).get(condition.event_key, set())
        return (trace_id, condition.key or "", condition.value) in outcomes

    return [(rule, trace_id) for rule, trace_id, conditions in questions
            if all(holds(trace_id, c) for c in conditions)]


def _add(project_id: int, candidates: list[tuple[ActiveRule, str]], source: str,
         seen_before: set[str] | None = None) -> list[QueueRuleAddition]:
    """Queue the candidates, each trace by the first of its rules (in the order given) that has not added it yet
    and has room under its daily cap; traces that cannot be queued are left out. `seen_before`: the traces stored
    before this batch, the only ones a rule can have added already (None: any). Does not commit. Four statements
    (five on PostgreSQL): the refusals, the caps locked, the rules' earlier additions, the items, the record."""
    allowed = set(queue_items.queueable(project_id, sorted({trace_id for _, trace_id in candidates})))
    candidates = [(rule, trace_id) for rule, trace_id in candidates if trace_id in allowed]
    if not candidates:
        return []
    rules = {rule.id: rule for rule, _ in candidates}
    caps = _lock_caps(list(rules.values()), include_paused=source == BACKFILL)
    asked = sorted({t for _, t in candidates if seen_before is None or t in seen_before})
    room: dict[uuid.UUID, float] = {rule.id: math.inf for rule in rules.values() if rule.daily_cap is None}
    room.update((rule_id, math.inf if cap is None else cap) for rule_id, cap in caps.items())
    done: set[tuple[uuid.UUID, str]] = set()
    if asked or caps:
        for rule_id, trace_id, today in db.session.execute(EARLIER_ADDITIONS, {
                "rule_ids": list(rules), "trace_ids": asked, "capped_ids": list(caps), "since": _day_start()}):
            if trace_id is not None:
                done.add((rule_id, trace_id))
            else:
                room[rule_id] -= today or 0
    chosen: dict[str, ActiveRule] = {}
    for rule, trace_id in candidates:
        if trace_id not in chosen and (rule.id, trace_id) not in done and room.get(rule.id, 0) > 0:
            chosen[trace_id] = rule
            room[rule.id] -= 1
    items = queue_items.queue_unattended(project_id, {trace_id: rule.queue_id for trace_id, rule in chosen.items()})
    if not items:
        return []
    now = utcnow()
    rows = [{"project_id": project_id, "rule_id": chosen[t].id, "trace_id": t, "item_id": items[t],
             "source": source, "added_at": now} for t in sorted(items)]
    db.session.execute(_insert_additions(db.session.get_bind().dialect.name), rows)
    return [QueueRuleAddition(**row) for row in rows]


def _lock_caps(rules: list[ActiveRule], include_paused: bool) -> dict[uuid.UUID, int | None]:
    """The daily caps of the capped rules, locked until the transaction ends (in id order, so two batches cannot
    deadlock) so that their day is counted after a concurrent batch adding by them has committed; none once paused,
    unless `include_paused` (a backfill). A rule without a cap needs no lock: the unique keys keep a trace from being
    added twice. SQLite lets one transaction write at a time, and this one has read the rules after it wrote (the
    events, or nothing yet on a backfill, whose rule was read in it): there the rules as read are the rules now."""
    capped = sorted(rule.id for rule in rules if rule.daily_cap is not None)
    if not capped or db.session.get_bind().dialect.name != "postgresql":
        return {rule.id: rule.daily_cap for rule in rules if rule.daily_cap is not None}
    locked = LOCKED_CAPS if include_paused else LOCKED_ACTIVE_CAPS
    return {rule_id: cap for rule_id, cap in db.session.execute(locked, {"rule_ids": capped})}


# --- backfill ----------------------------------------------------------------------------------------

@dataclass
class Preview:
    matching: int  # stored traces meeting the conditions (counted up to BACKFILL_MAX + 1)
    sampled: int  # of those considered, in the rule's sampled share
    addable: int  # of those, not yet added by the rule, not pending, not reviewed
    would_add: int  # within today's cap

    @property
    def more(self) -> bool:
        return self.matching > BACKFILL_MAX


def _matching(project_id: int, rule: QueueRule) -> tuple[list[str], int]:
    clauses = [Trace.project_id == project_id, *rule_conditions.sql_conditions(project_id, conditions_of(rule))]
    ids = list(db.session.scalars(select(Trace.trace_id).where(*clauses)
                                  .order_by(Trace.first_timestamp.desc(), Trace.id.desc()).limit(BACKFILL_MAX + 1)))
    return ids[:BACKFILL_MAX], len(ids)


def _addable(project_id: int, rule: QueueRule) -> tuple[list[str], int, int]:
    ids, matching = _matching(project_id, rule)
    sampled = [t for t in ids if sampled_in(rule.id, t, rule.sample_percent)]
    done = set(db.session.scalars(select(QueueRuleAddition.trace_id).where(QueueRuleAddition.rule_id == rule.id)))
    return queue_items.queueable(project_id, [t for t in sampled if t not in done]), matching, len(sampled)


def preview(project_id: int, rule_id: uuid.UUID | str) -> Preview:
    """What a backfill of the rule would do now, without doing it."""
    rule = load_rule(project_id, rule_id)
    addable, matching, sampled = _addable(project_id, rule)
    room = _room_today(rule)
    return Preview(matching, sampled, len(addable), int(min(len(addable), room)))


def _room_today(rule: QueueRule) -> float:
    if rule.daily_cap is None:
        return math.inf
    used = db.session.scalar(select(func.count()).where(QueueRuleAddition.rule_id == rule.id,
                                                        QueueRuleAddition.added_at >= _day_start())) or 0
    return max(rule.daily_cap - used, 0)


@refusal_rolls_back
def backfill(project_id: int, actor: User | None, rule_id: uuid.UUID | str) -> int:
    """Run the rule over the stored traces (the newest BACKFILL_MAX that match), paused or not: add what it
    would have added as they arrived, within today's cap. The number added."""
    rule = load_rule(project_id, rule_id)
    addable, _, _ = _addable(project_id, rule)
    active = ActiveRule.of(rule, conditions_of(rule))
    added = _add(project_id, [(active, t) for t in addable], BACKFILL) if addable else []
    db.session.commit()
    return len(added)
