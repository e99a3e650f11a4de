"""Find, read and resolve criteria packs, including 'extends' chains."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from techgate.errors import InvalidInputError, PackNotFoundError, single_problem
from techgate.loading.sources import (
    BuiltinPacks,
    FolderPacks,
    PackSource,
    builtin_ids,
    held_pack,
    looks_like_path,
)
from techgate.loading.validation import raise_if_any, shown, validate_document
from techgate.loading.yaml_source import Document, read_yaml_file
from techgate.model.criteria import CriteriaPack, PackOverlay
from techgate.model.problems import Problem, pack_problems, suggest

DEFAULT_PACK = "contact-centre"
MAX_EXTENDS_DEPTH = 8


@dataclass(frozen=True)
class PackInfo:
    """A built-in pack as 'criteria list' shows it."""

    id: str
    title: str
    version: str
    criteria: int
    indicators: int
    gates: int


def is_pack(document: Document) -> bool:
    """Packs have a list of criteria or extend another pack; proposals name a pack at most."""
    data = document.data
    return isinstance(data, dict) and (isinstance(data.get("criteria"), list) or "extends" in data)


def builtin_pack_ids() -> list[str]:
    return builtin_ids()


def list_builtin_packs() -> list[PackInfo]:
    infos = []
    for pack_id in builtin_pack_ids():
        pack = load_pack(pack_id)
        infos.append(
            PackInfo(
                pack.id,
                pack.title,
                pack.version,
                len(pack.criteria),
                len(pack.indicators()),
                len(pack.gates),
            )
        )
    return infos


def locate_pack(reference: str | Path, source: PackSource | None = None) -> Path:
    """The file an operator's pack reference names: a path as given, or an id the source offers."""
    text = str(reference)
    if isinstance(reference, Path) or looks_like_path(text):
        return Path(text)
    return (source or BuiltinPacks()).locate(text, None)


def load_pack(reference: str | Path, source: PackSource | None = None) -> CriteriaPack:
    """A pack chosen by the operator (command line or code): by id, or by a path read as given.

    What the pack extends is looked up in the source, and a path it extends
    must stay inside the pack's own folder or the source's folders.
    """
    path = locate_pack(reference, source)
    return _load(path, chain=(), source=_around(path, source))


def load_named_pack(reference: str, named_in: Path | None, source: PackSource) -> CriteriaPack:
    """A pack named inside a file (a proposal's 'pack'): only what the source offers."""
    held = held_pack(source, reference)
    if held is not None:
        return held
    return _load(source.locate(reference, named_in), chain=(), source=source)


def pack_from_document(
    document: Document, path: Path, source: PackSource | None = None
) -> CriteriaPack:
    """A pack from a file already read (its 'extends' still resolved from disk)."""
    return _load(path, chain=(), document=document, source=_around(path, source))


def pack_from_text(document: Document, source: PackSource) -> CriteriaPack:
    """A pack sent as text (an HTTP body): what it extends comes from the source alone."""
    return _load(Path(document.name), chain=(), document=document, source=source)


def _around(path: Path, source: PackSource | None) -> PackSource:
    """The source for what an operator's pack extends: its own folder, and the source's."""
    folders = source.folders if isinstance(source, FolderPacks) else ()
    return FolderPacks(folders, near=(path.parent,))


class NotAPackError(InvalidInputError):
    """A file named as a pack is not one at all; its content is not repeated."""


# Field names of packs and overlays: a mapping with none or one of them is
# some other file, and its keys are not to be listed back as unknown fields.
_PACK_KEYS = frozenset(CriteriaPack.model_fields) | frozenset(PackOverlay.model_fields)


class UnreadablePackError(InvalidInputError):
    """A file named as a pack could not even be parsed.

    Its problems quote its keys and names; they are shown when the file was
    named on the command line, and summed up where another file named it.
    """


def _not_a_pack(path: Path, document: Document) -> NotAPackError | None:
    """Refuse a file that is not even shaped like a pack, without echoing a word of it.

    Whatever a proposal or an 'extends' names is read; if that is /etc/passwd,
    validation messages would quote it. A pack is a mapping with an id and
    either criteria or a pack it extends; anything else is refused whole.
    """
    data = document.data
    if isinstance(data, dict) and (
        "criteria" in data or "extends" in data or len(_PACK_KEYS.intersection(data)) >= 2
    ):
        return None  # a pack, perhaps with mistakes: validation names them precisely
    return NotAPackError(
        single_problem(
            str(path),
            "is not a criteria pack (a mapping with 'criteria' or 'extends')",
            "name a pack file, or the id of a built-in pack",
            line=1,
        ).problems
    )


def refer_to(
    error: InvalidInputError, document: Document, field: tuple[str, ...]
) -> InvalidInputError:
    """A pack that could not be found, read or recognised, reported where it was named.

    Problems inside a real pack file keep their own file and line; a file
    that is missing, unreadable, too large or no pack at all is the naming
    line's problem.
    """
    file_level = all(p.line is None for p in error.problems)
    if not (
        isinstance(error, NotAPackError | PackNotFoundError | UnreadablePackError) or file_level
    ):
        return error
    if isinstance(error, PackNotFoundError) and not file_level:
        return error  # already said at the 'extends' line of the pack that named it
    named = error.problems[0]
    if isinstance(error, UnreadablePackError):
        return InvalidInputError(
            [
                document.problem(
                    field,
                    f"names a file that cannot be read as a criteria pack "
                    f"({len(error.problems)} problem(s) in it)",
                    f"run 'techgate validate {named.file}' to see them",
                )
            ]
        )
    if isinstance(error, NotAPackError):
        reason = named.message.replace("is not", "names a file that is not", 1)
    else:
        reason = f"{shown(named.file)}: {named.message}"
    # The kind of failure (not found, refused) is kept for callers that tell them apart.
    kind = type(error) if isinstance(error, PackNotFoundError) else InvalidInputError
    return kind([document.problem(field, reason, named.hint)])


