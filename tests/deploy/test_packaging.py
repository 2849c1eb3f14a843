"""One top-level package: the web layer installs as ``mxlims_store.api``; the core never
imports it."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WEB = ("fastapi", "starlette", "uvicorn", "mxlims_store.api", "api")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_web_layer_is_mxlims_store_api_through_a_symlink() -> None:
    link = ROOT / "mxlims_store" / "api"
    assert link.is_symlink() and link.resolve() == (ROOT / "api").resolve()


def test_the_library_core_never_imports_the_web_layer() -> None:
    offenders = []
    for path in (ROOT / "mxlims_store").rglob("*.py"):
        relative = path.relative_to(ROOT / "mxlims_store")
        if relative.parts[0] in ("api", "cli"):  # the web layer itself; the CLI serves it
            continue
        for name in _imports(path):
            if any(name == web or name.startswith(web + ".") for web in WEB):
                offenders.append(f"{relative}: {name}")
    assert offenders == []


def test_nothing_imports_a_top_level_api_package() -> None:
    offenders = []
    for folder in ("api", "mxlims_store", "tests", "bench"):
        for path in (ROOT / folder).rglob("*.py"):
            if "mxlims_store/api" in path.as_posix():
                continue  # the same files as api/, reached through the symlink
            for name in _imports(path):
                if name == "api" or name.startswith("api."):
                    offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert offenders == []
