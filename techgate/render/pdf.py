"""HTML to PDF with WeasyPrint: tagged (PDF/UA-1), reproducible, fetching only template files."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse, URLFetchingError

PDF_VARIANT = "pdf/ua-1"


class TemplateOnlyFetcher(URLFetcher):  # type: ignore[misc]
    """Fetches local files inside the template folders, and nothing else.

    http(s), data:, other schemes, file:// anywhere else, and anything there
    that is not a regular file (a pipe would never answer) are refused, for
    documents, stylesheets, images and attachments alike. Refusals are kept
    in 'refused' so that callers (and tests) can see what was asked for.
    """

    def __init__(self, allowed_dirs: Iterable[Path]) -> None:
        super().__init__(allowed_protocols=("file",), allow_redirects=False, timeout=2)
        self.allowed = tuple(directory.resolve() for directory in allowed_dirs)
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        path = _local_path(url)
        if (
            path is None
            or not any(path.is_relative_to(d) for d in self.allowed)
            or not path.is_file()
        ):
            self.refused.append(url)
            raise URLFetchingError(f"techgate fetches only its template files; refused {url}")
        return super().fetch(url, headers)


def _local_path(url: str) -> Path | None:
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return None
    # resolve() follows symbolic links, so a link inside the folder that
    # points outside it is refused too.
    return Path(unquote(parts.path)).resolve()


def html_to_pdf(html: str, allowed_dirs: Iterable[Path]) -> bytes:
    """The PDF of the HTML; relative links resolve inside the first allowed folder."""
    folders = tuple(allowed_dirs)
    fetcher = TemplateOnlyFetcher(folders)
    document = HTML(string=html, base_url=folders[0].resolve().as_uri() + "/", url_fetcher=fetcher)
    pdf: bytes = document.write_pdf(pdf_variant=PDF_VARIANT, uncompressed_pdf=False)
    return pdf
