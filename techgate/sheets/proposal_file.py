"""Change a proposal file's assessments or moderation and keep everything else as written.

ruamel.yaml's round-trip mode keeps comments, key order, quoting and flow
style; only the answers that changed are touched, so an import that
changes nothing leaves the file's bytes as they were. The file was read
and checked with every limit first (techgate.loading); this only edits it.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.util import load_yaml_guess_indent

from techgate.errors import single_problem
from techgate.model.moderation import PanelStart
from techgate.model.proposal import Assessment, IndicatorScore, Moderation

# Notes up to this long without a line break stay on the score's line.
_INLINE_NOTE = 80


def _yaml_for(text: str) -> tuple[YAML, Any]:
    # The guess gives the indent of sequence items' content and the offset
    # of their dash; mappings are indented by the offset when there is one
    # (ruamel's documented use), else by the guessed indent.
    _, indent, offset = load_yaml_guess_indent(text)
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    # Long lines stay as written: folding them would touch lines nobody changed.
    yaml.width = 1_000_000
    indent = indent or 2
    offset = offset or 0
    yaml.indent(mapping=offset or indent, sequence=indent, offset=offset)
    return yaml, yaml.load(text)


def _dumped(yaml: YAML, data: Any) -> str:
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def assessments_changed(
    text: str,
    name: str,
    assessments: Sequence[Assessment],
    asked: Mapping[str, Sequence[str]],
) -> str:
    """The file with each assessor's answers to the asked indicators set as given.

    'asked' is, per assessor, the indicators their sheet asked about: an
    answer there that the sheet leaves empty is removed, answers to other
    indicators stay. An assessor not in the file is added at the end.
    """
    yaml, data = _yaml_for(text)
    if not isinstance(data, CommentedMap):
        raise single_problem(name, "the proposal is not a mapping", line=1)
    entries = data.get("assessments")
    if entries is None:
        entries = data["assessments"] = CommentedSeq()
    changed = False
    for assessment in assessments:
        entry: Any = next(
            (
                e
                for e in entries
                if isinstance(e, Mapping) and e.get("assessor") == assessment.assessor
            ),
            None,
        )
        if entry is None:
            entry = CommentedMap(assessor=assessment.assessor, scores=CommentedMap())
            entries.append(entry)
            changed = True
        scores = entry.get("scores")
        if scores is None:
            scores = entry["scores"] = CommentedMap()
            changed = True
        for indicator in asked[assessment.assessor]:
            given = assessment.scores.get(indicator)
            present = indicator in scores
            if given is None:
                if present:
                    del scores[indicator]
                    changed = True
                continue
            if present and IndicatorScore.model_validate(_plain(scores[indicator])) == given:
                continue  # as written: keep its layout and comments
            scores[indicator] = _score_node(given)
            changed = True
    return _dumped(yaml, data) if changed else text


def _plain(node: Any) -> Any:
    """A round-trip node as plain data, for comparing with a model."""
    if isinstance(node, Mapping):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    return node


def _score_node(answer: IndicatorScore) -> Any:
    if not answer.evidence and not answer.note:
        return answer.score  # the short form
    node = CommentedMap(score=answer.score)
    if answer.evidence:
        evidence = CommentedSeq(answer.evidence)
        evidence.fa.set_flow_style()
        node["evidence"] = evidence
    if answer.note:
        node["note"] = answer.note
    if len(answer.note) <= _INLINE_NOTE and "\n" not in answer.note:
        node.fa.set_flow_style()
    return node


def moderation_added(
    text: str, name: str, moderation: Moderation, starts: Mapping[str, PanelStart]
) -> str:
    """The file with a 'moderation' block, each answer annotated with the panel's median."""
    yaml, data = _yaml_for(text)
    if not isinstance(data, CommentedMap):
        raise single_problem(name, "the proposal is not a mapping", line=1)
    block = CommentedMap(started=moderation.started)
    if moderation.chair is not None:
        block["chair"] = moderation.chair
    if moderation.answers_sha256 is not None:
        block["answers_sha256"] = moderation.answers_sha256
    scores = CommentedMap()
    # One column for every median note, past the longest 'key: value' line.
    column = 8 + max((len(key) for key in moderation.scores), default=0) + len(": unchanged")
    for indicator, answer in moderation.scores.items():
        scores[indicator] = answer.score
        start = starts[indicator]
        if start.median is not None:
            note = f"panel median {start.median:g}"
            if start.median != start.start:
                note += ", rounded down"
            scores.yaml_add_eol_comment(note, indicator, column=column)
    block["scores"] = scores
    data["moderation"] = block
    return _dumped(yaml, data)