def _load(
    path: Path, chain: tuple[Path, ...], *, source: PackSource, document: Document | None = None
) -> CriteriaPack:
    resolved = path.resolve()
    if resolved in chain:
        cycle = " -> ".join(p.name for p in (*chain, resolved))
        raise single_problem(
            str(path),
            f"'extends' loops back on itself: {cycle}",
            "a pack cannot extend itself, directly or through others",
        )
    if len(chain) >= MAX_EXTENDS_DEPTH:
        raise single_problem(str(path), f"'extends' chain deeper than {MAX_EXTENDS_DEPTH}")
    if document is None:
        try:
            document = read_yaml_file(path)
        except InvalidInputError as error:
            if all(p.line is None for p in error.problems):
                raise  # missing, unreadable, too large: said of the file alone
            raise UnreadablePackError(error.problems) from None
    refused = _not_a_pack(path, document)
    if refused is not None:
        raise refused
    if isinstance(document.data, dict) and "extends" in document.data:
        overlay = validate_document(PackOverlay, document)
        try:
            base = held_pack(source, overlay.extends) or _load(
                source.locate(overlay.extends, path.parent), (*chain, resolved), source=source
            )
        except InvalidInputError as error:
            raise refer_to(error, document, ("extends",)) from None
        return apply_overlay(base, overlay, document)
    pack = validate_document(CriteriaPack, document)
    raise_if_any(document, pack_problems(pack))
    return pack


def apply_overlay(base: CriteriaPack, overlay: PackOverlay, document: Document) -> CriteriaPack:
    """The base pack with the overlay's weights, policy and gates applied."""
    raise_if_any(document, _overlay_reference_problems(base, overlay))
    data: dict[str, Any] = base.model_dump(mode="python")
    data.update(
        id=overlay.id,
        title=overlay.title,
        version=overlay.version,
        lineage=(base.id, *base.lineage),
    )
    if overlay.description:
        data["description"] = overlay.description
    for criterion in data["criteria"]:
        criterion["weight"] = overlay.weights.criteria.get(criterion["id"], criterion["weight"])
        for indicator in criterion["indicators"]:
            indicator["weight"] = overlay.weights.indicators.get(
                indicator["id"], indicator["weight"]
            )
    data["policy"].update(overlay.policy.model_dump(exclude_none=True))
    replaced = {gate.id: gate.model_dump() for gate in overlay.gates}
    gates = [replaced.pop(g["id"], g) for g in data["gates"] if g["id"] not in overlay.remove_gates]
    data["gates"] = gates + list(replaced.values())
    if overlay.price is not None:
        data["price"] = overlay.price.model_dump(mode="python")
    try:
        pack = CriteriaPack.model_validate(data)
    except ValidationError as error:
        raise InvalidInputError(
            [
                document.problem(
                    ("policy",),
                    detail["msg"].removeprefix("Value error, "),
                    "check the thresholds this pack overrides",
                )
                for detail in error.errors(include_url=False)
            ]
        ) from None
    raise_if_any(document, _relocate_gate_problems(pack, overlay, pack_problems(pack)))
    return pack


def _overlay_reference_problems(base: CriteriaPack, overlay: PackOverlay) -> list[Problem]:
    criterion_ids = [c.id for c in base.criteria]
    indicator_ids = list(base.indicators())
    gate_ids = [g.id for g in base.gates]
    problems = [
        Problem(
            ("weights", "criteria", key),
            f"base pack {base.id!r} has no criterion {key!r}",
            suggest(key, criterion_ids),
        )
        for key in overlay.weights.criteria
        if key not in criterion_ids
    ]
    problems += [
        Problem(
            ("weights", "indicators", key),
            f"base pack {base.id!r} has no indicator {key!r}",
            suggest(key, indicator_ids),
        )
        for key in overlay.weights.indicators
        if key not in indicator_ids
    ]
    problems += [
        Problem(
            ("remove_gates", i),
            f"base pack {base.id!r} has no gate {key!r}",
            suggest(key, gate_ids),
        )
        for i, key in enumerate(overlay.remove_gates)
        if key not in gate_ids
    ]
    return problems


def _relocate_gate_problems(
    pack: CriteriaPack, overlay: PackOverlay, problems: list[Problem]
) -> list[Problem]:
    """Point problems in merged gates back at the overlay gate that caused them."""
    overlay_index = {gate.id: i for i, gate in enumerate(overlay.gates)}
    relocated = []
    for problem in problems:
        path = problem.path
        if path[:1] == ("gates",) and isinstance(path[1], int):
            gate_id = pack.gates[path[1]].id
            if gate_id in overlay_index:
                path = ("gates", overlay_index[gate_id], *path[2:])
        relocated.append(Problem(path, problem.message, problem.hint))
    return relocated
