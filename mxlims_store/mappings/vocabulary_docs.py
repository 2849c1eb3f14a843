"""The vocabulary tables of ``README.md``, written from ``vocabularies.py`` and the site files.

    python -m mxlims_store.mappings.vocabulary_docs            # print them
    python -m mxlims_store.mappings.vocabulary_docs --write    # replace them in README.md

A test checks that the README holds exactly this text, so the tables cannot drift from the
files they describe.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .ispyb_terms import EXPERIMENT_KINDS
from .site_registry import list_sites
from .sites import ColumnFormat, SiteFormat
from .vocabularies import UNKNOWN_VALUES, VOCABULARIES, Vocabulary

README = Path(__file__).with_name("README.md")
BEGIN = "<!-- vocabulary tables: python -m mxlims_store.mappings.vocabulary_docs -->"
END = "<!-- end of vocabulary tables -->"


def _table(vocabulary: Vocabulary, sites: list[SiteFormat]) -> list[str]:
    used: list[tuple[SiteFormat, ColumnFormat]] = [
        (site, col)
        for site in sites
        for col in site.columns
        if col.field == vocabulary.field and col.values is not None
    ]
    lines = [
        f"**{vocabulary.name.capitalize()}** → `{vocabulary.field}`. Unlisted value at import: "
        f"{UNKNOWN_VALUES}, because {vocabulary.unknown_why}.",
        "",
        "| canonical term | meaning | "
        + " | ".join(f"{site.code}: `{col.header}`" for site, col in used)
        + " |",
        "|" + "---|" * (2 + len(used)),
    ]
    for term, meaning in vocabulary.terms.items():
        cells = []
        for _, col in used:
            assert col.values is not None
            spellings = [s for s, t in col.values.pairs if t == term]
            cells.append(", ".join(f"`{s}`" for s in spellings) or "—")
        lines.append(f"| `{term}` | {meaning} | " + " | ".join(cells) + " |")
    ispyb = [site.code for site, col in used if col.ispyb]
    if ispyb:
        kinds = ", ".join(f"`{k}`" for k in EXPERIMENT_KINDS)
        lines += [
            "",
            f"Facilities that run ISPyB ({', '.join(ispyb)}: `ispyb = true`) also know every kind "
            f"of ISPyB's experimentKind enumeration (`ispyb_terms.py`), written as ISPyB spells "
            f"it: {kinds}. A kind that spells a canonical term is that term (`MXScore` means "
            "`Characterisation`); the others are stored as they are.",
        ]
    without = [site.code for site in sites if not site.maps(*vocabulary.field.split("."))]
    if without:
        lines += ["", f"Sheets without such a column: {', '.join(without)}."]
    return lines


def markdown() -> str:
    """One table per vocabulary: canonical terms (rows) and each facility's spellings."""
    sites = list_sites()
    lines = [BEGIN, ""]
    for vocabulary in VOCABULARIES.values():
        lines += [*_table(vocabulary, sites), ""]
    lines.append(END)
    return "\n".join(lines) + "\n"


def write_readme(path: Path = README) -> None:
    """Replace the text between :data:`BEGIN` and :data:`END` in the README."""
    text = path.read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END) + 1
    path.write_text(text[:start] + markdown() + text[end:], encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover - a maintainer's helper
    if "--write" in sys.argv[1:]:
        write_readme()
    else:
        print(markdown(), end="")
