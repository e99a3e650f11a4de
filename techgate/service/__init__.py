"""The HTTP decision service ('techgate serve'): FastAPI over techgate.api and the register.

See docs/service.md. create_app builds the app; server.start_on_socket runs
it in a thread (tests and benchmarks), server.serve_forever in the foreground.
"""

from __future__ import annotations

from techgate.service.app import ROUTERS, create_app
from techgate.service.settings import Settings

__all__ = ["ROUTERS", "Settings", "create_app"]
