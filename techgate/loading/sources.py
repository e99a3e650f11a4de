"""Where criteria packs may come from: the pack sources.

A proposal (or a pack's 'extends') names its pack in a file that someone
else may have written. Reading whatever path it names would let a proposal
make techgate open any file the user can read, so a name is only honoured
when a source offers it:

- BuiltinPacks offers the packs shipped with techgate, by id;
- FolderPacks offers those, plus packs in given folders: by id (the file
  '<id>.yaml' in a folder) or by a relative path that stays inside one of
  the folders once every '..' and symbolic link is resolved.

Absolute paths are never honoured from a file. The operator's own choice on
the command line or in code ('--pack PATH', load_pack(path)) is not a
reference from a file and is read as given; the packs that one extends are
confined to its folder.
- HeldPacks offers packs already in memory by id (the service's: those
  installed in the register), and the built-in ones; never a path.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from techgate.errors import PackNotFoundError, single_problem
from techgate.model.problems import suggest
from techgate.resources import data_dir

if TYPE_CHECKING:
    from techgate.model.criteria import CriteriaPack


class PackRefusedError(PackNotFoundError):
    """A reference names a pack outside every folder packs may come from."""


class PackSource(Protocol):
    """Something that offers criteria packs by id or by confined relative path."""

    def ids(self) -> list[str]:
        """Ids of the packs offered by id, sorted."""
        ...

    def locate(self, reference: str, named_in: Path | None) -> Path:
        """The file the reference names, or PackNotFoundError / PackRefusedError.

        named_in is the folder of the file that holds the reference, or None
        when it came from a mapping or text without a folder.
        """
        ...


def looks_like_path(reference: str) -> bool:
    """Whether a reference is a path rather than an id (ids have no '/' and no suffix)."""
    return "/" in reference or "\\" in reference or reference.endswith((".yaml", ".yml"))


def builtin_ids() -> list[str]:
    return sorted(p.stem for p in data_dir("criteria").glob("*.yaml"))


@dataclass(frozen=True)
class BuiltinPacks:
    """The packs shipped with techgate, by id only."""

    def ids(self) -> list[str]:
        return builtin_ids()

    def locate(self, reference: str, named_in: Path | None) -> Path:
        if looks_like_path(reference):
            raise _refused(reference, "only built-in pack ids are offered here")
        return _builtin_or_missing(reference, self.ids())


@dataclass(frozen=True)
class FolderPacks:
    """Built-in packs and the packs under some folders."""

    folders: tuple[Path, ...] = ()
    """Pack folders: their packs are offered by id ('<id>.yaml') and by relative path."""
    near: tuple[Path, ...] = ()
    """Folders offered by relative path only, such as the proposal's own folder (its
    other files are not packs to list)."""
    builtin: bool = True
    """Whether the built-in packs are offered too."""
    _roots: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _near: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Resolved once, so that a link changed later cannot move a folder.
        object.__setattr__(self, "_roots", tuple(os.path.realpath(f) for f in self.folders))
        object.__setattr__(self, "_near", tuple(os.path.realpath(f) for f in self.near))

    def ids(self) -> list[str]:
        found = set(builtin_ids()) if self.builtin else set()
        for root in self._roots:
            found.update(p.stem for p in Path(root).glob("*.yaml") if p.is_file())
        return sorted(found)

    def locate(self, reference: str, named_in: Path | None) -> Path:
        if looks_like_path(reference):
            return self._confined(reference, named_in)
        for root in self._roots:
            candidate = Path(root) / f"{reference}.yaml"
            if _is_file(candidate):
                return candidate
        if self.builtin and reference in builtin_ids():
            return data_dir("criteria") / f"{reference}.yaml"
        raise _missing(reference, self.ids())

    def _confined(self, reference: str, named_in: Path | None) -> Path:
        if "\0" in reference:  # no file name holds one; os functions raise ValueError
            raise _refused(reference, "a path cannot hold a NUL character")
        path = Path(reference)
        if path.is_absolute():
            raise _refused(reference, "an absolute path is not honoured from a file")
        if named_in is None:
            raise _refused(reference, "a path needs the folder of the file that names it")
        candidate = named_in / path
        real = os.path.realpath(candidate)
        roots = [
            *self._roots,
            *self._near,
            *([str(data_dir("criteria").resolve())] if self.builtin else []),
        ]
        if not any(real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in roots):
            raise _refused(
                reference,
                "is outside the folders packs may come from "
                f"({', '.join(str(f) for f in (*self.near, *self.folders)) or 'none'})",
            )
        return candidate


@dataclass(frozen=True)
class HeldPacks:
    """Packs held in memory by id (installed in the register), then the built-in ones.

    Nothing here names a file a request could choose: a path is refused, and
    an id is either held or built in. A held pack wins over a built-in pack
    of the same id (the organisation's own version).
    """

    packs: Mapping[str, CriteriaPack]
    """Id → the resolved pack ('extends' already applied)."""

    def ids(self) -> list[str]:
        return sorted({*builtin_ids(), *self.packs})

    def held(self, reference: str) -> CriteriaPack | None:
        """The pack held under this id, if any."""
        return None if looks_like_path(reference) else self.packs.get(reference)

    def locate(self, reference: str, named_in: Path | None) -> Path:
        if looks_like_path(reference):
            raise PackRefusedError(
                single_problem(
                    reference,
                    "refused: a path is never read here; name an installed or built-in pack by id",
                    f"packs offered: {', '.join(self.ids())}",
                ).problems
            )
        return _builtin_or_missing(reference, self.ids())


def held_pack(source: PackSource, reference: str) -> CriteriaPack | None:
    """The pack a source holds in memory under this reference, if it holds packs at all."""
    return source.held(reference) if isinstance(source, HeldPacks) else None


def _is_file(path: Path) -> bool:
    """Whether path is a file; a name too long for the file system is none (stat raises)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _builtin_or_missing(reference: str, known: list[str]) -> Path:
    if reference in known:
        return data_dir("criteria") / f"{reference}.yaml"
    raise _missing(reference, known)


def _missing(reference: str, known: list[str]) -> PackNotFoundError:
    return PackNotFoundError(
        single_problem(
            reference,
            "no criteria pack has this id",
            suggest(reference, known)
            or f"packs offered: {', '.join(known)}; or give a path to a .yaml file",
        ).problems
    )


def _refused(reference: str, why: str) -> PackRefusedError:
    return PackRefusedError(
        single_problem(
            reference,
            f"refused: {why}",
            "put the pack beside the proposal (or below it), or allow its folder with --pack-dir",
        ).problems
    )
