"""The shape of the code the team agreed to keep (issue 13): one workflow engine moves every status,
templates ask it (and the access rules) instead of testing role and status names."""

import ast
import re
from pathlib import Path

import pytest

from portfolio.models import Base
from portfolio.models.records import record_types
from portfolio.services import policy, workflow

ROOT = Path(__file__).resolve().parents[1]
ENGINE = ROOT / "portfolio" / "services" / "workflow.py"
STATE_FIELDS = {"status", "stage"}


def _model_names() -> set[str]:
    return {mapper.class_.__name__ for mapper in Base.registry.mappers}


def _python_files():
    for folder in ("portfolio", "workers", "bench"):
        yield from (ROOT / folder).rglob("*.py")


def status_assignments(source: str) -> list[tuple[int, str]]:
    """Places in `source` that set a status or stage: `x.status = …` (also in a tuple), `setattr(x,
    "status", …)`, `Model(status=…)`, `.values(status=…)`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for target in targets:
            for element in (target.elts if isinstance(target, ast.Tuple) else [target]):
                if isinstance(element, ast.Attribute) and element.attr in STATE_FIELDS:
                    found.append((node.lineno, ast.unparse(element)))
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name == "setattr" and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant) \
                    and node.args[1].value in STATE_FIELDS:
                found.append((node.lineno, ast.unparse(node)))
            elif name in _model_names() or name in ("values", "update"):
                found += [(node.lineno, f"{name}({keyword.arg}=…)") for keyword in node.keywords
                          if keyword.arg in STATE_FIELDS]
    return found


def test_nothing_outside_the_workflow_engine_assigns_a_status_or_stage():
    offenders = [f"{path.relative_to(ROOT)}:{line}: {what}"
                 for path in _python_files() if path != ENGINE
                 for line, what in status_assignments(path.read_text())]
    assert offenders == [], "assign statuses through portfolio.services.workflow:\n" + "\n".join(offenders)


@pytest.mark.parametrize("source", [
    "claim.status = ClaimStatus.PAID",
    "claim.status, claim.paid_at = ClaimStatus.PAID, now",
    "setattr(case, 'stage', LipStage.LOST)",
    "Claim(award=award, status=ClaimStatus.DRAFT)",
    "Award(amount=amount, status=AwardStatus.APPROVED)",
    "session.execute(sa.update(Claim).values(status='paid'))",
])
def test_the_check_finds_each_way_of_assigning_a_status(source):
    assert status_assignments(source), source


def test_the_check_leaves_other_statuses_alone():
    """An HTTP status or a list's filter is not a record's status."""
    assert status_assignments("Filters(status=ApplicationStatus.DRAFT)\nresponse.status_code = 404") == []


def test_every_model_with_a_status_or_stage_has_a_workflow(app):
    stateful = {mapper.class_ for mapper in Base.registry.mappers
                if STATE_FIELDS & set(mapper.columns.keys()) and mapper.class_.__name__ != "LipStageChange"}
    assert stateful == set(workflow.MACHINES), stateful ^ set(workflow.MACHINES)


def test_every_record_type_has_an_access_rule(app):
    """A typed reference (a document's record, a file's owner) always names something with a rule.
    People are the exception: they are read through their organisation and the admin pages."""
    missing = [name for name, model in record_types().items() if model not in policy.RULES and name != "user"]
    assert missing == []


TEMPLATE_CHECKS = {
    "a role name": re.compile(r"role\.value|Role\.[A-Z]"),
    "a status or stage name": re.compile(r"\.(status|stage)(\.value)?\s*(==|!=|\bin\b|\bnot in\b|\bis\b)"),
    "a decision outcome": re.compile(r"\.outcome\s*(==|!=)"),
}


def test_templates_ask_the_engine_instead_of_testing_role_and_status_names():
    offenders = [f"{path.relative_to(ROOT)}:{number}: {what}"
                 for path in sorted((ROOT / "templates").rglob("*.*"))
                 for number, line in enumerate(path.read_text().splitlines(), start=1)
                 for what, pattern in TEMPLATE_CHECKS.items() if pattern.search(line)]
    assert offenders == [], "use can(), may(), allowed() or a model predicate:\n" + "\n".join(offenders)


@pytest.mark.parametrize("line", ["{% if current_user.role.value == 'finance' %}",
                                  "{% if claim.status.value == 'draft' %}", "{% if case.stage in stages %}",
                                  "{% if decision.outcome == 'approved' %}"])
def test_the_template_check_finds_role_and_status_names(line):
    assert any(pattern.search(line) for pattern in TEMPLATE_CHECKS.values())
