"""What the command line accepts: its flags' values, checked before a command runs, and
the files it writes, so a bad path ends in one line naming the flag, never a traceback."""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path
from urllib.parse import urlsplit


def endpoint_url(value: str) -> str:
    """--endpoint-url: an http(s) URL with a host, as botocore needs it."""
    parsed = urlsplit(value)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an endpoint URL; use http(s)://HOST[:PORT], "
            "e.g. http://127.0.0.1:5000"
        )
    return value


def stack_name(value: str) -> str:
    """--stack: a name Pulumi accepts, so it is never read as a path (`../x`)."""
    # pulumi/pulumi sdk/go/common/tokens: a stack name is alphanumerics, '-', '_' and '.'.
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", value) or value in (".", ".."):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a stack name; Pulumi stack names hold only letters, digits, "
            "'-', '_' and '.' (the file read is Pulumi.<stack>.yaml)"
        )
    return value


def readable_file(value: str) -> str:
    """A file argument the command reads: it must be a file that is there and readable."""
    path = Path(value)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{value!r} is a folder; name a file")
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"{value!r}: no such file")
    if not os.access(path, os.R_OK):
        raise argparse.ArgumentTypeError(f"{value!r} cannot be read (permission denied)")
    return value


def writable_file(value: str) -> str:
    """A file argument the command writes: a file (or none yet) in a folder that exists."""
    path = Path(value)
    if not value or path.is_dir():
        raise argparse.ArgumentTypeError(f"{value!r} is a folder; name a file to write")
    folder = path.parent
    if not folder.is_dir():
        raise argparse.ArgumentTypeError(
            f"{value!r}: the folder {str(folder)!r} does not exist; create it first"
        )
    if (path.exists() and not os.access(path, os.W_OK)) or not os.access(folder, os.W_OK):
        raise argparse.ArgumentTypeError(f"{value!r} cannot be written (permission denied)")
    return value


def write_text(flag: str, path: Path, text: str) -> str | None:
    """Write a file argument; None, or the one-line reason it could not be written."""
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        return f"{flag} {path}: cannot write it: {exc.strerror or exc}"
    return None
