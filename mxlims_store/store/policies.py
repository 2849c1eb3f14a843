"""What an import does with uuids already stored, and the `find` query grammar in words.

Constants only, with no imports: the CLI names them in its help texts, which Typer builds
when the command line starts, so they must not pull in the store or the model.
"""

from __future__ import annotations

from typing import Literal

Policy = Literal["reject_new", "update_old", "merge", "error"]
POLICIES: tuple[Policy, ...] = ("reject_new", "update_old", "merge", "error")

GRAMMAR = (
    "`field=value`, `field!=value`, `field<value`, `field<=value`, `field>value`, "
    '`field>=value`, `field:in=[1,2]` (a JSON list: text quoted, `["a","b"]`), '
    "`field:nin=[...]`, `field:exists=true|false`; a field of the MXLIMS model (dots into a "
    "unit cell: `expectedUnitCell.a<80`; links by uuid: `containerId=<uuid>`); the value is "
    "read as the field's type; repeat for AND"
)
