"""What 'techgate weights' produces: the pack overlay's text, the JSON result, the table.

The overlay is written by hand rather than by a YAML dumper, so that its
bytes depend on the judgements alone: every string is written as a JSON
string (valid YAML, and immune to ids such as 'yes' or '1e3' being read
as something else), every weight with four decimals.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from techgate.engine.ahp import (
    CR_LIMIT,
    RANDOM_INDEX,
    RANDOM_INDEX_SOURCE,
    PanelPriorities,
    Priorities,
    ratio_text,
)
from techgate.model.criteria import CriteriaPack

if TYPE_CHECKING:
    from techgate.loading.pairwise import PairwiseStudy

WEIGHT_DIGITS = 4


@dataclass(frozen=True)
class ConsistencyWarning:
    """A matrix whose consistency ratio is above the limit, and its worst judgements."""

    comparison: str
    """'criteria' or 'indicators of <criterion>'."""
    member: str | None
    """The member whose own matrix it is; None for the panel's combined matrix."""
    cr: float
    """Its consistency ratio."""
    text: str
    """The warning as printed."""


def written_weights(result: PanelPriorities, pack: CriteriaPack) -> dict[str, float]:
    """The weights the overlay gives each item.

    Criteria get their priorities (summing to 1). Indicators get their
    priorities times the sum of the base pack's indicator weights in that
    criterion: a pack's trait weights (staff input weighs 3 for tools a
    person reviews) are absolute numbers on the base pack's scale, and would
    swamp weights that sum to 1.
    """
    comparison = result.comparison
    scale = 1.0
    if comparison.criterion is not None:
        criterion = next(c for c in pack.criteria if c.id == comparison.criterion)
        scale = sum(i.weight for i in criterion.indicators)
    return {
        item: round(weight * scale, WEIGHT_DIGITS) + 0.0
        for item, weight in zip(comparison.items, result.combined.weights, strict=True)
    }


def warnings(results: list[PanelPriorities]) -> list[ConsistencyWarning]:
    """Every matrix above the limit: the panel's combined ones, then each member's."""
    found = []
    for result in results:
        label = result.comparison.label
        found += _warning(result, label, None, result.combined)
        for name, own in result.members:
            found += _warning(result, label, name, own)
    return found


def _warning(
    result: PanelPriorities, label: str, member: str | None, priorities: Priorities
) -> list[ConsistencyWarning]:
    if priorities.consistent:
        return []
    items = result.comparison.items
    whose = "the panel's combined" if member is None else f"{json.dumps(member)}'s"
    worst = "; ".join(
        f"'{items[d.row]} over {items[d.column]}' is {ratio_text(d.given)}, "
        f"about {ratio_text(d.consistent)} would agree with the rest"
        for d in priorities.worst
    )
    text = (
        f"{label}: {whose} judgements have CR {priorities.cr:.3f}, above {CR_LIMIT:.2f}; "
        f"least consistent: {worst}"
    )
    return [ConsistencyWarning(label, member, priorities.cr, text)]


def extends_reference(study: PairwiseStudy, target: Path | None) -> str:
    """What the overlay's 'extends' says: the built-in id, or the pack's path from the overlay."""
    if study.pack_file is None:
        return study.file.pack
    folder = Path.cwd() if target is None else target.parent
    return Path(os.path.relpath(study.pack_file.absolute(), folder.absolute())).as_posix()


