"""The service's small parts on their own: content negotiation and the metrics text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from techgate.service.metrics import Metrics
from techgate.service.negotiation import preferred
from techgate.service.problems import ProblemError

OFFERS = ["application/json", "text/markdown; charset=utf-8", "text/html; charset=utf-8"]


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, "application/json"),
        ("", "application/json"),
        ("text/html", "text/html; charset=utf-8"),
        ("text/*", "text/markdown; charset=utf-8"),
        ("text/*;q=0.2, text/html;q=0.3", "text/html; charset=utf-8"),
        ("*/*;q=0.1, text/markdown;q=0", "application/json"),
        ("TEXT/HTML", "text/html; charset=utf-8"),
        ("text/html;q=nonsense, application/json;q=0.5", "application/json"),
        ("text/html;q=5, application/json;q=0.5", "application/json"),
    ],
)
def test_the_highest_weighted_offer_wins(accept: str | None, chosen: str) -> None:
    assert preferred(accept, OFFERS) == chosen


@pytest.mark.parametrize("accept", ["image/png", "text/html;q=0, */*;q=0", ",,,", ";q=1"])
def test_nothing_acceptable_is_406(accept: str) -> None:
    with pytest.raises(ProblemError) as refused:
        preferred(accept, OFFERS)
    assert refused.value.status == 406


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_accept_header_gives_an_offer_or_406(accept: str) -> None:
    try:
        assert preferred(accept, OFFERS) in OFFERS
    except ProblemError as refused:
        assert refused.status == 406


def test_metrics_escape_labels_and_print_the_same_bytes_for_the_same_counts() -> None:
    def filled() -> Metrics:
        metrics = Metrics()
        metrics.observe('/v1/x"\\\n', "GET", 200, 0.02)
        metrics.observe("/v1/a", "POST", 201, 3.0)
        metrics.submitted("created")
        metrics.gauges["techgate_render_pending"] = ("Renders.", lambda: 2)
        return metrics

    text = filled().text()
    assert text == filled().text()
    assert 'route="/v1/x\\"\\\\\\n"' in text
    assert (
        'techgate_http_request_duration_seconds_bucket{route="/v1/a",method="POST",le="2.5"} 0'
        in text
    )
    assert (
        'techgate_http_request_duration_seconds_bucket{route="/v1/a",method="POST",le="5.0"} 1'
        in text
    )
    assert 'techgate_http_request_duration_seconds_count{route="/v1/a",method="POST"} 1' in text
    assert "techgate_render_pending 2" in text and text.endswith("\n")
