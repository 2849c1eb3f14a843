"""Value transforms between sheet cells and MXLIMS values, named by the site TOML files.

``parse`` turns a non-empty cell text into the MXLIMS value (raising :class:`CellError` with a
message meant for the user); ``render`` turns an MXLIMS value back into a cell and says what, if
anything, the cell cannot hold.
"""

from __future__ import annotations

import math
import re
from typing import Any

from . import space_group_numbers
from .fields import UNIT_CELL_PART, UNIT_CELL_PARTS, FieldSpec
from .sites import ColumnFormat
from .tabular import Cell

_TRUE = {"true", "yes", "y", "1", "t", "on"}
_FALSE = {"false", "no", "n", "0", "f", "off"}


class CellError(ValueError):
    """A cell value that cannot be converted; the message is shown to the user."""


def clean_float(x: float) -> float:
    """Round away binary noise from unit scaling (12.658 keV x 1000 -> 12658.0 eV)."""
    return float(f"{x:.12g}")


def _number(text: str, what: str = "a number") -> float:
    t = text.strip().replace("\u2212", "-")
    if "," in t and "." not in t and t.count(",") == 1:
        t = t.replace(",", ".")  # decimal comma from a European spreadsheet
    try:
        value = float(t)
    except ValueError:
        raise CellError(f"{text!r} is not {what}") from None
    if not math.isfinite(value):
        raise CellError(f"{text!r} is not {what}")
    return value


def _integer(text: str) -> int:
    value = _number(text, "a whole number")
    if not value.is_integer():
        raise CellError(f"{text!r} is not a whole number")
    return int(value)


def _check(col: ColumnFormat, spec: FieldSpec | None, sheet_value: float, value: float) -> None:
    unit = f" {col.unit}" if col.unit else ""
    if col.minimum is not None and sheet_value < col.minimum:
        raise CellError(f"{sheet_value:g}{unit} is below the plausible minimum {col.minimum:g}")
    if col.maximum is not None and sheet_value > col.maximum:
        raise CellError(f"{sheet_value:g}{unit} is above the plausible maximum {col.maximum:g}")
    if spec is not None:
        problem = spec.range_problem(value)
        if problem:
            raise CellError(f"{sheet_value:g}{unit} is out of range: {problem}")


def parse(col: ColumnFormat, spec: FieldSpec | None, text: str) -> Any:
    """The MXLIMS value of a non-empty cell (None: the cell means "no value", e.g. a false flag)."""
    if col.values is not None:  # pragma: no cover - a programming error
        raise AssertionError("controlled cells are read by open_terms.read_cell")
    t = col.transform
    if t in ("text", "letters_part"):
        return text
    if t == "digits_part":
        if not text.isdigit():
            raise CellError(f"{text!r} is not a number (digits only)")
        return text
    if t == "int":
        iv = _integer(text)
        _check(col, spec, iv, iv)
        return iv
    if t in ("float", "percent", "square_pair"):
        raw = text.strip()
        if t == "percent" and raw.endswith("%"):
            raw = raw[:-1]
        sheet_value = _number(raw)
        value = clean_float(sheet_value * col.scale) if col.scale else sheet_value
        if t == "square_pair":
            _check(col, UNIT_CELL_PART, sheet_value, value)  # items: exclusiveMinimum 0
            return [value, value]
        _check(col, spec, sheet_value, value)
        return value
    if t == "bool":
        return _bool(text)
    if t == "flag":
        return col.flag_value if _bool(text) else None
    if t in ("spacegroup", "spacegroup_number"):
        if t == "spacegroup_number" and re.fullmatch(r"\s*\d+(\.0*)?\s*", text):
            n = _integer(text)  # 5,000 digits: a float of infinity, refused as no number
            name = space_group_numbers.name_of(n)
            if name is None:
                raise CellError(f"{n} is not a space group number (1-230)")
            return name
        name = space_group_numbers.parse_name(text)
        if name is None:
            raise CellError(f"unknown space group {text!r}")
        return name
    if t == "unit_cell_six":
        parts = [p for p in re.split(r"[\s,;]+", text.strip()) if p]
        if len(parts) != 6:
            raise CellError(
                f"{text!r}: give six numbers a b c alpha beta gamma (found {len(parts)})"
            )
        cell: dict[str, float] = {}
        for part, raw in zip(UNIT_CELL_PARTS, parts, strict=True):
            v = _number(raw)
            problem = UNIT_CELL_PART.range_problem(v)
            if problem:
                raise CellError(f"unit cell {part} = {raw}: {problem}")
            cell[part] = v
        return cell
    if t == "smiles":
        return [{"smiles": text}]
    raise AssertionError(f"unhandled transform {t}")  # pragma: no cover - checked on load


