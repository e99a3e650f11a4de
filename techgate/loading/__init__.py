"""Turn files (or mappings) into validated models, with located errors."""

from techgate.loading.packs import (
    DEFAULT_PACK,
    builtin_pack_ids,
    is_pack,
    list_builtin_packs,
    load_pack,
    pack_from_document,
)
from techgate.loading.proposals import (
    check_against_pack,
    load_for_evaluation,
    pack_reference,
    read_proposal,
)
from techgate.loading.records import read_evaluation
from techgate.loading.yaml_source import Document, read_yaml_file, recording_reads

__all__ = [
    "DEFAULT_PACK",
    "Document",
    "builtin_pack_ids",
    "check_against_pack",
    "is_pack",
    "list_builtin_packs",
    "load_for_evaluation",
    "load_pack",
    "pack_from_document",
    "pack_reference",
    "read_evaluation",
    "read_proposal",
    "read_yaml_file",
    "recording_reads",
]