def overlay_text(
    study: PairwiseStudy, results: list[PanelPriorities], source_name: str, extends: str
) -> str:
    """The pack overlay, with the judgements and the working kept as comments."""
    header = study.file.overlay
    provenance = (
        f"Weights derived by the analytic hierarchy process (principal eigenvector, "
        f"members combined by geometric mean) from {source_name} "
        f"(sha256 {study.sha256}), by 'techgate weights'."
    )
    description = f"{header.description} {provenance}" if header.description else provenance
    lines = _comment_block(study, results, source_name)
    lines += [
        f"id: {_q(header.id)}",
        f"title: {_q(header.title)}",
        f"version: {_q(header.version)}",
        f"extends: {_q(extends)}",
        f"description: {_q(description)}",
        "weights:",
    ]
    criteria = [r for r in results if r.comparison.criterion is None]
    indicators = [r for r in results if r.comparison.criterion is not None]
    lines.append("  criteria:")
    for result in criteria:
        lines += _weight_lines(written_weights(result, study.pack))
    if indicators:
        lines.append("  indicators:")
        for result in indicators:
            lines += _weight_lines(written_weights(result, study.pack))
    return "\n".join(lines) + "\n"


def _weight_lines(weights: dict[str, float]) -> list[str]:
    return [f"    {_q(item)}: {weight:.{WEIGHT_DIGITS}f}" for item, weight in weights.items()]


def _q(text: str) -> str:
    # ASCII only: YAML 1.1 reads U+0085, U+2028 and U+2029 as line breaks,
    # which could end a comment early; escaped, nothing can.
    return json.dumps(text)


def _comment_block(
    study: PairwiseStudy, results: list[PanelPriorities], source_name: str
) -> list[str]:
    members = sorted(m.name for m in study.file.members)
    index = ", ".join(f"{n} {ri:.2f}" for n, ri in enumerate(RANDOM_INDEX, start=1))
    lines = [
        "# Pack overlay written by 'techgate weights'; do not edit the weights by hand:",
        "# change the judgements and run the command again (it writes the same bytes).",
        f"#   source: {_q(source_name)}",
        f"#   sha256: {study.sha256}",
        f"#   panel:  {', '.join(_q(m) for m in members)}",
        "#",
        "# Method: each matrix's weights are its principal eigenvector, normalised to",
        "# sum to 1; the members' matrices are combined by their element-wise geometric",
        "# mean before the eigenvector is taken. CI = (lambda_max - n) / (n - 1),",
        f"# CR = CI / RI. CR above {CR_LIMIT:.2f} calls for a second look. RI (by n) from",
        f"# {RANDOM_INDEX_SOURCE}:",
        f"# {index}.",
        "# Indicator weights are their priorities times the base pack's indicator",
        "# weight total in that criterion, so that its trait weights keep their scale.",
    ]
    for result in results:
        lines += _comparison_comment(result)
    lines.append("")
    return lines


def _comparison_comment(result: PanelPriorities) -> list[str]:
    comparison = result.comparison
    items = comparison.items
    combined = result.combined
    lines = [
        "#",
        f"# {comparison.label.capitalize()} ({len(items)} items): "
        f"lambda_max {combined.lambda_max:.4f}, CI {combined.ci:.4f}, "
        f"RI {combined.ri:.2f}, CR {combined.cr:.4f}",
        "#   priorities: "
        + ", ".join(f"{i} {w:.4f}" for i, w in zip(items, combined.weights, strict=True)),
    ]
    for (name, judgements), (_, own) in zip(comparison.members, result.members, strict=True):
        lines.append(f"#   {_q(name)} (CR {own.cr:.4f}):")
        for (i, j), value in judgements.items():  # in the order given
            lines.append(f"#     {items[i]} over {items[j]}: {ratio_text(value)}")
    lines.append("#   combined matrix, row over column, columns in the order of the rows:")
    width = max(len(i) for i in items)
    for item, row in zip(items, result.matrix, strict=True):
        lines.append(f"#     {item:<{width}} " + " ".join(f"{v:7.4f}" for v in row))
    return lines


