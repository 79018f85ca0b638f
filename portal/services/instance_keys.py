"""Ed25519 keys the platform itself holds, generated once into the instance folder: the
transparency log's key and the trust-list operator key. Created with O_EXCL and mode 600, so
two workers starting together agree on one key and no other user can read it."""

from __future__ import annotations

import base64
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from portal.instance_files import secret_file


def ed25519_key(instance: Path, name: str) -> Ed25519PrivateKey:
    """The key in `instance/name` (base64 of the raw 32 bytes), generated on first use."""
    text = secret_file(instance / name, lambda: base64.b64encode(
        Ed25519PrivateKey.generate().private_bytes_raw()).decode())
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(text))
