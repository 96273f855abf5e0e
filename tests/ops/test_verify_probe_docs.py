"""The docs call verify read-only; against an emulator it writes one probe document.

ops/emulate_jit.py emulator_refusal creates a throwaway AutoApprovalPolicy and deletes it
to learn whether the emulator takes the just-in-time document types: the verify page
must say so where it calls verify read-only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from session_manager.ops.emulate_jit import emulator_refusal

DOCS = Path(__file__).resolve().parents[2] / "docs" / "verify-adopt-emulate.md"


class _Meta:
    def __init__(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url


class _RecordingSsm:
    def __init__(self, endpoint_url: str = "http://127.0.0.1:5000") -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.meta = _Meta(endpoint_url)

    def create_document(self, **kwargs: Any) -> None:
        self.calls.append(("create_document", kwargs))

    def delete_document(self, **kwargs: Any) -> None:
        self.calls.append(("delete_document", kwargs))


def test_the_verify_page_says_what_the_probe_writes() -> None:
    ssm = _RecordingSsm()
    assert emulator_refusal(ssm) is None
    (create, created), (delete, deleted) = ssm.calls
    assert (create, delete) == ("create_document", "delete_document")
    assert created["Name"] == deleted["Name"]
    prefix = created["Name"].rsplit("-", 1)[0]
    read_only = DOCS.read_text().split("### verify", 1)[1].split("###", 1)[0]
    assert "read-only" in read_only
    assert f"`{prefix}-<random>`" in read_only
    assert f"`{created['DocumentType']}` document" in read_only


def test_an_endpoint_off_this_machine_is_never_written_to() -> None:
    """`--endpoint-url` may name a real SSM endpoint (a VPC endpoint, a proxy): the probe
    would create an AutoApprovalPolicy in a live account, where AWS allows one per
    account-Region. Only a loopback endpoint is probed."""
    for url in ("https://ssm.us-east-1.amazonaws.com", "https://vpce-0a1b.ssm.example.internal"):
        ssm = _RecordingSsm(url)
        assert emulator_refusal(ssm) is None
        assert ssm.calls == []
    for url in ("http://localhost:5000", "http://[::1]:5000", "http://127.0.0.2:5000"):
        ssm = _RecordingSsm(url)
        emulator_refusal(ssm)
        assert [name for name, _ in ssm.calls] == ["create_document", "delete_document"]
