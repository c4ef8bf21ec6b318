"""Reading a config file as YAML, refusing what plain ``yaml.safe_load`` lets through.

``safe_load`` is safe from code execution but not from mistakes or hostile files:
a repeated key silently keeps the last value, a 400-byte "billion laughs" alias
bomb expands into millions of nodes that every later walk (overlay merge, model
validation, JSON output) pays for, and a recursive alias builds a cycle. A file
that cannot be read as UTF-8, or that is a directory, is reported like any other
config problem instead of a traceback. Every refusal is a ``ConfigError`` naming
the file and, where there is one, the key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from tasks.totango_sf.config.errors import ConfigError
from tasks.totango_sf.errors import BadInput

# A real setup config has a few hundred nodes; anchors shared between org overlays
# may multiply that a little. Far below what an alias bomb needs to hurt.
MAX_EXPANDED_NODES = 20_000
MAX_ALIASES = 200
# A real config nests five or six levels deep. PyYAML composes and constructs nested
# collections recursively: a 1 KB file of ``[[[[...`` would exhaust Python's stack
# (RecursionError) there, or in every later walk of the data.
MAX_DEPTH = 64
# Larger than any sensible config; the file is read once and held in memory.
MAX_FILE_BYTES = 1_000_000

_MERGE_TAG = "tag:yaml.org,2002:merge"


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys and counts aliases while composing."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.alias_count = 0
        self.depth = 0

    def _deeper(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Refused(
                f"collections nested more than {MAX_DEPTH} levels deep",
                self.peek_event().start_mark,
            )

    def compose_sequence_node(self, anchor: Any) -> SequenceNode:
        self._deeper()
        try:
            return super().compose_sequence_node(anchor)
        finally:
            self.depth -= 1

    def compose_mapping_node(self, anchor: Any) -> MappingNode:
        self._deeper()
        try:
            return super().compose_mapping_node(anchor)
        finally:
            self.depth -= 1

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            self.alias_count += 1
            if self.alias_count > MAX_ALIASES:
                event = self.peek_event()
                raise _Refused(f"more than {MAX_ALIASES} aliases", event.start_mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            # '<<' merges are YAML's own way to reuse a mapping; keys they bring in may
            # be overridden, so only keys written out explicitly are checked.
            if key_node.tag == _MERGE_TAG or not isinstance(key_node, ScalarNode):
                continue
            key = self.construct_object(key_node)
            if key in seen:
                raise _Refused(
                    f"duplicate key {key!r} (first at line {seen[key].line + 1})",
                    key_node.start_mark,
                    key=str(key),
                )
            seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


class _Refused(BadInput, yaml.YAMLError):
    def __init__(self, problem: str, mark: Any, key: str | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = mark
        self.key = key


def expanded_size(root: Node) -> int:
    """Nodes the document holds once every alias is expanded; refuses cycles."""
    sizes: dict[int, int] = {}
    in_progress: set[int] = set()

    def size(node: Node) -> int:
        ident = id(node)
        if ident in sizes:
            return sizes[ident]
        if ident in in_progress:
            raise _Refused("a recursive alias (the node contains itself)", node.start_mark)
        in_progress.add(ident)
        total = 1
        if isinstance(node, SequenceNode):
            total += sum(size(child) for child in node.value)
        elif isinstance(node, MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        in_progress.discard(ident)
        sizes[ident] = total
        if total > MAX_EXPANDED_NODES:
            raise _Refused(
                f"aliases expand to more than {MAX_EXPANDED_NODES:,} nodes", node.start_mark
            )
        return total

    return size(root)


def read_text(path: Path) -> str:
    """The file as UTF-8 text, or a ConfigError saying why it cannot be read."""
    try:
        if path.is_dir():
            raise ConfigError(str(path), ["is a directory, not a YAML file"])
        if path.is_fifo() or path.is_socket():
            # Reading would wait for a writer that may never come.
            raise ConfigError(str(path), ["is a pipe or socket, not a YAML file"])
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(str(path), ["file not found"]) from None
    except OSError as exc:
        raise ConfigError(str(path), [f"cannot be read: {exc.strerror or exc}"]) from None
    if len(data) > MAX_FILE_BYTES:
        raise ConfigError(str(path), [f"is larger than {MAX_FILE_BYTES:,} bytes"])
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            str(path), [f"is not UTF-8 text (byte {exc.start}: {data[exc.start : exc.end]!r})"]
        ) from None


def load_yaml_text(text: str, source: str) -> Any:
    """Parse one YAML document strictly; the data, or a ConfigError."""
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        expanded_size(node)
        return loader.construct_document(node)
    except RecursionError:
        # Nesting the depth count above lets through (deep aliases): still a config error.
        raise ConfigError(source, ["refused: the document is nested too deeply"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown line"
        problem = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        if context and not isinstance(exc, _Refused):
            problem = f"{context}, {problem}"
        kind = "refused" if isinstance(exc, _Refused) else "YAML syntax error"
        key = getattr(exc, "key", None)
        prefix = f"{key}: " if key else ""
        raise ConfigError(source, [f"{prefix}{kind} at {where}: {problem}"]) from None
    finally:
        loader.dispose()


def read_yaml_mapping(path: Path) -> dict[str, Any]:
    """A config file's top-level mapping ({} for an empty file)."""
    data = load_yaml_text(read_text(path), str(path))
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            str(path), [f"the top level must be a mapping, not {type(data).__name__}"]
        )
    return data
