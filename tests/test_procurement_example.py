"""The shipped procurement example: three bids for one billing chat, decided for the right reasons.

examples/procurement/ holds a panel's review of three vendors' bids for a
utility's billing and payments web chat, judged by the panel's own pack
(an overlay of contact-centre). Each bid is modelled on a public case: the
go on a carefully grounded and piloted assistant, the conditional on a
sound design whose benefits are another client's first-month figures and
whose customers were never asked, the knock-out on the airline chatbot
that invented a fare rule its owner was then held to. These tests pin not
only each decision but what drives it, so a change to the engine or the
pack that reaches the same verdicts by other routes shows up here.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from techgate import api
from techgate.cli import cli
from techgate.model import Evaluation
from techgate.model.comparison import Comparison

ROOT = Path(__file__).resolve().parent.parent
PROCUREMENT = ROOT / "examples" / "procurement"
GO = PROCUREMENT / "vendor-a.yaml"
CONDITIONAL = PROCUREMENT / "vendor-b.yaml"
KNOCKED_OUT = PROCUREMENT / "vendor-c.yaml"
BIDS = (GO, CONDITIONAL, KNOCKED_OUT)

# The gates that apply because the bids compose their own answers and talk
# to customers directly; the go and the conditional bid must pass them all.
GENERATIVE_NO_GO_GATES = {
    "generated-answers-grounded",
    "generated-answers-tested",
    "answers-owned",
    "abuse-resisted",  # no-go in the panel's pack, conditional in contact-centre
}
# What knocks the general-purpose bid out: answers not confined to our own
# content, and nobody standing behind them (Moffatt v. Air Canada).
KNOCK_OUT_GATES = ("generated-answers-grounded", "answers-owned")


@pytest.fixture(scope="module")
def records() -> dict[Path, Evaluation]:
    return {path: api.evaluate(path) for path in BIDS}


@pytest.fixture(scope="module")
def comparison() -> Comparison:
    return api.compare(list(BIDS)).comparison


def _failed(record: Evaluation) -> dict[str, str]:
    """Failed gate id to its severity."""
    return {g.id: g.severity.value for g in record.gates if g.status.value == "failed"}


def _gate(record: Evaluation, gate_id: str) -> str:
    return next(g.status.value for g in record.gates if g.id == gate_id)


# -- the panel's pack --------------------------------------------------------------------


def test_every_bid_is_judged_by_the_panels_own_overlay(records: dict[Path, Evaluation]) -> None:
    for record in records.values():
        assert record.pack.id == "procurement-chat"
        assert record.provenance.pack_lineage == ("procurement-weights", "contact-centre")
    assert len({r.provenance.pack_sha256 for r in records.values()}) == 1


def test_the_overlay_makes_abuse_a_knock_out_and_adds_the_payment_difficulty_gate() -> None:
    pack = api.load_pack(PROCUREMENT / "pack.yaml")
    gates = {g.id: g for g in pack.gates}
    assert gates["abuse-resisted"].severity.value == "no-go"
    default = {g.id: g for g in api.load_pack("contact-centre").gates}
    assert default["abuse-resisted"].severity.value == "conditional"
    assert gates["payment-difficulty-routed"].severity.value == "conditional"


# -- bid A: go -------------------------------------------------------------------------


def test_the_grounded_piloted_bid_is_a_go_with_no_gate_or_cap_against_it(
    records: dict[Path, Evaluation],
) -> None:
    record = records[GO]
    assert record.decision.value == "go" and record.score_decision.value == "go"
    assert _failed(record) == {} and record.conditions == ()
    for gate in GENERATIVE_NO_GO_GATES | {"human-route", "human-route-speed"}:
        assert _gate(record, gate) == "passed", gate
    assert _gate(record, "payment-difficulty-routed") == "passed"
    # Only the score holds it at go, and no single level or answer undoes that.
    assert record.margin.binding == ("score",)
    assert not record.margin.knife_edge and record.margin.flips == ()
    assert record.confidence >= record.pack.policy.min_confidence


def test_the_go_is_argued_from_grounding_the_quick_route_and_measured_benefits(
    records: dict[Path, Evaluation],
) -> None:
    record = records[GO]
    first = record.reasons[0]
    assert (first.kind, first.direction) == ("score", "for")
    in_favour = {r.ref for r in record.reasons if r.kind == "indicator" and r.direction == "for"}
    assert {"route-to-person", "grounded-answers", "customer-metrics"} <= in_favour
    against = [r.ref for r in record.reasons if r.direction == "against"]
    assert against == []  # nothing below adequate
    escalation = record.analyses.escalation
    assert escalation.steps_to_person == 1 and escalation.minutes_to_person == 2
    benefits = record.analyses.benefits
    assert {line.basis for line in benefits.lines} == {"measured"}
    assert benefits.measured_share > 0.8
    groups = {g.group: g for g in record.analyses.stakeholders.groups}
    assert groups["staff"].participants >= 5 and groups["customers"].participants >= 5


# -- bid B: conditional ------------------------------------------------------------------


def test_the_unpiloted_bid_is_conditional_on_asking_customers_and_measuring_benefits(
    records: dict[Path, Evaluation],
) -> None:
    record = records[CONDITIONAL]
    assert record.decision.value == "conditional"
    assert _failed(record) == {"stakeholders-consulted": "conditional"}
    for gate in GENERATIVE_NO_GO_GATES | {"human-route", "human-route-speed"}:
        assert _gate(record, gate) == "passed", gate
    # Customers were never asked; staff were, and mostly favour it.
    groups = {g.group: g for g in record.analyses.stakeholders.groups}
    assert groups["customers"].participants == 0 and groups["staff"].participants == 11
    # Its whole benefits case is the vendor's figure from another client.
    benefits = record.analyses.benefits
    assert benefits.measured_share == 0
    assert {line.basis for line in benefits.lines} == {"vendor-claim"}
    assert record.confidence < record.pack.policy.min_confidence
    # The conditions: ask customers, lift the score, back it with a pilot.
    assert [c.source for c in record.conditions] == [
        "stakeholders-consulted",
        "score",
        "confidence",
    ]
    assert "five customers" in record.conditions[0].text
    assert "pilot or production evidence" in record.conditions[2].text
    assert record.reasons[0].kind == "gate" and record.reasons[0].ref == "stakeholders-consulted"


def test_what_binds_the_conditional_and_the_two_floors_it_sits_on(
    records: dict[Path, Evaluation],
) -> None:
    margin = records[CONDITIONAL].margin
    assert margin.binding == ("stakeholders-consulted", "score", "min_confidence")
    # Abuse resistance sits at the panel's no-go floor with two red-team
    # findings open, and testing only just above it: one level lower on
    # either (or one assessor's answer on abuse) knocks the bid out.
    assert margin.knife_edge
    assert {f.to.value for f in margin.flips} == {"no-go"}
    assert {f.ref for f in margin.flips if f.kind == "indicator"} == {
        "abuse-resistance",
        "release-testing",
    }
    assessor_flips = [f.change for f in margin.flips if f.kind == "assessor"]
    assert assessor_flips and all("Resists abuse" in change for change in assessor_flips)


# -- bid C: no-go ------------------------------------------------------------------------


def test_the_general_purpose_bid_is_stopped_by_grounding_and_ownership_not_its_score(
    records: dict[Path, Evaluation],
) -> None:
    record = records[KNOCKED_OUT]
    assert record.decision.value == "no-go"
    failed = _failed(record)
    assert {g for g, severity in failed.items() if severity == "no-go"} == set(KNOCK_OUT_GATES)
    # The score alone would have let it through as conditional: the gates stop it.
    assert record.score_decision.value == "conditional"
    # What it does well stays passed: a person can be reached, it was tested
    # before major releases, it resisted a red team, the floors hold.
    for gate in (
        "human-route",
        "generated-answers-tested",
        "abuse-resisted",
        "reliability-floor",
        "safety-floor",
    ):
        assert _gate(record, gate) == "passed", gate
    assert [r.ref for r in record.reasons[:2]] == list(KNOCK_OUT_GATES)
    assert all(r.kind == "gate" and r.direction == "against" for r in record.reasons[:2])
    assert record.margin.binding == KNOCK_OUT_GATES
    # Two no-go gates fail: no single level, answer or gate can rescue it.
    assert all(f.to.value == "no-go" for f in record.margin.flips)
    assert [c.source for c in record.conditions[:2]] == list(KNOCK_OUT_GATES)


# -- the comparison --------------------------------------------------------------------


def test_the_comparison_ranks_go_over_conditional_and_knocks_out_the_no_go(
    comparison: Comparison,
) -> None:
    assert [(m.id, m.rank, m.decision.value) for m in comparison.members] == [
        ("harbourlight-answers", 1, "go"),
        ("quaystone-chat", 2, "conditional"),
        ("brisa-assist", None, "no-go"),
    ]
    out = comparison.members[2].knocked_out
    assert out is not None and out.gates == KNOCK_OUT_GATES
    assert comparison.members[2].ranking_score is None
    assert comparison.winner == "harbourlight-answers" and comparison.decision.value == "go"
    assert comparison.members[0].conditions == ()
    assert comparison.members[1].conditions  # ranked, with its conditions beside it
    assert "brisa-assist" in comparison.recommendation


def test_the_winner_is_clear_of_the_panels_noise(comparison: Comparison) -> None:
    first, second = comparison.members[:2]
    assert all(m.assessor_spread > 0 for m in comparison.members)  # two assessors each
    gap = first.ranking_score - second.ranking_score  # type: ignore[operator]
    assert gap > comparison.noise and comparison.near_ties == ()


@pytest.mark.parametrize(
    ("bid", "code"), [(GO, 0), (CONDITIONAL, 3), (KNOCKED_OUT, 4)], ids=["go", "cond", "no-go"]
)
def test_evaluate_exits_with_each_bids_decision(bid: Path, code: int) -> None:
    result = CliRunner().invoke(cli, ["evaluate", str(bid), "-f", "json"])
    assert result.exit_code == code, result.stderr
    assert json.loads(result.stdout)["pack"]["id"] == "procurement-chat"


def test_compare_exits_with_the_best_ranked_decision() -> None:
    result = CliRunner().invoke(cli, ["compare", *map(str, BIDS)])
    assert result.exit_code == 0, result.stderr
    assert "Knocked out: brisa-assist" in result.stdout
    without_winner = CliRunner().invoke(cli, ["compare", str(CONDITIONAL), str(KNOCKED_OUT)])
    assert without_winner.exit_code == 3, without_winner.stderr


def test_the_records_are_what_validation_would_build(
    records: dict[Path, Evaluation], comparison: Comparison
) -> None:
    for record in records.values():
        text = record.model_dump_json()
        assert Evaluation.model_validate_json(text).model_dump_json() == text
    text = comparison.model_dump_json()
    assert Comparison.model_validate_json(text).model_dump_json() == text
    assert comparison.records == tuple(records[path] for path in BIDS)


# -- omission never pays ---------------------------------------------------------------


def _knocked_out_bid_without(folder: Path, path: tuple[str, ...]) -> Path:
    """A copy of the knocked-out bid with one fact deleted, beside a copy of its pack."""
    yaml = YAML(typ="safe", pure=True)
    data: dict[str, Any] = yaml.load(KNOCKED_OUT.read_text(encoding="utf-8"))
    holder = data
    for key in path[:-1]:
        holder = holder[key]
    del holder[path[-1]]
    for name in ("pack.yaml", "weights.yaml"):
        shutil.copy(PROCUREMENT / name, folder / name)
    shorter = folder / KNOCKED_OUT.name
    with shorter.open("w", encoding="utf-8") as stream:
        yaml.dump(data, stream)
    return shorter


@pytest.mark.parametrize(
    "omitted",
    [
        ("human_escalation",),
        ("human_escalation", "steps_to_person"),
        ("human_escalation", "triggers"),
        ("automation",),
        ("automation", "generates_answers"),
        ("workforce",),
        ("segments",),
        ("stakeholder_input",),
        ("motive",),
        ("transactions",),
    ],
    ids=lambda path: ".".join(path),
)
def test_leaving_a_fact_out_of_the_knocked_out_bid_never_helps_it(
    tmp_path: Path, records: dict[Path, Evaluation], omitted: tuple[str, ...]
) -> None:
    shorter = _knocked_out_bid_without(tmp_path, omitted)
    honest = records[KNOCKED_OUT]
    record = api.evaluate(shorter)
    assert record.decision.value == "no-go"
    assert record.score <= honest.score
    assert set(KNOCK_OUT_GATES) <= set(_failed(record))

    member = next(
        m
        for m in api.compare([GO, CONDITIONAL, shorter]).comparison.members
        if m.id == "brisa-assist"
    )
    assert member.rank is None and member.knocked_out is not None
    assert set(KNOCK_OUT_GATES) <= set(member.knocked_out.gates)


def test_without_its_route_to_a_person_the_bid_also_fails_the_human_route(tmp_path: Path) -> None:
    record = api.evaluate(_knocked_out_bid_without(tmp_path, ("human_escalation",)))
    route = next(g for g in record.gates if g.id == "human-route")
    assert route.status.value == "failed" and route.missing_facts
    assert route.condition is not None and route.condition.startswith("State")


def test_the_tender_opens_prices_only_for_bids_in_the_race_and_says_how_robust_it_is() -> None:
    paths = sorted(PROCUREMENT.glob("vendor-*.yaml"))
    comparison = api.compare(paths).comparison
    stage = comparison.price
    assert stage is not None and stage.method.value == "qcbs" and stage.technical_minimum == 60
    # Two stages: the knocked-out bid's (lowest) price is never opened or shown.
    assert {b.proposal for b in stage.bids} == {"harbourlight-answers", "quaystone-chat"}
    assert all(b.opened for b in stage.bids) and stage.lowest_price == 360_000
    # 360,000 / 410,000 x 100 = 87.80; 0.7 x 80.09 + 0.3 x 87.80 = 82.40.
    first = comparison.members[0]
    assert (first.id, first.rank, first.ranking_score) == ("harbourlight-answers", 1, 82.4)
    assert comparison.near_ties == ()
    robust = comparison.price_robustness
    assert robust is not None and robust.break_even is not None
    # With two bids the linear formula gives the cheaper 100 and the dearer 0:
    # the report must say that another published formula would change the winner.
    linear = next(m for m in robust.across_methods if m.method.value == "linear")
    assert linear.winner == "quaystone-chat" and robust.winner_changes_across_methods
    assert "price formulas would pick another winner: linear (quaystone-chat)" in (
        comparison.recommendation
    )
    sensitivity = comparison.sensitivity
    assert sensitivity is not None and sensitivity.weighs_price
    assert sensitivity.shares[0].proposal == "harbourlight-answers"
