"""techgate compare: knock-outs, ranking, ties within the panel's noise, records, reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from techgate import api
from techgate.cli import cli
from techgate.errors import InvalidInputError
from techgate.model.comparison import Comparison

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
GO = EXAMPLES / "agent-assist-drafts.yaml"  # go, 76.22, two assessors
CONDITIONAL = EXAMPLES / "generative-assistant-grounded.yaml"  # conditional, 74.17
NO_GO = EXAMPLES / "chatbot-no-human.yaml"  # no-go: fails four no-go gates
SCORE_NO_GO = EXAMPLES / "voicebot-projected-savings.yaml"


def _copy(tmp_path: Path, source: Path, new_id: str, **replace: str) -> Path:
    text = source.read_text(encoding="utf-8")
    old_id = next(line for line in text.splitlines() if line.startswith("id: "))
    text = text.replace(old_id, f"id: {new_id}", 1)
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / f"{new_id}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _compare(*paths: Path, **options: object) -> Comparison:
    return api.compare(list(paths), **options).comparison  # type: ignore[arg-type]


# -- ranking and knock-outs -------------------------------------------------------


def test_ranked_by_score_with_knock_outs_shown_not_ranked() -> None:
    comparison = _compare(CONDITIONAL, NO_GO, GO)
    assert [(m.id, m.rank) for m in comparison.members] == [
        ("agent-assist-drafts", 1),
        ("generative-assistant-grounded", 2),
        ("chatbot-no-human", None),
    ]
    out = comparison.members[2].knocked_out
    assert out is not None and "human-route" in out.gates
    assert comparison.winner == "agent-assist-drafts" and comparison.decision.value == "go"
    conditional = comparison.members[1]
    assert conditional.decision.value == "conditional" and conditional.conditions
    assert "ranks first" in comparison.recommendation
    assert "chatbot-no-human" in comparison.recommendation


def test_a_no_go_on_score_alone_is_knocked_out_too_with_its_reason() -> None:
    comparison = _compare(GO, SCORE_NO_GO)
    member = next(m for m in comparison.members if m.id == "voicebot-projected-savings")
    assert member.rank is None and member.knocked_out is not None
    assert member.knocked_out.gates  # it does fail a no-go gate, and that is what is named
    assert "fails the no-go gate" in member.knocked_out.reason


def test_when_every_proposal_is_knocked_out_none_wins() -> None:
    comparison = _compare(NO_GO, SCORE_NO_GO)
    assert comparison.winner is None and comparison.decision.value == "no-go"
    assert all(m.rank is None for m in comparison.members)
    assert comparison.recommendation.startswith("Adopt none")


def test_an_exact_tie_shares_the_rank_and_is_called_out(tmp_path: Path) -> None:
    twin = _copy(tmp_path, GO, "agent-assist-twin")
    comparison = _compare(GO, twin)
    assert [m.rank for m in comparison.members] == [1, 1]
    assert len(comparison.near_ties) == 1 and comparison.near_ties[0].exact
    assert "not clearly ahead" in comparison.recommendation
    # Every view says it is a tie, not a win: the record, the cover, the shares.
    assert comparison.sensitivity is not None
    assert "tied for first in 100%" in comparison.sensitivity.summary
    documents = api.render_comparison(comparison, ["html", "md"])
    assert b"Tied for first" in documents[api.DocumentFormat.HTML]
    assert b"Tied for first" in documents[api.DocumentFormat.MARKDOWN]


def test_a_difference_inside_the_panels_noise_is_a_near_tie(tmp_path: Path) -> None:
    # GO's two assessors alone would score it some points apart: that spread
    # is the noise. One level lower on one indicator is well inside it.
    base = api.load(GO).proposal
    assessor = base.assessments[0].assessor
    indicator = next(iter(base.assessments[0].scores))
    lower = api.proposal_with_answer(base, assessor, indicator, 1).model_dump(mode="json")
    lower["id"] = "slightly-lower"
    comparison = _compare(GO, lower)  # type: ignore[arg-type]
    first, second = comparison.members
    assert first.id == "agent-assist-drafts" and second.id == "slightly-lower"
    gap = first.ranking_score - second.ranking_score  # type: ignore[operator]
    assert 0 < gap < comparison.noise
    assert [(t.higher, t.lower, t.exact) for t in comparison.near_ties] == [
        ("agent-assist-drafts", "slightly-lower", False)
    ]


def test_a_clear_lead_is_not_a_near_tie() -> None:
    comparison = _compare(GO, CONDITIONAL)
    gap = comparison.members[0].score - comparison.members[1].score
    assert gap > comparison.noise or comparison.near_ties
    assert all(t.difference < comparison.noise or t.exact for t in comparison.near_ties)


def test_the_noise_is_the_median_of_the_members_assessor_spreads() -> None:
    comparison = _compare(GO, CONDITIONAL, NO_GO)
    spreads = sorted(m.assessor_spread for m in comparison.members)
    assert comparison.noise == spreads[1]
    single = next(m for m in comparison.members if m.id == "chatbot-no-human")
    assert single.assessor_spread == 0  # one assessor: no spread to measure


def test_where_they_differ_most_is_ordered_by_range() -> None:
    comparison = _compare(GO, CONDITIONAL)
    ranges = [d.range for d in comparison.differences]
    assert ranges == sorted(ranges, reverse=True) and ranges[0] > 0
    top = comparison.differences[0]
    assert set(top.best) | set(top.worst) <= {m.id for m in comparison.members}


@settings(max_examples=6, deadline=None)
@given(st.permutations([GO, CONDITIONAL, NO_GO, SCORE_NO_GO]))
def test_the_order_of_the_files_does_not_matter(order: list[Path]) -> None:
    reference = api.render_comparison(_compare(GO, CONDITIONAL, NO_GO, SCORE_NO_GO), ["json"])
    assert api.render_comparison(_compare(*order), ["json"]) == reference


# -- refused input ------------------------------------------------------------------


def test_proposals_judged_by_different_packs_are_refused(tmp_path: Path) -> None:
    (tmp_path / "ours.yaml").write_text(
        "id: ours\ntitle: Ours\nversion: '1'\nextends: contact-centre\n"
        "weights: {criteria: {safety: 9}}\n"
    )
    other = _copy(tmp_path, GO, "by-technology", **{"pack: contact-centre": "pack: ours.yaml"})
    with pytest.raises(InvalidInputError) as error:
        _compare(GO, other)
    [problem] = error.value.problems
    assert problem.file == str(other) and problem.field == "pack" and problem.line
    assert "give --pack" in str(problem)
    both = _compare(GO, other, pack="contact-centre")
    assert {m.id for m in both.members} == {"agent-assist-drafts", "by-technology"}


def test_two_proposals_with_one_id_are_refused(tmp_path: Path) -> None:
    same = _copy(tmp_path, CONDITIONAL, "agent-assist-drafts")
    with pytest.raises(InvalidInputError, match="also the id of"):
        _compare(GO, same)


def test_every_invalid_member_is_reported_at_once(tmp_path: Path) -> None:
    bad = []
    for name in ("one", "two"):
        path = tmp_path / f"{name}.yaml"
        path.write_text(GO.read_text().replace("vendor:", "vendr:"))
        bad.append(path)
    result = CliRunner().invoke(cli, ["compare", *map(str, bad)])
    assert result.exit_code == 2
    assert f"{bad[0]}:" in result.stderr and f"{bad[1]}:" in result.stderr
    assert "Traceback" not in result.output


def test_one_proposal_is_not_a_comparison() -> None:
    result = CliRunner().invoke(cli, ["compare", str(GO)])
    assert result.exit_code == 2 and "at least two proposals" in result.stderr


# -- the command, the record and the report -------------------------------------------


@pytest.mark.parametrize(
    ("files", "code"),
    [((GO, CONDITIONAL), 0), ((CONDITIONAL, NO_GO), 3), ((NO_GO, SCORE_NO_GO), 4)],
)
def test_exit_code_is_the_best_ranked_decision(files: tuple[Path, ...], code: int) -> None:
    result = CliRunner().invoke(cli, ["compare", *map(str, files), "-f", "json"])
    assert result.exit_code == code, result.stderr
    record = json.loads(result.stdout)
    assert record["provenance"]["record_schema"] == 1
    assert [r["provenance"]["proposal_sha256"] for r in record["records"]] == [
        m["proposal_sha256"] for m in record["members"]
    ]


def test_documents_are_byte_for_byte_reproducible(tmp_path: Path) -> None:
    runs = []
    for name in ("a", "b"):
        out = tmp_path / name
        result = CliRunner().invoke(
            cli,
            [
                "compare",
                str(GO),
                str(CONDITIONAL),
                str(NO_GO),
                "--pdf",
                f"{out}/",
                "--json",
                f"{out}/",
                "--md",
                f"{out}/",
                "--html",
                f"{out}/",
            ],
        )
        assert result.exit_code == 0, result.stderr
        runs.append({p.name: p.read_bytes() for p in out.iterdir()})
    assert runs[0] == runs[1]
    assert set(runs[0]) == {f"comparison.{s}" for s in ("pdf", "json", "md", "html")}
    assert runs[0]["comparison.pdf"].startswith(b"%PDF-")


def test_vendor_text_is_never_markup(tmp_path: Path) -> None:
    hostile = _copy(
        tmp_path,
        CONDITIONAL,
        "hostile",
        **{"vendor: ": "vendor: <script>alert(1)</script> | *x* "},
    )
    documents = api.render_comparison(_compare(GO, hostile), ["html", "md"])
    html = documents[api.DocumentFormat.HTML].decode()
    assert "<script>" not in html and "&lt;script&gt;" in html
    markdown = documents[api.DocumentFormat.MARKDOWN].decode()
    assert "<script>" not in markdown and "\\*x\\*" in markdown


def test_a_report_may_not_overwrite_a_proposal_it_compares(tmp_path: Path) -> None:
    member = _copy(tmp_path, CONDITIONAL, "member")
    before = member.read_bytes()
    result = CliRunner().invoke(cli, ["compare", str(GO), str(member), "--md", str(member)])
    assert result.exit_code == 2 and member.read_bytes() == before


# -- price, the second stage --------------------------------------------------------

COSTS = {"agent-assist-drafts": 400_000, "generative-assistant-grounded": 250_000}


def _priced(tmp_path: Path, source: Path, amount: float, currency: str = "GBP") -> Path:
    text = source.read_text(encoding="utf-8") + (
        f"cost:\n  currency: {currency}\n  period_years: 5\n  lines:\n"
        f"    - name: licences\n      kind: licence\n      amount: {amount / 5:.0f}\n"
        "      per: year\n"
    )
    path = tmp_path / source.name
    path.write_text(text, encoding="utf-8")
    return path


def _pack(tmp_path: Path, price: str) -> Path:
    path = tmp_path / "priced-pack.yaml"
    path.write_text(
        f"id: priced\ntitle: Priced\nversion: '1'\nextends: contact-centre\nprice: {price}\n"
    )
    return path


def test_price_is_opened_after_knock_outs_and_combined_70_30(tmp_path: Path) -> None:
    go = _priced(tmp_path, GO, 400_000)
    conditional = _priced(tmp_path, CONDITIONAL, 250_000)
    out = _priced(tmp_path, NO_GO, 10_000)  # the cheapest, but knocked out first
    comparison = _compare(go, conditional, out)
    stage = comparison.price
    assert stage is not None and stage.method.value == "relative"
    assert {b.proposal for b in stage.bids} == {
        "agent-assist-drafts",
        "generative-assistant-grounded",
    }
    # Relative: the lowest opened price scores 100; 250,000 / 400,000 x 100 = 62.5.
    scores = {b.proposal: b.price_score for b in stage.bids}
    assert scores == {"generative-assistant-grounded": 100.0, "agent-assist-drafts": 62.5}
    first = comparison.members[0]
    # 0.7 x 74.17 + 0.3 x 100 = 81.92 beats 0.7 x 76.22 + 0.3 x 62.5 = 72.10.
    assert first.id == "generative-assistant-grounded" and first.ranking_score == 81.92
    assert comparison.members[1].ranking_score == 72.1
    assert comparison.price_robustness is not None
    assert comparison.price_robustness.break_even is not None


def test_excluded_price_is_reported_beside_the_technical_ranking(tmp_path: Path) -> None:
    pack = _pack(tmp_path, "{method: excluded}")
    go = _priced(tmp_path, GO, 400_000)
    conditional = _priced(tmp_path, CONDITIONAL, 250_000)
    comparison = _compare(go, conditional, pack=pack)
    assert [m.id for m in comparison.members] == [
        "agent-assist-drafts",
        "generative-assistant-grounded",
    ]
    assert comparison.members[0].ranking_score == comparison.members[0].score
    assert comparison.members[0].price == 400_000


def test_qcbs_keeps_prices_below_the_technical_minimum_sealed(tmp_path: Path) -> None:
    pack = _pack(tmp_path, "{method: qcbs, technical_minimum: 75}")
    go = _priced(tmp_path, GO, 400_000)  # 76.22: opened
    conditional = _priced(tmp_path, CONDITIONAL, 250_000)  # 74.17: sealed
    comparison = _compare(go, conditional, pack=pack)
    sealed = next(m for m in comparison.members if m.id == "generative-assistant-grounded")
    assert sealed.rank is None and sealed.price is None
    assert sealed.knocked_out is not None and "stays sealed" in sealed.knocked_out.reason
    html = api.render_comparison(comparison, ["html"])[api.DocumentFormat.HTML].decode()
    assert "sealed" in html and "250,000" not in html


def test_prices_in_two_currencies_are_refused_at_the_line(tmp_path: Path) -> None:
    go = _priced(tmp_path, GO, 400_000, "GBP")
    conditional = _priced(tmp_path, CONDITIONAL, 250_000, "EUR")
    result = CliRunner().invoke(cli, ["compare", str(go), str(conditional)])
    assert result.exit_code == 2, result.output
    assert (
        "cost.currency" in result.stderr
        and ":1:" not in result.stderr.split("cost.currency")[0][-8:]
    )
    assert "Traceback" not in result.output


def test_price_shows_in_every_document(tmp_path: Path) -> None:
    go = _priced(tmp_path, GO, 400_000)
    conditional = _priced(tmp_path, CONDITIONAL, 250_000)
    documents = api.render_comparison(_compare(go, conditional), ["html", "md", "json"])
    for kind in documents:
        assert b"250,000" in documents[kind] or b"250000" in documents[kind]
    result = CliRunner().invoke(cli, ["compare", str(go), str(conditional)])
    assert "Price stage (relative" in result.stdout


# -- how robust the ranking is -----------------------------------------------------


def _moved(shares: dict[str, float], key: str, points_: float) -> dict[str, float]:
    """Shares (percent) with one moved by points_, the others rescaled in proportion."""
    new = shares[key] + points_
    rest = 100 - shares[key]
    return {k: (new if k == key else v * (100 - new) / rest) for k, v in shares.items()}


def test_each_winner_swap_really_swaps_the_winner_and_not_before() -> None:
    comparison = _compare(GO, CONDITIONAL)
    sensitivity = comparison.sensitivity
    assert sensitivity is not None and not sensitivity.weighs_price
    pack = api.load(GO).pack
    total = sum(c.weight for c in pack.criteria)
    shares = {c.id: 100 * c.weight / total for c in pack.criteria}
    checked = 0
    for swap in sensitivity.swaps:
        for amount, who, sign in ((swap.up, swap.up_winner, 1), (swap.down, swap.down_winner, -1)):
            if amount is None:
                continue
            # Criterion scores in the record are rounded to 0.01, so the stated
            # change is exact to within a few hundredths of a point.
            after = api.pack_with(
                pack, criterion_weights=_moved(shares, swap.weight, sign * (amount + 0.05))
            )
            assert _compare(GO, CONDITIONAL, pack=after).winner == who
            before = api.pack_with(
                pack, criterion_weights=_moved(shares, swap.weight, sign * (amount - 0.05))
            )
            assert _compare(GO, CONDITIONAL, pack=before).winner == comparison.winner
            checked += 1
    assert checked >= 1  # a close pair: some weight can swap it


def test_rank_acceptability_is_seeded_and_adds_up() -> None:
    first = _compare(GO, CONDITIONAL, CONDITIONAL.with_name("crm-consolidation.yaml"))
    again = _compare(GO, CONDITIONAL, CONDITIONAL.with_name("crm-consolidation.yaml"))
    assert first.sensitivity == again.sensitivity and first.sensitivity is not None
    for row in first.sensitivity.shares:
        assert abs(sum(row.ranks) - 1) < 1e-3 and row.wins == row.ranks[0]
    for place in range(len(first.sensitivity.shares)):
        assert abs(sum(r.ranks[place] for r in first.sensitivity.shares) - 1) < 1e-3
    # The winner at the pack's own weights wins in most weightings drawn around them.
    assert first.sensitivity.shares[0].proposal == first.winner
    assert first.sensitivity.shares[0].wins == max(r.wins for r in first.sensitivity.shares)


def test_price_is_one_of_the_weights_varied_when_the_pack_weighs_it(tmp_path: Path) -> None:
    go = _priced(tmp_path, GO, 400_000)
    conditional = _priced(tmp_path, CONDITIONAL, 250_000)
    sensitivity = _compare(go, conditional).sensitivity
    assert sensitivity is not None and sensitivity.weighs_price
    price = next(s for s in sensitivity.swaps if s.weight == "price")
    assert price.share == 30.0
    # The cheaper bid leads on price: less weight on price is what could put the other first.
    assert price.down is not None and price.down_winner == "agent-assist-drafts"


def test_the_ranking_samples_are_the_users_to_set_and_reproducible() -> None:
    args = ["compare", str(GO), str(CONDITIONAL), "-f", "json", "--samples", "500", "--seed", "7"]
    first, again = CliRunner().invoke(cli, args), CliRunner().invoke(cli, args)
    assert first.exit_code == 0 and first.stdout == again.stdout
    sensitivity = json.loads(first.stdout)["sensitivity"]
    assert (sensitivity["samples"], sensitivity["seed"]) == (500, 7)
    other = CliRunner().invoke(cli, [*args[:-1], "8"])
    assert json.loads(other.stdout)["sensitivity"]["seed"] == 8


# Ranking, knock-outs and near-ties as data: (files, ranked best first, knocked out).
RANKING_CASES = [
    ("go above conditional", ["agent-assist-drafts", "generative-assistant-grounded"], []),
    ("gates knock out the cheapest promise", ["agent-assist-drafts"], ["chatbot-no-human"]),
    (
        "three conditionals ranked by score",
        ["self-service-portal-panel", "crm-consolidation", "speech-analytics-savings"],
        [],
    ),
    (
        "every kind of no-go is out",
        [],
        ["chatbot-no-human", "ivr-speech-recognition", "voicebot-projected-savings"],
    ),
    (
        "go, conditional and out together",
        ["callback-queue", "sms-reminders-unchanged", "crm-consolidation"],
        ["ivr-speech-recognition"],
    ),
]


@pytest.mark.parametrize(
    ("case", "ranked", "out"), RANKING_CASES, ids=[c[0] for c in RANKING_CASES]
)
def test_ranking_cases(case: str, ranked: list[str], out: list[str]) -> None:
    files = [EXAMPLES / f"{name}.yaml" for name in sorted([*ranked, *out])]
    comparison = _compare(*files)
    assert [m.id for m in comparison.members if m.rank is not None] == ranked
    assert sorted(m.id for m in comparison.members if m.knocked_out) == sorted(out)
    scores = [m.ranking_score for m in comparison.members if m.rank is not None]
    assert scores == sorted(scores, reverse=True)  # type: ignore[type-var]
    for tie in comparison.near_ties:  # every near-tie is a pair of neighbours within the noise
        assert tie.difference < comparison.noise or tie.exact
        assert ranked.index(tie.lower) == ranked.index(tie.higher) + 1


def test_moderation_does_not_hide_the_panels_noise(tmp_path: Path) -> None:
    before = _compare(GO, CONDITIONAL)
    moderated = _copy(tmp_path, GO, "agent-assist-drafts")
    result = CliRunner().invoke(cli, ["moderate", "start", str(moderated), "--chair", "Chair"])
    assert result.exit_code == 0, result.stderr
    after = _compare(moderated, CONDITIONAL)
    spread = {m.id: m.assessor_spread for m in before.members}
    assert {m.id: m.assessor_spread for m in after.members} == spread
    assert spread["agent-assist-drafts"] > 0
