"""Read a panel's pairwise judgements and check them against the pack they weigh."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from techgate.errors import InvalidInputError
from techgate.loading.packs import apply_overlay, load_named_pack, refer_to
from techgate.loading.sources import FolderPacks
from techgate.loading.validation import raise_if_any, validate_document
from techgate.loading.yaml_source import (
    MAX_FILE_BYTES,
    DocPath,
    Document,
    parse_yaml_bytes,
    parse_yaml_text,
    read_limited,
)
from techgate.model.criteria import CriteriaPack, PackOverlay
from techgate.model.pairwise import Comparison, PairwiseFile
from techgate.model.problems import Problem, suggest

# Saaty's random index table, and with it the consistency ratio, stops at 10
# items; beyond that a panel would also face 45 judgements or more per member.
MAX_ITEMS = 10
_PAIR = re.compile(r"^\s*(\S+)\s+over\s+(\S+)\s*$")
_MISSING_LISTED = 5


@dataclass(frozen=True)
class PairwiseStudy:
    """A validated judgements file, its pack and the matrices to weigh."""

    file: PairwiseFile
    """The file's content."""
    document: Document
    """The parsed file, for locating later problems (a --strict refusal)."""
    pack: CriteriaPack
    """The resolved pack the judgements weigh."""
    pack_file: Path | None
    """The pack's file when 'pack' is a path; None for a built-in pack."""
    sha256: str
    """SHA-256 of the file's bytes, as sha256sum prints it."""
    comparisons: tuple[Comparison, ...]
    """The criteria first, then each criterion whose indicators were judged, in pack order."""


def read_pairwise(path: Path, pack_dirs: Sequence[Path] = ()) -> PairwiseStudy:
    """Read, validate and check a judgements file; every problem is located."""
    raw = read_limited(path, str(path), MAX_FILE_BYTES)
    document = parse_yaml_bytes(raw, str(path))
    model = validate_document(PairwiseFile, document)
    # The file names its pack like a proposal does: only what a source offers.
    source = FolderPacks(tuple(pack_dirs), near=(path.parent,))
    try:
        pack = load_named_pack(model.pack, path.parent, source)
    except InvalidInputError as error:
        raise refer_to(error, document, ("pack",)) from None
    raise_if_any(document, list(_problems(model, pack)))
    return PairwiseStudy(
        file=model,
        document=document,
        pack=pack,
        pack_file=None if _is_builtin(model.pack) else source.locate(model.pack, path.parent),
        sha256=hashlib.sha256(raw).hexdigest(),
        comparisons=_comparisons(model, pack),
    )


def _is_builtin(reference: str) -> bool:
    # The rule locate_pack applies: a path has a '/' or a YAML suffix.
    return not ("/" in reference or reference.endswith((".yaml", ".yml")))


def _problems(model: PairwiseFile, pack: CriteriaPack) -> Iterator[Problem]:
    criteria = tuple(c.id for c in pack.criteria)
    if len(criteria) > MAX_ITEMS:
        yield Problem(
            ("pack",),
            f"pack {pack.id!r} has {len(criteria)} criteria; AHP weighs at most {MAX_ITEMS}",
            "Saaty's random index, and so the consistency ratio, is given for 10 items at most",
        )
        return
    if not model.members:
        yield Problem(("members",), "no panel members", "add at least one member's judgements")
    seen_names: dict[str, int] = {}
    for k, member in enumerate(model.members):
        base: DocPath = ("members", k)
        if member.name in seen_names:
            yield Problem(
                (*base, "name"),
                f"member {member.name!r} appears twice (also members[{seen_names[member.name]}])",
                "give each panel member one entry with all their judgements",
            )
        seen_names.setdefault(member.name, k)
        yield from _group_problems((*base, "criteria"), criteria, member.criteria, "criterion")[0]
        for criterion_id, judgements in member.indicators.items():
            where: DocPath = (*base, "indicators", criterion_id)
            criterion = next((c for c in pack.criteria if c.id == criterion_id), None)
            if criterion is None:
                yield Problem(
                    where,
                    f"pack {pack.id!r} has no criterion {criterion_id!r}",
                    suggest(criterion_id, criteria) or f"criteria: {', '.join(criteria)}",
                )
                continue
            items = tuple(i.id for i in criterion.indicators)
            if len(items) > MAX_ITEMS:
                yield Problem(
                    where,
                    f"criterion {criterion_id!r} has {len(items)} indicators; "
                    f"AHP weighs at most {MAX_ITEMS}",
                    "leave this criterion's indicator weights to the pack",
                )
                continue
            others = {
                i.id: c.id for c in pack.criteria if c.id != criterion_id for i in c.indicators
            }
            yield from _group_problems(where, items, judgements, "indicator", others)[0]
    yield from _same_groups(model)


