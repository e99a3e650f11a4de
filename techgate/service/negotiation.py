"""Which representation a client asked for: the Accept header (RFC 9110 weights) or a suffix."""

from __future__ import annotations

from collections.abc import Sequence

from techgate.service.problems import ProblemError


def _base(media: str) -> str:
    return media.split(";")[0].strip().lower()


def preferred(accept: str | None, offers: Sequence[str]) -> str:
    """The offer the Accept header weighs highest (the first offer when it says nothing);
    406 when it accepts none of them."""
    if not accept or not accept.strip():
        return offers[0]
    ranges: list[tuple[str, float]] = []
    for part in accept.split(","):
        pieces = [p.strip() for p in part.split(";")]
        media, weight = pieces[0].lower(), 1.0
        for parameter in pieces[1:]:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
                if not 0.0 <= weight <= 1.0:
                    weight = 0.0
        if media:
            ranges.append((media, weight))
    best, best_weight = None, 0.0
    for offer in offers:
        weight = _weight(_base(offer), ranges)
        if weight > best_weight:
            best, best_weight = offer, weight
    if best is None:
        raise ProblemError(
            406,
            f"this resource is offered as {', '.join(_base(o) for o in offers)}",
            kind="not-acceptable",
        )
    return best


def _weight(offer: str, ranges: list[tuple[str, float]]) -> float:
    """The weight of the most specific range matching the offer (0 when none does)."""
    kind = offer.split("/")[0]
    found: tuple[int, float] | None = None
    for media, weight in ranges:
        if media == offer:
            specificity = 3
        elif media == f"{kind}/*":
            specificity = 2
        elif media == "*/*":
            specificity = 1
        else:
            continue
        if found is None or specificity > found[0]:
            found = (specificity, weight)
    return found[1] if found else 0.0
