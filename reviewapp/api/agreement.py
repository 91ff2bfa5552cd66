"""API (an extension): how far reviewers agree in a queue with several reviewers per trace, per scorer version —
the numbers of the Insights Agreement section (services.reliability): percent agreement, Cohen's κ per pair, Fleiss'
κ, Krippendorff's α with its 95% bootstrap interval and its reading, each reviewer's calibration against the final
reviews and the traces that split reviewers most."""
from __future__ import annotations

from typing import Any

from flask import jsonify

from reviewapp.api.core import ApiContext, QueryField, api_route, parse_uuid, strict_query
from reviewapp.services import queues, reliability
from reviewapp.services.common import ID_MAX
from reviewapp.services.errors import ValidationError, required


def _uuid(name: str, raw: str):
    return parse_uuid(raw, name)


def _version(name: str, raw: str) -> int:
    if not raw.strip().isdigit() or not 1 <= int(raw) <= ID_MAX:
        raise ValidationError("A valid integer is required.", name)
    return int(raw)


def _flag(name: str, raw: str) -> bool:
    if raw.lower() not in ("true", "false"):
        raise ValidationError("Must be a valid boolean.", name)
    return raw.lower() == "true"


QUERY: dict[str, QueryField] = {"queue_id": _uuid, "definition_id": _uuid, "version": _version, "ordinal": _flag}


def _reviewer(reviewer: reliability.Reviewer) -> dict[str, Any]:
    return {"id": reviewer.id, "name": reviewer.name}


def version_json(v: reliability.VersionAgreement) -> dict[str, Any]:
    return {
        "definition_id": str(v.definition_id), "name": v.name, "kind": v.kind, "version": v.version, "level": v.level,
        "items": v.percent.items, "judgments": v.percent.judgments, "percent_agreement": v.percent.value,
        "fleiss_kappa": v.fleiss,
        "fleiss_kappa_interval": None if v.fleiss_interval is None else list(v.fleiss_interval),
        "alpha": v.alpha, "alpha_interval": None if v.interval is None else list(v.interval),
        "reading": v.reading,
        "reviewers": [_reviewer(r) for r in v.reviewers],
        "pairwise": [{"a": p.a, "b": p.b, "kappa": p.value, "items": p.items} for p in v.pairs],
        "calibration": [{"reviewer": _reviewer(c.reviewer), "judgments": c.judgments, "compared": c.compared,
                         "agreed": c.agreed, "agreement": c.agreement, "adjudicated": c.adjudicated,
                         "overruled": c.overruled} for c in v.calibration],
        "disagreements": [{"item_id": str(d.item_id), "trace_id": d.trace_id, "distinct": d.distinct,
                           "spread": d.spread, "needs_decision": d.needs_decision,
                           "answers": [{"reviewer": name, "answer": answer} for name, answer in d.answers]}
                          for d in v.disagreements],
    }


@api_route("/agreement/", methods=["GET"])
def get_agreement(ctx: ApiContext):
    query = strict_query(QUERY)
    if "queue_id" not in query:
        raise required("queue_id")
    if "version" in query and "definition_id" not in query:
        raise ValidationError("Give definition_id with version: versions are numbered per scorer.", "version")
    queue = queues.load_queue(ctx.project_id, query["queue_id"])
    answer = reliability.queue_agreement(ctx.project_id, queue, visible_to=ctx.membership,
                                         definition_id=query.get("definition_id"),
                                         version=query.get("version"), ordinal=query.get("ordinal", False))
    return jsonify({"queue_id": str(queue.id), "queue_name": queue.name,
                    "reviews_per_trace": queue.reviews_per_trace,
                    "results": [version_json(v) for v in answer.versions]})
