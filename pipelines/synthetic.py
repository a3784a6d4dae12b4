"""Which exports are synthetic: the marker ``steering sample`` writes and the check the loader makes.

Why a manifest of checksums and not a flag: demo mode (no login) may only show
a database loaded from invented persons. A bare flag file could be copied into
a folder of real exports, or stay behind when someone overwrites the sample's
files with real ones. The manifest lists every file the generator wrote with
its SHA-256; a load counts as synthetic only when every file it read (and its
mapping) is listed with the same checksum. Anything else, including a missing
or unreadable manifest, counts as real data, so demo mode refuses it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

MANIFEST = "steering-sample.json"
_MAX_MANIFEST_BYTES = 1024 * 1024


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def mark(folder: Path, generator: str = "steering sample", **details: object) -> Path:
    """Write the manifest over every regular file now in ``folder`` (not into subfolders)."""
    folder = Path(folder)
    files = {p.name: _sha256(p) for p in sorted(folder.iterdir())
             if p.is_file() and not p.is_symlink() and p.name != MANIFEST}
    manifest = {"synthetic": True, "generator": generator, **details, "files": files}
    path = folder / MANIFEST
    path.write_text(json.dumps(manifest, indent=1, sort_keys=True, default=str) + "\n", encoding="utf-8")
    return path


def _manifest(folder: Path) -> dict[str, str] | None:
    path = Path(folder) / MANIFEST
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > _MAX_MANIFEST_BYTES:
            return None
        parsed = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(parsed, dict) or parsed.get("synthetic") is not True or not isinstance(parsed.get("files"), dict):
        return None
    return {str(k): str(v) for k, v in parsed["files"].items()}


def is_synthetic(folder: Path, checksums: dict[str, str], mapping: Path | None = None) -> bool:
    """True when ``folder``'s manifest lists every file read (name -> SHA-256) and the mapping unchanged.

    ``checksums`` are the ones the reader computed while loading, so the check
    judges exactly the bytes that were loaded.
    """
    listed = _manifest(folder)
    if not listed or not checksums:
        return False
    folder = Path(folder).resolve()
    for name, sha in checksums.items():
        if listed.get(name) != sha:
            return False
    if mapping is not None:
        mapping = Path(mapping)
        if mapping.resolve().parent != folder or listed.get(mapping.name) != _sha256(mapping):
            return False
    return True
