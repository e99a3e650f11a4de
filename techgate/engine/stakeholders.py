"""Who was heard: staff, customers and employee representatives.

Consultations and a pilot's gathered feedback count alike. Opinion that
was not recorded counts as not in favour, so recording it can only help.
"""

from __future__ import annotations

from typing import NamedTuple

from techgate.engine.numbers import maybe_share, share
from techgate.model.evaluation import GroupInput, StakeholderAnalysis
from techgate.model.proposal import Proposal, StakeholderGroup, count_of

# A sample of n people counts n / (n + SAMPLE_PRIOR): five people count a
# third, ninety count nine tenths. Small consultations still count, less.
SAMPLE_PRIOR = 10


class _Heard(NamedTuple):
    """One consultation or one pilot's feedback, as counted for a group."""

    method: str
    participants: int
    at_least: bool
    favourable_share: float | None


def _heard(proposal: Proposal, group: StakeholderGroup) -> list[_Heard]:
    heard = [
        _Heard(
            c.method.value,
            count_of(c.participants),
            not isinstance(c.participants, int),
            c.favourable_share,
        )
        for c in proposal.stakeholder_input
        if c.group is group
    ]
    pilot = proposal.pilot
    feedback = None
    if pilot is not None:
        if group is StakeholderGroup.STAFF:
            feedback = pilot.staff_feedback
        elif group is StakeholderGroup.CUSTOMERS:
            feedback = pilot.customer_feedback
    if feedback is not None:
        heard.append(
            _Heard(
                "pilot-feedback",
                count_of(feedback.respondents),
                not isinstance(feedback.respondents, int),
                feedback.favourable_share,
            )
        )
    return heard


# A derived indicator's fraction and how it was reached.
Finding = tuple[float, str]


def stakeholders(proposal: Proposal) -> tuple[StakeholderAnalysis, Finding, Finding]:
    groups: list[GroupInput] = []
    values: list[Finding] = []
    for group in StakeholderGroup:
        heard = _heard(proposal, group)
        participants = sum(h.participants for h in heard)
        asked = [h for h in heard if h.favourable_share is not None and h.participants]
        asked_people = sum(h.participants for h in asked)
        in_favour = sum(h.participants * (h.favourable_share or 0.0) for h in asked)
        favourable = in_favour / asked_people if asked_people else None
        sample_weight = participants / (participants + SAMPLE_PRIOR)
        groups.append(
            GroupInput.trusted(
                group=group.value,
                consultations=len(heard),
                participants=participants,
                at_least=any(h.at_least for h in heard),
                opinion_recorded=asked_people,
                favourable_share=maybe_share(favourable),
                sample_weight=share(sample_weight),
                methods=tuple(sorted({h.method for h in heard})),
            )
        )
        # Opinion that was not recorded could have been anything: it counts
        # as not in favour, so recording it can only help.
        opinion = in_favour / participants if participants else 0.0
        if participants:
            unrecorded = participants - asked_people
            explanation = (
                f"{'at least ' if groups[-1].at_least else ''}{participants} {group.value} "
                f"heard (counts {sample_weight:.0%}), "
                + (
                    f"{favourable:.0%} of those asked in favour"
                    if favourable is not None
                    else "no opinion recorded"
                )
                + (
                    f"; {unrecorded} without a recorded opinion count as not in favour"
                    if unrecorded and favourable is not None
                    else ""
                )
            )
        else:
            pilot = proposal.pilot
            explanation = f"no consultation of {group.value} recorded"
            if group is StakeholderGroup.STAFF and pilot is not None and pilot.staff_users:
                explanation += (
                    f" ({pilot.staff_users} staff used it in the pilot, but their feedback "
                    "was not gathered)"
                )
        values.append((sample_weight * opinion, explanation))
    summary = " ".join(
        (
            f"{'At least ' if g.at_least else ''}{g.participants} {_words(g.group)} heard"
            + (
                f", {g.favourable_share:.0%} of those asked in favour."
                if g.favourable_share is not None
                else ", no opinion recorded."
            )
        )
        if g.participants
        else f"No {_words(g.group)} were consulted."
        for g in groups
    )
    return StakeholderAnalysis.trusted(groups=tuple(groups), summary=summary), values[0], values[1]


def _words(group: str) -> str:
    return group.replace("-", " ")
