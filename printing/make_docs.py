"""Writes the slip previews shown in the README: `python -m printing.make_docs docs/slips`.

Three slips in three languages, with sample data, as an 80 mm printer of the "default"
profile prints them (text in its code pages, QR codes native).
"""

from __future__ import annotations

import sys
from pathlib import Path

from flows.conversations.slips import SLIP_KINDS
from flows.engine.messages import LANGUAGES
from printing.capabilities import capabilities
from printing.layout import Geometry
from printing.preview import preview_png
from printing.samples import sample_document


def write_previews(folder: Path, paper_mm: int = 80, profile: str = "default") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    caps, geo = capabilities(profile), Geometry.for_paper(paper_mm)
    written: list[Path] = []
    for kind in SLIP_KINDS:
        for language in LANGUAGES:
            path = folder / f"{kind}-{language}.png"
            path.write_bytes(preview_png(sample_document(kind, language), caps, geo))
            written.append(path)
    return written


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        sys.stderr.write("usage: python -m printing.make_docs <folder>\n")
        return 2
    for path in write_previews(Path(argv[0])):
        sys.stdout.write(f"{path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