def json_result(
    study: PairwiseStudy,
    results: list[PanelPriorities],
    found: list[ConsistencyWarning],
    written: Path | None,
) -> str:
    """The result as JSON: weights, consistency and warnings of every comparison."""
    document: dict[str, Any] = {
        "pack": study.pack.id,
        "overlay": study.file.overlay.id,
        "source_sha256": study.sha256,
        "method": {
            "weights": "principal eigenvector, normalised to sum to 1",
            "aggregation": "element-wise geometric mean of the members' matrices (AIJ)",
            "random_index": {"source": RANDOM_INDEX_SOURCE, "values": list(RANDOM_INDEX)},
            "cr_limit": CR_LIMIT,
        },
        "comparisons": [_comparison_json(r, study.pack) for r in results],
        "warnings": [w.text for w in found],
        "written": None if written is None else str(written),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _comparison_json(result: PanelPriorities, pack: CriteriaPack) -> dict[str, Any]:
    comparison = result.comparison
    return {
        "comparison": comparison.label,
        "criterion": comparison.criterion,
        "items": list(comparison.items),
        "priorities": dict(zip(comparison.items, map(_r, result.combined.weights), strict=True)),
        "weights": written_weights(result, pack),
        **_consistency_json(result.combined, comparison.items),
        "members": [
            {"name": name, **_consistency_json(own, comparison.items)}
            for name, own in result.members
        ],
    }


def _consistency_json(priorities: Priorities, items: tuple[str, ...]) -> dict[str, Any]:
    return {
        "lambda_max": _r(priorities.lambda_max),
        "ci": _r(priorities.ci),
        "ri": priorities.ri,
        "cr": _r(priorities.cr),
        "consistent": priorities.consistent,
        "least_consistent": [
            {
                "judgement": f"{items[d.row]} over {items[d.column]}",
                "given": _r(d.given),
                "consistent_value": _r(d.consistent),
                "log_error": _r(d.log_error),
            }
            for d in priorities.worst
        ],
    }


def _r(value: float) -> float:
    # Six decimals keep float noise out of the bytes.
    return round(value, 6) + 0.0


# Beyond this many members, the table shows the panel's weights and each
# member's CR, but not every member's weights.
MEMBER_COLUMNS = 4


def weights_view(
    study: PairwiseStudy, results: list[PanelPriorities], found: list[ConsistencyWarning]
) -> Any:
    """The terminal view: one table per comparison, then the warnings."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    from techgate.render.safe_text import printable_line

    parts: list[Any] = [
        Text(
            f"Weights for pack {study.pack.id} from {len(study.file.members)} member(s); "
            f"overlay {study.file.overlay.id}",
            style="bold",
        )
    ]
    for result in results:
        comparison = result.comparison
        show_members = len(result.members) <= MEMBER_COLUMNS
        table = Table(title=comparison.label.capitalize(), title_justify="left")
        table.add_column("Id")
        table.add_column("Priority", justify="right")
        table.add_column("Weight written", justify="right")
        if show_members:
            for name, _ in result.members:
                table.add_column(printable_line(name), justify="right")
        weights = written_weights(result, study.pack)
        for index, item in enumerate(comparison.items):
            row = [item, f"{result.combined.weights[index]:.4f}", f"{weights[item]:.4f}"]
            if show_members:
                row += [f"{own.weights[index]:.4f}" for _, own in result.members]
            table.add_row(*row)
        combined = result.combined
        verdict = "consistent" if combined.consistent else f"ABOVE {CR_LIMIT:.2f}"
        parts.append(table)
        parts.append(
            Text(
                f"lambda_max {combined.lambda_max:.4f}  CI {combined.ci:.4f}  "
                f"RI {combined.ri:.2f}  CR {combined.cr:.4f} ({verdict})",
                style="green" if combined.consistent else "bold yellow",
            )
        )
        parts.append(
            Text(
                "members' CR: "
                + ", ".join(f"{printable_line(n)} {own.cr:.4f}" for n, own in result.members),
                style="dim",
            )
        )
    parts.append(Text(f"RI: {RANDOM_INDEX_SOURCE}.", style="dim"))
    if found:
        parts.append(Text("Warnings", style="bold yellow"))
        parts += [Text(f"- {printable_line(w.text)}", style="yellow") for w in found]
    else:
        parts.append(Text(f"Every matrix has CR at or below {CR_LIMIT:.2f}.", style="green"))
    return Group(*parts)
