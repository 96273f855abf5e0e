"""The data files the installed botocore ships, read as JSON without importing botocore.

botocore's `data/` holds `partitions.json` (what its endpoint resolver reads) and one
`<service>/<api version>/service-2.json` per service (the shapes its validator checks
requests against). Reading them as data keeps the pure layers free of the SDK, and
every limit derived from them moves with the installed botocore.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
from functools import cache
from pathlib import Path
from typing import Any


def _data_dir() -> Path:
    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("botocore is not installed; it ships the AWS service data")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def load_data_file(relative: str) -> Any:
    """One JSON file under botocore's data/ (plain or .gz)."""
    data = _data_dir()
    for candidate in (data / relative, data / f"{relative}.gz"):
        if candidate.is_file():
            raw = candidate.read_bytes()
            return json.loads(gzip.decompress(raw) if candidate.suffix == ".gz" else raw)
    raise RuntimeError(f"botocore ships no data/{relative} in {data}")


@cache
def service_shapes(service: str) -> dict[str, dict[str, Any]]:
    """The `shapes` of a service's newest API version, as botocore's loader picks it."""
    versions = sorted(p.name for p in (_data_dir() / service).iterdir() if p.is_dir())
    if not versions:
        raise RuntimeError(f"botocore ships no model for {service}")
    model: dict[str, Any] = load_data_file(f"{service}/{versions[-1]}/service-2.json")
    return model["shapes"]
