"""YAML for the files people write by hand (mapping.yaml, access.yaml), bounded so a file cannot blow up.

Why: YAML anchors and aliases let a few lines expand into billions of entries ("billion laughs"), and deep
nesting or a huge file costs memory before anything can be checked. Neither file needs anchors, aliases or
more than a few levels, so the parse stops at the first anchor or alias, at ``MAX_DEPTH`` levels, and a file
over ``MAX_BYTES`` is not read at all. One pass; nothing is built from what is refused.
"""

from __future__ import annotations

from pathlib import Path

import yaml

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 20


class YamlRefused(ValueError):
    """A YAML file outside the limits; ``line`` where the parser was (1-based), if known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class _BoundedLoader(yaml.SafeLoader):
    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        event = self.peek_event()
        line = event.start_mark.line + 1 if event.start_mark else None
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise YamlRefused("YAML-Anker und -Verweise (& und *) sind nicht erlaubt; bitte jeden Eintrag "
                              "ausschreiben", line)
        nested = isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent)
        if nested:
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise YamlRefused(f"mehr als {MAX_DEPTH} Ebenen verschachtelt", line)
        try:
            return super().compose_node(parent, index)
        finally:
            if nested:
                self._depth -= 1


def read_text(path: Path) -> str:
    """The file's text, refused unread when it is larger than ``MAX_BYTES``."""
    if Path(path).stat().st_size > MAX_BYTES:
        raise YamlRefused(f"größer als {MAX_BYTES // 1024} KB; eine solche Datei ist nie so groß")
    return Path(path).read_text(encoding="utf-8")


def load(text: str) -> object:
    """Parse one YAML document within the limits (``YamlRefused``; other errors as ``yaml.YAMLError``)."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise YamlRefused(f"größer als {MAX_BYTES // 1024} KB; eine solche Datei ist nie so groß")
    loader = _BoundedLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
