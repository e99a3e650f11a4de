"""Read a waivers file: the JSON 'techgate register waivers -f json' writes.

For pipelines that judge proposals without the register (evaluate
--waivers, batch --waivers). The file is checked as strictly as a record:
size, encoding, JSON, every field of every waiver; problems are located by
line where the file is small enough. The file is trusted as the repository
holding it is: whoever can change it can grant waivers, so keep it where
changes are reviewed.
"""

from __future__ import annotations

from pathlib import Path

from techgate.loading.records import read_json_document
from techgate.loading.validation import validate_document
from techgate.model.waiver import Waiver, WaiverList

MAX_WAIVER_FILE_BYTES = 16 * 1024 * 1024
"""Tens of thousands of waivers; more than any organisation keeps in force."""


def read_waivers(path: Path) -> tuple[Waiver, ...]:
    """Every waiver in the file (in force or not: applies() decides at evaluation time)."""
    document = read_json_document(
        path,
        MAX_WAIVER_FILE_BYTES,
        "a waivers file is the JSON 'techgate register waivers -f json' writes",
        "a waivers file",
    )
    return validate_document(WaiverList, document).waivers
