"""techgate's data: criteria packs, proposals and decision records.

This package imports nothing else of techgate, so every other part can
depend on it without cycles.
"""

from techgate.model.criteria import (
    Aggregation,
    CriteriaPack,
    Criterion,
    DecisionPolicy,
    DerivedMeasure,
    Gate,
    Indicator,
    PackOverlay,
    Scale,
    ScaleLevel,
    Severity,
)
from techgate.model.evaluation import Decision, Evaluation
from techgate.model.problems import Problem, pack_problems, proposal_problems
from techgate.model.proposal import Category, EvidenceKind, Proposal

__all__ = [
    "Aggregation",
    "Category",
    "CriteriaPack",
    "Criterion",
    "Decision",
    "DecisionPolicy",
    "DerivedMeasure",
    "Evaluation",
    "EvidenceKind",
    "Gate",
    "Indicator",
    "PackOverlay",
    "Problem",
    "Proposal",
    "Scale",
    "ScaleLevel",
    "Severity",
    "pack_problems",
    "proposal_problems",
]
