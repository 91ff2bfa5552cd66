"""Every model, imported here so Alembic and create_all see the whole schema."""
from reviewapp.models.api_key import SCOPES, PersonalApiKey
from reviewapp.models.base import Base, utcnow, uuid7
from reviewapp.models.evaluation import Evaluation, EvaluationOutcomeCount, TraceEvaluation
from reviewapp.models.judgment import Judgment, JudgmentScore
from reviewapp.models.project import ROLES, Membership, Project, User
from reviewapp.models.queue import ItemClaim, QueueAssignee, QueueScorer, ReviewQueue, ReviewQueueItem, ReviewSkip
from reviewapp.models.queue_rule import QueueRule, QueueRuleAddition
from reviewapp.models.review import ScoreValues, TraceReview, TraceReviewScore
from reviewapp.models.review_change import ReviewChange
from reviewapp.models.scoring import KINDS, ScoreDefinition, ScoreDefinitionVersion
from reviewapp.models.session import SignInAttempt, UserSession
from reviewapp.models.trace import Trace, TraceEvent, TraceModel

__all__ = [
    "Base", "utcnow", "uuid7", "ROLES", "SCOPES", "KINDS",
    "User", "Project", "Membership", "PersonalApiKey", "UserSession", "SignInAttempt",
    "ReviewQueue", "ReviewQueueItem", "QueueScorer", "QueueAssignee", "ItemClaim", "ReviewSkip",
    "QueueRule", "QueueRuleAddition",
    "ScoreDefinition", "ScoreDefinitionVersion", "TraceReview", "TraceReviewScore", "ScoreValues", "ReviewChange",
    "Judgment", "JudgmentScore",
    "Trace", "TraceEvent", "TraceModel", "Evaluation", "EvaluationOutcomeCount", "TraceEvaluation",
]