def _bool(text: str) -> bool:
    key = text.strip().lower()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise CellError(f"{text!r} is not yes/no (true/false)")


def number_cell(value: float) -> int | float:
    """A float as a tidy cell value: 90.0 -> 90."""
    v = clean_float(value)
    return int(v) if v.is_integer() and abs(v) < 1e15 else v


def render(col: ColumnFormat, value: Any) -> tuple[Cell, str | None]:
    """(cell, reason the cell cannot hold the value or None) for an MXLIMS value."""
    t = col.transform
    if value is None:
        return None, None
    if col.values is not None:
        if not isinstance(value, str):
            return None, "not a text value"
        return col.values.to_spelling(value)
    if t in ("text", "letters_part", "digits_part"):
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return str(value), None
        return None, "not a text value"
    if t == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return value, None
        return None, "not an integer"
    if t in ("float", "percent"):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return number_cell(value / col.scale if col.scale else value), None
        return None, "not a number"
    if t == "square_pair":
        if (
            isinstance(value, list)
            and len(value) == 2
            and all(isinstance(v, int | float) for v in value)
        ):
            if math.isclose(value[0], value[1]):
                return number_cell(value[0] / col.scale if col.scale else value[0]), None
            return None, f"the sheet holds one beam diameter, not {value[0]} x {value[1]}"
        return None, "not a pair of numbers"
    if t == "bool":
        return (value, None) if isinstance(value, bool) else (None, "not yes/no")
    if t == "flag":
        if value == col.flag_value:
            return True, None
        return None, f"the sheet only has a yes/no flag for {col.flag_value!r}"
    if t == "spacegroup":
        name = space_group_numbers.parse_name(str(value))
        return (name, None) if name else (str(value), None)
    if t == "spacegroup_number":
        n = space_group_numbers.number_of(str(value))
        if n is None:
            return None, "unknown space group name"
        if value in space_group_numbers.ALTERNATIVE_SETTINGS:
            return n, f"a number cannot say the non-standard setting {value}"
        return n, None
    if t == "unit_cell_six":
        if isinstance(value, dict) and all(
            isinstance(value.get(p), int | float) for p in UNIT_CELL_PARTS
        ):
            return " ".join(str(number_cell(value[p])) for p in UNIT_CELL_PARTS), None
        return None, "incomplete unit cell"
    if t == "smiles":
        if (
            isinstance(value, list)
            and len(value) == 1
            and isinstance(value[0], dict)
            and set(value[0]) == {"smiles"}
        ):
            return str(value[0]["smiles"]), None
        return None, "the sheet holds one SMILES string, not these sample components"
    raise AssertionError(f"unhandled transform {t}")  # pragma: no cover


def render_extension(value: Any) -> tuple[Cell, str | None]:
    """An extension value (scalar) as a cell."""
    if value is None or isinstance(value, str | bool):
        return value, None
    if isinstance(value, int | float):
        return (number_cell(value) if isinstance(value, float) else value), None
    return None, "not a single value"


ACRONYM_WIDTH = 45  # ISPyB's Protein.acronym is varchar(45)


def acronym_note(col: ColumnFormat, name: Any, cell: Cell) -> str | None:
    """Why a protein name written into an acronym column (it stands in for an acronym none
    gave, e.g. from an SLS sheet, which has only a name) needs a look, or None."""
    if col.field != "Macromolecule.acronym" or name != cell or not isinstance(cell, str):
        return None
    if len(cell) <= ACRONYM_WIDTH and not any(c.isspace() for c in cell):
        return None
    return (
        f"the protein name {cell!r} stands in for the acronym (none was given): an acronym "
        f"column takes a short name without blanks (ISPyB's holds {ACRONYM_WIDTH} characters)"
    )
