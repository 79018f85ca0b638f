"""Ed25519 keys the platform itself holds, generated once into the instance folder: the
transparency log's key and the trust-list operator key. Created with O_EXCL and mode 600, so
two workers starting together agree on one key and no other user can read it."""

from __future__ import annotations

import base64
import os
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def ed25519_key(instance: Path, name: str) -> Ed25519PrivateKey:
    """The key in `instance/name` (base64 of the raw 32 bytes), generated on first use."""
    path = instance / name
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        raw = Ed25519PrivateKey.generate().private_bytes_raw()
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(base64.b64encode(raw).decode())
    text = path.read_text(encoding="ascii").strip()
    if not text:  # another worker created the file and is writing it: a moment later it is
        text = _wait_for(path)
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(text))


def _wait_for(path: Path, attempts: int = 50) -> str:
    for _ in range(attempts):
        time.sleep(0.01)
        text = path.read_text(encoding="ascii").strip()
        if text:
            return text
    raise RuntimeError(f"{path} stays empty: remove it to generate a new key")