def _same_groups(model: PairwiseFile) -> Iterator[Problem]:
    """Members must judge the indicators of the same criteria, or there is nothing to combine."""
    judged = sorted({c for member in model.members for c in member.indicators})
    for k, member in enumerate(model.members):
        for criterion_id in judged:
            if criterion_id not in member.indicators:
                by = next(m.name for m in model.members if criterion_id in m.indicators)
                yield Problem(
                    ("members", k, "indicators") if member.indicators else ("members", k),
                    f"{member.name!r} gives no judgements on the indicators of "
                    f"{criterion_id!r}, which {by!r} judged",
                    "every member judges the same pairs; add theirs, or drop the others'",
                )


def _group_problems(
    where: DocPath,
    items: tuple[str, ...],
    judgements: Mapping[str, float],
    what: str,
    elsewhere: Mapping[str, str] | None = None,
) -> tuple[list[Problem], dict[tuple[int, int], float]]:
    """Problems in one member's judgements of one matrix, and the judgements by index."""
    problems: list[Problem] = []
    index = {item: i for i, item in enumerate(items)}
    given: dict[frozenset[int], str] = {}
    found: dict[tuple[int, int], float] = {}
    for key, value in judgements.items():
        path = (*where, key)
        match = _PAIR.match(key)
        if match is None:
            problems.append(
                Problem(
                    path,
                    f"{key[:60]!r} does not read '<{what}> over <{what}>'",
                    f"write e.g. '{items[0]} over {items[-1]}: 3'",
                )
            )
            continue
        first, second = match.groups()
        unknown = [name for name in (first, second) if name not in index]
        for name in unknown:
            problems.append(Problem(path, *_unknown(name, what, items, elsewhere)))
        if unknown:
            continue
        if first == second:
            problems.append(
                Problem(
                    path,
                    f"compares {first!r} with itself",
                    "leave it out: every item is equal to itself (the diagonal is 1)",
                )
            )
            continue
        pair = frozenset((index[first], index[second]))
        if pair in given:
            problems.append(
                Problem(
                    path,
                    f"the pair {first!r} and {second!r} is judged twice (also as {given[pair]!r})",
                    "give each pair once, in either direction",
                )
            )
            continue
        given[pair] = key
        found[(index[first], index[second])] = value
    missing = [
        f"{items[i]} over {items[j]}"
        for i in range(len(items))
        for j in range(i + 1, len(items))
        if frozenset((i, j)) not in given
    ]
    if missing:
        shown = ", ".join(repr(m) for m in missing[:_MISSING_LISTED])
        more = (
            f" and {len(missing) - _MISSING_LISTED} more" if len(missing) > _MISSING_LISTED else ""
        )
        total = len(items) * (len(items) - 1) // 2
        problems.append(
            Problem(
                where,
                f"{len(missing)} of the {total} pairs not judged: {shown}{more}",
                "judge every pair once, in either direction ('1' if equally important)",
            )
        )
    return problems, found


def _unknown(
    name: str, what: str, items: tuple[str, ...], elsewhere: Mapping[str, str] | None
) -> tuple[str, str]:
    if elsewhere and name in elsewhere:
        return (
            f"{name!r} is an indicator of criterion {elsewhere[name]!r}, not of this one",
            f"compare it under 'indicators: {elsewhere[name]}:'",
        )
    return f"unknown {what} {name!r}", suggest(name, items) or f"{what}s here: {', '.join(items)}"


def _comparisons(model: PairwiseFile, pack: CriteriaPack) -> tuple[Comparison, ...]:
    members = sorted(model.members, key=lambda m: m.name)
    criteria = tuple(c.id for c in pack.criteria)
    found = [
        Comparison(
            None,
            criteria,
            tuple((m.name, _group_problems((), criteria, m.criteria, "")[1]) for m in members),
        )
    ]
    judged = {c for m in members for c in m.indicators}
    for criterion in pack.criteria:
        if criterion.id in judged:
            items = tuple(i.id for i in criterion.indicators)
            found.append(
                Comparison(
                    criterion.id,
                    items,
                    tuple(
                        (m.name, _group_problems((), items, m.indicators[criterion.id], "")[1])
                        for m in members
                    ),
                )
            )
    return tuple(found)


def check_overlay(text: str, name: str, base: CriteriaPack) -> CriteriaPack:
    """The pack a generated overlay gives when applied to its base, read back from its text.

    Run before the overlay is written, so a file that would not load is never left behind.
    """
    document = parse_yaml_text(text, name)
    overlay = validate_document(PackOverlay, document)
    return apply_overlay(base, overlay, document)
