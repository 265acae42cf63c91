"""The matching engine: pure Python and numpy, no Django. Arrays in, ranking and explanation
out (DESIGN.md §5). See ranking.py for the score, fit.py for the criteria, performance.py for
the learned rates, eligibility.py for the hard rules and batch.py for joint assignment."""

from matching.engine.batch import BatchResult, assign_batch
from matching.engine.ranking import Ranking, load_factor, rank_lead, score_lead
from matching.engine.types import (
    FIT_CRITERIA,
    RULES,
    EventRecord,
    LeadProfile,
    PartnerRecord,
    PartnerTable,
    PolicyParams,
    segment_of,
)

__all__ = [
    "FIT_CRITERIA", "RULES", "BatchResult", "EventRecord", "LeadProfile", "PartnerRecord",
    "PartnerTable", "PolicyParams", "Ranking", "assign_batch", "load_factor", "rank_lead",
    "score_lead", "segment_of",
]
