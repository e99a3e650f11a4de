"""Write a changed proposal file back: checked as any input first, then written atomically."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from techgate.api import Loaded


def write_changed_proposal(
    path: Path,
    text: str,
    *,
    before: Loaded,
    pack: str | None,
    pack_dirs: Sequence[Path],
    other_inputs: Iterable[Path] = (),
) -> Loaded:
    """Check the new text as a proposal against the same pack, then replace the file with it.

    Nothing is written unless the new file loads and passes every check; the
    output plan refuses a destination that is also one of the other inputs
    (a sheet, a pack), and replaces the file atomically.
    """
    from techgate import api
    from techgate.cli.output import check_destinations, write_files

    after = api.load(api.ProposalText(text, str(path)), pack=pack, pack_dirs=pack_dirs)
    inputs = [p for p in [*before.read, *other_inputs] if not _same_file(p, path)]
    check_destinations([path], inputs)
    write_files([(path, text.encode("utf-8"))], inputs)
    return after


def _same_file(one: Path, other: Path) -> bool:
    try:
        return one.samefile(other)
    except OSError:
        return False
