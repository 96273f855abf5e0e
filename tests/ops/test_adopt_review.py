"""adopt's review: a wanted value the offline plan invented is marked, as in the text plan."""

from __future__ import annotations

import json

from conftest import ROOT
from session_manager.offline.invented import INVENTED_MARK
from session_manager.offline.plan import run_plan
from session_manager.ops.adopt import ExistingDocument, review


def test_an_invented_key_id_is_marked_in_the_review() -> None:
    """The dev stack creates its session-data key: offline its id is made up by the mocks
    (offline/mocks.py), so the review must not present it as the id AWS will hold."""
    plan = run_plan(ROOT, "dev")
    document = plan.named("session-manager-us-east-1-document")
    wanted = json.loads(str(document.inputs["content"]))
    current = json.loads(str(document.inputs["content"]))
    current["inputs"]["kmsKeyId"] = "alias/console-key"
    current["inputs"]["idleSessionTimeout"] = "5"
    existing = [ExistingDocument(document, "us-east-1", None, current, wanted)]
    lines = review(existing, plan.invented).splitlines()
    key_line = next(line for line in lines if line.startswith("    inputs.kmsKeyId:"))
    assert wanted["inputs"]["kmsKeyId"] in plan.invented
    assert key_line.endswith(INVENTED_MARK)
    idle_line = next(line for line in lines if "inputs.idleSessionTimeout" in line)
    assert not idle_line.endswith(INVENTED_MARK)
    # Without the plan's invented values (a real run), nothing is marked.
    assert INVENTED_MARK not in review(existing)
