"""A validation refused for what only a validation cannot do: a real deploy may pass.

"Test only deployment cannot update" is, in sfdx-hardis's deployment tips ("Can not test
item deployment in simulation mode", hardisgroupcom/sfdx-hardis
``docs/sf-deployment-assistant/Can-not-test-item-deployment-in-simulation-mode.md``), a
false positive of check-only deploys: "When effective deployment will happen, it should
pass". Recognised by those recorded words; the validation still failed (exit 1), and the
user is told a real deploy may succeed.
"""

from __future__ import annotations

from typing import Any

TEST_ONLY = "Test only deployment cannot update"


def validation_only_failures(result: Any) -> list[Any]:
    """The failures of a validation that only a validation meets."""
    if result is None or not result.check_only or result.success:
        return []
    return [f for f in result.failures if TEST_ONLY in f.problem]


def validation_only_note(result: Any, org: str) -> str | None:
    """What to say when a validation failed, wholly or partly, that way; else None."""
    only = validation_only_failures(result)
    if not only:
        return None
    files = ", ".join(sorted({f.file for f in only}))
    all_of_them = len(only) == len(result.failures)
    head = (
        "the validation failed only because it was a validation"
        if all_of_them
        else f"{len(only)} of the {len(result.failures)} failures are validation-only"
    )
    return (
        f"{head}: Salesforce answered '{TEST_ONLY}' for {files}, which sfdx-hardis's deployment"
        " tips list as a false positive of check-only deploys; a real deploy may succeed"
        + (
            f": totango-sf deploy --org {org} (with --yes on production)"
            if all_of_them
            else ", once the other failures are fixed"
        )
    )
