"""pydantic's plugins switched off for the command line, without paying to look for them.

pydantic finds plugins through the entry points of every installed
distribution. Its loader module imports `importlib.metadata` (and with it
`email`, `socket` and more: about 25 ms of a fresh process) before it reads
PYDANTIC_DISABLE_PLUGINS, even when that says no plugins. The command line
uses none, so `main` sets the variable (a user who set it keeps their value)
and, only when it switches every plugin off, puts a stand-in for the loader
in `sys.modules` before any model class is built.

The stand-in answers as pydantic documents for the variable: no plugins. If
the variable is changed afterwards, or pydantic asks the loader for anything
else, the real loader is imported and answers instead, so the stand-in can
only save time, never change what pydantic does. The library never does
this: only the command's process, whose whole life the command owns.
"""

from __future__ import annotations

import importlib
import os
import sys
import types
from typing import Any

VARIABLE = "PYDANTIC_DISABLE_PLUGINS"
# The values pydantic reads as "every plugin off" (pydantic.plugin._loader).
ALL_OFF = ("__all__", "1", "true")
LOADER = "pydantic.plugin._loader"


def all_plugins_off() -> bool:
    return os.environ.get(VARIABLE) in ALL_OFF


def _real_loader() -> types.ModuleType:
    if isinstance(sys.modules.get(LOADER), _StandIn):
        del sys.modules[LOADER]
    return importlib.import_module(LOADER)


class _StandIn(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            # The import system asks a module for __path__ and the like; the
            # loader is a plain module, and has none of them either.
            raise AttributeError(name)
        return getattr(_real_loader(), name)


def _get_plugins(*args: Any, **kwargs: Any) -> Any:
    if all_plugins_off():
        return ()
    loader = _real_loader()
    return loader.get_plugins(*args, **kwargs)


def skip_plugin_scan() -> None:
    """Stand in for pydantic's plugin loader while the variable switches every plugin off."""
    if not all_plugins_off() or LOADER in sys.modules:
        return
    stand_in = _StandIn(LOADER, __doc__)
    stand_in.get_plugins = _get_plugins  # type: ignore[attr-defined]
    sys.modules[LOADER] = stand_in
