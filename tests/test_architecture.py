"""The house rules that import-linter cannot see (docs/architecture.md); `lint-imports` checks the rest."""

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ["bookings", "config", "home", "resources"]
PURE = ["bookings/availability.py", "bookings/zones.py", "bookings/calendars/ical.py"]


def project_files():
    for package in PROJECT:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path


def calls(path: Path):
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            yield node.func.attr, node


def test_no_app_registry_lookup_hides_an_import():
    found = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in project_files()
        for name, node in calls(path)
        if name == "get_model"
    ]
    assert not found, f"apps.get_model used to dodge an import: {found}"


def test_pure_modules_never_read_the_clock():
    clock = {"now", "today", "utcnow", "time", "monotonic"}
    found = [
        f"{name}() at {path}:{node.lineno}"
        for path in PURE
        for name, node in calls(ROOT / path)
        if name in clock
    ]
    assert not found, f"pure modules read the clock: {found}"


def test_no_function_local_import_of_project_code():
    """Imports of our own packages sit at the top of a module, where import-linter and a reader see
    them; one inside a function is how an upward edge gets hidden. (AppConfig.ready() importing
    its own signal handlers is Django's documented pattern, and stays inside its own app.)"""
    found = []
    for path in project_files():
        tree = ast.parse(path.read_text(), filename=str(path))
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if func.name == "ready" and path.name == "apps.py":
                continue  # AppConfig.ready() connecting its own app's signal handlers
            for node in ast.walk(func):
                if (
                    isinstance(node, ast.ImportFrom)
                    and (node.level or (node.module or "").split(".")[0] in PROJECT)
                    or isinstance(node, ast.Import)
                    and any(a.name.split(".")[0] in PROJECT for a in node.names)
                ):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found, f"function-local imports of project code: {found}"


def test_every_core_module_is_bound_by_the_no_room_contract():
    """The contract "The core never imports a room or the demo" lists the core's modules by name
    (import-linter has no "everything but"); a module added to the core must join the list."""
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    (contract,) = [c for c in contracts if c["name"] == "The core never imports a room or the demo"]
    rooms = {name.removeprefix("bookings.") for name in contract["forbidden_modules"]}
    core = {
        path.stem if path.is_file() else path.name
        for path in (ROOT / "bookings").iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").exists()
    } - rooms
    listed = {name.removeprefix("bookings.") for name in contract["source_modules"]}
    assert sorted(core - listed) == [], "core modules missing from the contract in pyproject.toml"
