"""The ledger stands on its own: it never imports the web application."""

import ast
from pathlib import Path

import ledger

FORBIDDEN = {"flask", "flask_login", "timebank", "api"}


def imported_packages(path: Path) -> set[str]:
    """Return the top-level packages a module imports by absolute name."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    packages = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            packages.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            packages.add(node.module.partition(".")[0])
    return packages


def test_no_ledger_module_imports_the_web_application() -> None:
    package = Path(ledger.__file__).parent
    modules = sorted(package.rglob("*.py"))
    assert modules, "found no ledger modules to check"
    offenders = {}
    for path in modules:
        forbidden = imported_packages(path) & FORBIDDEN
        if forbidden:
            offenders[str(path.relative_to(package.parent))] = sorted(forbidden)
    assert offenders == {}


def test_the_layer_check_sees_both_import_forms(tmp_path: Path) -> None:
    module = tmp_path / "module.py"
    module.write_text(
        "import flask.json\nfrom timebank.config import x\nfrom . import y\n"
    )
    assert imported_packages(module) == {"flask", "timebank"}
