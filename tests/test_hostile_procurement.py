"""Hostile and careless input to the procurement commands: each case once crashed or misled.

Every test here was written failing, against a real bug found by attacking
compare, price, pack sources, scoresheets and moderation with the inputs a
hostile bidder or a careless panel member would give. Bad input must be
exit 2 naming where it is, never exit 1 ("unexpected error").
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from techgate import api
from techgate.cli import cli
from techgate.engine.price import score_prices
from techgate.engine.price_robustness import price_robustness
from techgate.errors import InvalidInputError
from techgate.model.criteria import PricePolicy
from techgate.model.price import Bid

ROOT = Path(__file__).resolve().parent.parent
TENDER = ROOT / "examples" / "procurement"
PANEL = ROOT / "examples" / "self-service-portal-panel.yaml"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def tender(tmp_path: Path) -> Path:
    """A copy of the shipped tender: pack, overlay and three priced bids."""
    folder = tmp_path / "tender"
    shutil.copytree(TENDER, folder)
    return folder


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text("utf-8")
    assert text.count(old) >= count, old
    path.write_text(text.replace(old, new, count), "utf-8")


def _line_of(path: Path, start: str) -> int:
    return next(
        n
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if line.startswith(start)
    )


# --- price ---------------------------------------------------------------------


METHODS = ["relative", "linear", "logarithmic", "qcbs", "per-quality-point", "excluded"]


def _policy(method: str) -> PricePolicy:
    extra: dict[str, Any] = {"technical_minimum": 10} if method == "qcbs" else {}
    return PricePolicy.model_validate({"method": method, **extra})


def _bid(proposal: str, technical: float, price: float) -> Bid:
    return Bid(
        proposal=proposal, technical_score=technical, price=price, currency="GBP", period_years=5
    )


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("tiny", [5e-324, 1e-300, 0.004])
def test_a_price_under_a_cent_is_refused_not_divided_by(method: str, tiny: float) -> None:
    # 5e-324 / 80 underflows to 0, and 0 / 0 was a ZeroDivisionError (exit 1).
    bids = [_bid("a", 80, tiny), _bid("b", 70, 1e13)]
    for step in (score_prices, price_robustness):
        with pytest.raises(InvalidInputError, match=r"at least 0\.01") as caught:
            step(bids, _policy(method))
        assert [p.file for p in caught.value.problems] == ["a"]


def test_a_cent_is_a_price() -> None:
    stage = score_prices([_bid("a", 80, 0.01), _bid("b", 70, 1e13)], _policy("relative"))
    assert stage.winner == "a"


def test_a_cost_whose_total_is_under_a_cent_is_refused_at_its_file(tender: Path) -> None:
    bid = tender / "vendor-a.yaml"
    for amount in ("60000", "55000", "15000"):
        _edit(bid, f"amount: {amount}", "amount: 5e-324")
    code, _, err = run("compare", *(str(p) for p in sorted(tender.glob("vendor-*.yaml"))))
    assert code == 2, err
    assert "unexpected error" not in err
    assert re.search(rf"vendor-a\.yaml:{_line_of(bid, 'cost:')}:\d+: cost: .*0\.01", err), err


# --- where packs come from ------------------------------------------------------------


@pytest.mark.parametrize("reference", ['"pack\\0.yaml"', '"sub/\\0/pack.yaml"'])
def test_a_nul_byte_in_a_pack_path_is_refused_at_its_line(tender: Path, reference: str) -> None:
    bid = tender / "vendor-a.yaml"
    _edit(bid, "pack: pack.yaml", f"pack: {reference}")
    code, _, err = run("evaluate", str(bid))
    assert code == 2, err
    assert f"vendor-a.yaml:{_line_of(bid, 'pack:')}:1: pack:" in err and "refused" in err


def test_a_pack_id_too_long_for_a_file_name_is_not_found(tender: Path, tmp_path: Path) -> None:
    # With --pack-dir, an id becomes the file name '<id>.yaml'; 300 characters is
    # over the file system's limit of 255, and stat() said so with an OSError.
    bid = tender / "vendor-a.yaml"
    _edit(bid, "pack: pack.yaml", "pack: " + "a" * 300)
    packs = tmp_path / "packs"
    packs.mkdir()
    code, _, err = run("evaluate", str(bid), "--pack-dir", str(packs))
    assert code == 2, err
    assert f"vendor-a.yaml:{_line_of(bid, 'pack:')}:1: pack:" in err
    assert "no criteria pack has this id" in err


def test_a_long_pack_path_is_quoted_cut_short(tender: Path) -> None:
    bid = tender / "vendor-a.yaml"
    _edit(bid, "pack: pack.yaml", "pack: " + "a" * 300 + ".yaml")
    code, _, err = run("evaluate", str(bid))
    assert code == 2, err
    assert "a" * 61 not in err and " characters): " in err


# --- compare -------------------------------------------------------------------


def test_a_bad_shared_pack_is_reported_once_not_once_per_bid(tender: Path) -> None:
    _edit(tender / "pack.yaml", "technical_weight: 70", "technical_weight: 700")
    code, _, err = run("compare", *(str(p) for p in sorted(tender.glob("vendor-*.yaml"))))
    assert code == 2, err
    problems = [line for line in err.splitlines() if "price.technical_weight" in line]
    assert len(problems) == 1, err
    assert "1 problem found" in err


def test_when_no_bid_reaches_the_minimum_the_advice_says_so(tender: Path) -> None:
    # Two bids pass every no-go gate but score below 99: asking the vendors to
    # "meet the no-go gates" would send them to fix what is not wrong.
    _edit(tender / "pack.yaml", "technical_minimum: 60", "technical_minimum: 99")
    compared = api.compare(sorted(tender.glob("vendor-*.yaml")))
    recommendation = compared.comparison.recommendation
    assert recommendation.startswith("Adopt none")
    assert "technical minimum of 99" in recommendation
    assert "2 of them" in recommendation


def test_one_file_named_twice_is_one_problem(tender: Path) -> None:
    bid = str(tender / "vendor-a.yaml")
    code, _, err = run("compare", bid, bid, str(tender / "vendor-b.yaml"))
    assert code == 2, err
    assert err.count("is also the id of") == 1 and "1 problem found" in err


# --- moderation and scoresheets ------------------------------------------------------------


@pytest.fixture
def panel(tmp_path: Path) -> Path:
    path = tmp_path / "panel.yaml"
    shutil.copyfile(PANEL, path)
    return path


@pytest.mark.parametrize("chair", ["x" * 10_001, "", "  ", "Chair\x1b]0;owned\x07", "a\nb"])
def test_a_chair_no_proposal_could_hold_is_refused_and_nothing_written(
    panel: Path, chair: str
) -> None:
    before = panel.read_bytes()
    code, _, err = run("moderate", "start", str(panel), "--chair", chair)
    assert code == 2, err
    assert "--chair" in err and "unexpected error" not in err
    assert panel.read_bytes() == before


def test_a_huge_number_in_a_score_cell_is_quoted_cut_short(panel: Path) -> None:
    sheet = panel.parent / "sheet.xlsx"
    code, _, err = run(
        "scoresheet", "export", "--proposal", str(panel), "--assessor", "Zed", "-o", str(sheet)
    )
    assert code == 0, err
    book = openpyxl.load_workbook(sheet)
    book["Scores"]["E5"] = 1e308
    book.save(sheet)
    code, _, err = run("scoresheet", "import", str(sheet), "--into", str(panel))
    assert code == 2, err
    assert "Scores!E5" in err and "outside the scale" in err
    assert len(max(err.splitlines(), key=len)) < 250, err


@pytest.mark.parametrize(
    ("extends", "message"),
    [
        ("../outside.yaml", "refused: is outside the folders"),
        ("no-such-pack", "no criteria pack has this id"),
        ('"w\\0.yaml"', "refused: a path cannot hold a NUL"),
    ],
)
def test_an_extends_no_source_offers_is_reported_at_the_extends_line(
    tender: Path, extends: str, message: str
) -> None:
    # As a missing extends file is: not again at the proposal's 'pack:' line, with
    # the pack's own name wrapped around the message.
    pack = tender / "pack.yaml"
    (tender.parent / "outside.yaml").write_text("id: x\n", "utf-8")
    _edit(pack, "extends: weights.yaml", f"extends: {extends}")
    code, _, err = run("evaluate", str(tender / "vendor-a.yaml"))
    assert code == 2, err
    (problem,) = [line for line in err.splitlines() if message in line]
    assert problem.startswith(f"{pack}:{_line_of(pack, 'extends:')}:1: extends: "), err


def test_a_bidders_huge_name_is_shown_whole_once_per_member_not_in_every_list(
    tender: Path,
) -> None:
    # A 10,000-character vendor name and title, unbroken, in each of three bids
    # made the comparison PDF take over a minute (WeasyPrint fitting them into
    # table cells); the single report shows each once. The ranking table and
    # the knock-out list now shorten them, as repeated names are (security.md).
    for bid in sorted(tender.glob("vendor-*.yaml")):
        text = bid.read_text("utf-8")
        vendor = next(line for line in text.splitlines() if line.startswith("vendor: "))
        title = next(line for line in text.splitlines() if line.startswith("title: "))
        text = text.replace(vendor, "vendor: " + "W" * 10_000, 1)
        bid.write_text(text.replace(title, "title: " + "T" * 10_000, 1), "utf-8")
    compared = api.compare(sorted(tender.glob("vendor-*.yaml")))
    html = api.render_comparison(compared.comparison, ["html"])[api.DocumentFormat.HTML].decode()
    members = len(compared.comparison.members)
    assert html.count("W" * 10_000) <= members + 1  # each member's section, the advice
    assert html.count("T" * 10_000) <= members + 1
    assert "W" * 79 + "…" in html and "T" * 119 + "…" in html
