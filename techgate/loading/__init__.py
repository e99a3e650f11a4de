"""Turn files (or mappings) into validated models, with located errors."""

from techgate.loading.packs import (
    DEFAULT_PACK,
    builtin_pack_ids,
    is_pack,
    list_builtin_packs,
    load_named_pack,
    load_pack,
    pack_from_document,
    pack_from_text,
)
from techgate.loading.proposals import (
    Checked,
    PackChoice,
    as_document,
    check_against_pack,
    load_for_evaluation,
    read_proposal,
)
from techgate.loading.records import read_evaluation
from techgate.loading.sources import (
    BuiltinPacks,
    FolderPacks,
    HeldPacks,
    PackRefusedError,
    PackSource,
)
from techgate.loading.yaml_source import (
    Document,
    parse_yaml_text,
    read_yaml_file,
    recording_reads,
)

__all__ = [
    "DEFAULT_PACK",
    "BuiltinPacks",
    "Checked",
    "Document",
    "FolderPacks",
    "HeldPacks",
    "PackChoice",
    "PackRefusedError",
    "PackSource",
    "as_document",
    "builtin_pack_ids",
    "check_against_pack",
    "is_pack",
    "list_builtin_packs",
    "load_for_evaluation",
    "load_named_pack",
    "load_pack",
    "pack_from_document",
    "pack_from_text",
    "parse_yaml_text",
    "read_evaluation",
    "read_proposal",
    "read_yaml_file",
    "recording_reads",
]
