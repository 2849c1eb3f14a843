"""The 230 crystallographic space groups: International Tables number <-> Hermann-Mauguin name.

MXLIMS stores space groups as Hermann-Mauguin names (the ``SpaceGroupName`` enumeration, whose
canonical spelling is the compact short symbol, e.g. ``P212121``); some facility sheets use the
International Tables number instead (SLS: 19). :func:`parse_name` accepts the spellings people
write (``P 21 21 21``, ``p212121``, full monoclinic symbols such as ``P 1 21 1``, ``H3`` for the
hexagonal setting of ``R3``, full symbols such as ``P 21/b 21/c 21/a``) and returns the canonical
short symbol, which is what the importer stores.
"""

from __future__ import annotations

import re

# Index i holds the short symbol of space group number i + 1 (International Tables, vol. A).
SHORT_SYMBOLS: tuple[str, ...] = (
    # triclinic 1-2
    "P1", "P-1",
    # monoclinic 3-15
    "P2", "P21", "C2", "Pm", "Pc", "Cm", "Cc", "P2/m", "P21/m", "C2/m", "P2/c", "P21/c", "C2/c",
    # orthorhombic 16-74
    "P222", "P2221", "P21212", "P212121", "C2221", "C222", "F222", "I222", "I212121",
    "Pmm2", "Pmc21", "Pcc2", "Pma2", "Pca21", "Pnc2", "Pmn21", "Pba2", "Pna21", "Pnn2",
    "Cmm2", "Cmc21", "Ccc2", "Amm2", "Abm2", "Ama2", "Aba2", "Fmm2", "Fdd2", "Imm2", "Iba2",
    "Ima2", "Pmmm", "Pnnn", "Pccm", "Pban", "Pmma", "Pnna", "Pmna", "Pcca", "Pbam", "Pccn",
    "Pbcm", "Pnnm", "Pmmn", "Pbcn", "Pbca", "Pnma", "Cmcm", "Cmca", "Cmmm", "Cccm", "Cmma",
    "Ccca", "Fmmm", "Fddd", "Immm", "Ibam", "Ibca", "Imma",
    # tetragonal 75-142
    "P4", "P41", "P42", "P43", "I4", "I41", "P-4", "I-4", "P4/m", "P42/m", "P4/n", "P42/n",
    "I4/m", "I41/a", "P422", "P4212", "P4122", "P41212", "P4222", "P42212", "P4322", "P43212",
    "I422", "I4122", "P4mm", "P4bm", "P42cm", "P42nm", "P4cc", "P4nc", "P42mc", "P42bc", "I4mm",
    "I4cm", "I41md", "I41cd", "P-42m", "P-42c", "P-421m", "P-421c", "P-4m2", "P-4c2", "P-4b2",
    "P-4n2", "I-4m2", "I-4c2", "I-42m", "I-42d", "P4/mmm", "P4/mcc", "P4/nbm", "P4/nnc",
    "P4/mbm", "P4/mnc", "P4/nmm", "P4/ncc", "P42/mmc", "P42/mcm", "P42/nbc", "P42/nnm",
    "P42/mbc", "P42/mnm", "P42/nmc", "P42/ncm", "I4/mmm", "I4/mcm", "I41/amd", "I41/acd",
    # trigonal 143-167
    "P3", "P31", "P32", "R3", "P-3", "R-3", "P312", "P321", "P3112", "P3121", "P3212", "P3221",
    "R32", "P3m1", "P31m", "P3c1", "P31c", "R3m", "R3c", "P-31m", "P-31c", "P-3m1", "P-3c1",
    "R-3m", "R-3c",
    # hexagonal 168-194
    "P6", "P61", "P65", "P62", "P64", "P63", "P-6", "P6/m", "P63/m", "P622", "P6122", "P6522",
    "P6222", "P6422", "P6322", "P6mm", "P6cc", "P63cm", "P63mc", "P-6m2", "P-6c2", "P-62m",
    "P-62c", "P6/mmm", "P6/mcc", "P63/mcm", "P63/mmc",
    # cubic 195-230
    "P23", "F23", "I23", "P213", "I213", "Pm-3", "Pn-3", "Fm-3", "Fd-3", "Im-3", "Pa-3", "Ia-3",
    "P432", "P4232", "F432", "F4132", "I432", "P4332", "P4132", "I4132", "P-43m", "F-43m",
    "I-43m", "P-43n", "F-43c", "I-43d", "Pm-3m", "Pn-3n", "Pm-3n", "Pn-3m", "Fm-3m", "Fm-3c",
    "Fd-3m", "Fd-3c", "Im-3m", "Ia-3d",
)  # fmt: skip

assert len(SHORT_SYMBOLS) == 230

_NUMBER_BY_KEY: dict[str, int] = {name.lower(): i + 1 for i, name in enumerate(SHORT_SYMBOLS)}

# Non-standard settings that the SpaceGroupName enumeration lists by name; they keep their
# spelling (the setting is information) and share the number of the standard setting.
ALTERNATIVE_SETTINGS: dict[str, int] = {"P2212": 17, "P2122": 17, "P21221": 18, "P22121": 18}
_ALTERNATIVE_BY_KEY = {name.lower(): name for name in ALTERNATIVE_SETTINGS}

# Successive rewrites of a compact lower-case spelling towards the short symbol; after each one
# the result is looked up again.
_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^h"), "r"),  # hexagonal axes of a rhombohedral group: H3 -> R3
    (re.compile(r"^([pcabifr])1(.+)1$"), r"\1\2"),  # monoclinic full symbol: P1211 -> P21
    (re.compile(r"(?<=[a-z])21?/"), ""),  # 2/m, 21/b after a letter: P21/b21/c21/a -> Pbca
    (re.compile(r"-3(1?)2/"), r"-3\1"),  # P-32/m1 -> P-3m1, P-312/c -> P-31c
    (re.compile(r"^([pfi])4[123]?/(?=.*-3)"), r"\1"),  # cubic: P4/m-3m -> Pm-3m
)


def parse_name(name: str) -> str | None:
    """Compact Hermann-Mauguin symbol for a spelling (or an IT number 1-230), or None.

    Standard settings come back as the short symbol of their number; the alternative settings
    in :data:`ALTERNATIVE_SETTINGS` keep their (compact) spelling.
    """
    key = re.sub(r"\s+", "", name).lower()
    if not key:
        return None
    if key.isdigit():  # "²" is a digit to isdigit yet no number; 5,000 digits no IT number
        return name_of(int(key)) if key.isascii() and len(key) <= 3 else None
    if key in _ALTERNATIVE_BY_KEY:
        return _ALTERNATIVE_BY_KEY[key]
    if key in _NUMBER_BY_KEY:
        return SHORT_SYMBOLS[_NUMBER_BY_KEY[key] - 1]
    for pattern, replacement in _REWRITES:
        key = pattern.sub(replacement, key)
        if key in _NUMBER_BY_KEY:
            return SHORT_SYMBOLS[_NUMBER_BY_KEY[key] - 1]
    return None


def number_of(name: str) -> int | None:
    """International Tables number of a space-group name (any common spelling), or None."""
    canonical = parse_name(name)
    if canonical is None:
        return None
    return ALTERNATIVE_SETTINGS.get(canonical) or _NUMBER_BY_KEY[canonical.lower()]


def name_of(number: int) -> str | None:
    """Short Hermann-Mauguin symbol of International Tables number 1-230, or None."""
    return SHORT_SYMBOLS[number - 1] if 1 <= number <= 230 else None
