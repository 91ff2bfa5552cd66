"""The span tree of one trace: spans and generations nested by parent id under the trace root (parent cycles
cut), walked depth-first without recursion, and the window of it a page shows (a depth cap and pages of rows)."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from typing import Any

from reviewapp.models import Trace, TraceEvent
from reviewapp.services.conversation import pretty_json
from reviewapp.services.numeric import finite_number

NODE_KINDS = {"$ai_trace": "trace", "$ai_span": "span", "$ai_generation": "generation", "$ai_embedding": "embedding"}
SIGNAL_EVENTS = ("$ai_metric", "$ai_feedback")
# A page nests the span tree this many levels below its top, and lists this many spans at a time: deeper levels
# open from their ancestor and later spans on the next page, so 10,000 spans stay a page of at most 200 rows.
TREE_DEPTH = 8
TREE_NODES = 200
# The review page paints this many rows of its span tree first; the rest of its rows come when scrolled to.
TREE_FIRST_PAINT = 15
LABEL_LENGTH = 255


@dataclass
class SpanNode:
    """A node of the span tree: the trace root, a span, a generation or an embedding. Its place in the tree comes
    from its event's columns; what a row shows of it (name, model, metrics, error) is read from the event's
    properties when a page first shows the node, so a tree of 500 spans of which a page lists 50 reads 50."""

    id: str
    kind: str
    event: TraceEvent | None = None
    parent_id: str | None = None
    timestamp: datetime | None = None
    # Left out of repr and ==: both would recurse down a chain of any depth.
    children: list[SpanNode] = field(default_factory=list, repr=False, compare=False)

    # Each is read once and kept; the root made from the trace's summary, or topped up from it, sets them.
    @cached_property
    def model(self) -> str | None:
        return _label(self._props.get("$ai_model"))

    @cached_property
    def name(self) -> str:
        return _label(self._props.get("$ai_span_name")) or self.model or self.kind

    @cached_property
    def provider(self) -> str | None:
        return _label(self._props.get("$ai_provider"))

    @cached_property
    def latency_seconds(self) -> float | None:
        return finite_number(self._props.get("$ai_latency"))

    @cached_property
    def input_tokens(self) -> int | None:
        return _integer(self._props.get("$ai_input_tokens"))

    @cached_property
    def output_tokens(self) -> int | None:
        return _integer(self._props.get("$ai_output_tokens"))

    @cached_property
    def total_cost_usd(self) -> float | None:
        props = self._props
        cost = finite_number(props.get("$ai_total_cost_usd"))
        if cost is None:
            parts = [finite_number(props.get("$ai_input_cost_usd")), finite_number(props.get("$ai_output_cost_usd"))]
            cost = sum(p for p in parts if p is not None) if any(p is not None for p in parts) else None
        return cost

    @cached_property
    def error(self) -> str | None:
        return _error_text(self._props.get("$ai_error"))

    @cached_property
    def is_error(self) -> bool:
        return bool(self._props.get("$ai_is_error")) or self.error is not None

    @cached_property
    def http_status(self) -> int | None:
        return _integer(self._props.get("$ai_http_status"))

    @property
    def _props(self) -> dict[str, Any]:
        return event_props(self.event) if self.event is not None else {}

    @cached_property
    def input_state(self) -> str | None:
        """Pretty JSON of a span's $ai_input_state: made when a page shows the span (once: the template reads it
        twice), not for every span."""
        return _state(self._props, "$ai_input_state")

    @cached_property
    def output_state(self) -> str | None:
        return _state(self._props, "$ai_output_state")

    def walk(self) -> Iterator[SpanNode]:
        """This node and every node below it, depth-first (parents before children, siblings in order),
        without recursion: a chain of spans may be nested thousands deep."""
        for node, _depth in preorder(self):
            yield node


def preorder(top: SpanNode) -> list[tuple[SpanNode, int]]:
    """The tree under `top` depth-first, each node with its depth below `top`; iterative, for any depth."""
    ordered: list[tuple[SpanNode, int]] = []
    stack = [(top, 0)]
    while stack:
        node, depth = stack.pop()
        ordered.append((node, depth))
        stack.extend((child, depth + 1) for child in reversed(node.children))
    return ordered


@dataclass
class TreeRow:
    """One node of the span tree as a page lists it: nested `depth` levels below the shown top, and how to
    close the nested lists after it (a page renders the tree in one loop, with no recursion)."""

    node: SpanNode
    depth: int
    opens: bool = False  # its children follow, one level deeper
    closes: int = 0  # nested levels that end after it
    deeper: int = 0  # spans below it left out at the depth cap: "open the deeper levels from here"


@dataclass
class TreeView:
    """The part of the span tree a page shows: the spans at most TREE_DEPTH levels below `top`, TREE_NODES at a
    time from `start` (in depth-first order). Deeper levels open from their ancestor (the page focused on it);
    `path` leads back up to the root."""

    top: SpanNode
    path: list[SpanNode]  # the ancestors of `top`, root first
    rows: list[TreeRow]
    total: int  # spans under `top`, itself included
    listed: int  # of those, the ones within TREE_DEPTH levels: the rows of every page together
    start: int  # where `rows` starts among them

    @property
    def lead(self) -> int:
        """Levels to open before the first row: a later page can start inside a subtree."""
        return self.rows[0].depth

    @property
    def next_start(self) -> int | None:
        end = self.start + len(self.rows)
        return end if end < self.listed else None

    @property
    def previous_start(self) -> int | None:
        return max(self.start - TREE_NODES, 0) if self.start else None

    def head(self, count: int) -> list[TreeRow]:
        """The first `count` rows, every nested list they open closed after the last: the review page paints
        these, then fetches the others (indented from the same top, see tree_view's `base`)."""
        rows = [replace(row) for row in self.rows[:count]]
        _nest(rows)
        return rows


def tree_view(root: SpanNode, focus: str | None = None, start: int = 0, size: int = TREE_NODES,
              base: int | None = None) -> TreeView:
    """The rows a page shows of the tree under the node `focus` (a span id; the root when absent or unknown),
    `size` of them from the `start`th listed span on, indented from the `base`th level below `focus` (by default
    the page's own top level: a later page may start deep and climb)."""
    parents: dict[int, SpanNode] = {}
    top = root
    for node, _depth in preorder(root):
        for child in node.children:
            parents[id(child)] = node
        if focus is not None and top is root and node.id == focus:
            top = node
    path: list[SpanNode] = []
    current = parents.get(id(top))
    while current is not None:
        path.append(current)
        current = parents.get(id(current))
    path.reverse()

    nodes = preorder(top)
    sizes = {id(node): 1 for node, _depth in nodes}
    for node, _depth in reversed(nodes):
        if node is not top:
            sizes[id(parents[id(node)])] += sizes[id(node)]
    listed = [(node, depth) for node, depth in nodes if depth <= TREE_DEPTH]
    start = min(max(start, 0), len(listed) - 1)
    page = listed[start:start + size]
    top_level = min(depth for _node, depth in page)
    base = top_level if base is None else min(base, top_level)
    rows = [TreeRow(node, depth - base, deeper=sizes[id(node)] - 1 if depth == TREE_DEPTH else 0)
            for node, depth in page]
    _nest(rows)
    return TreeView(top=top, path=path, rows=rows, total=len(nodes), listed=len(listed), start=start)


def _nest(rows: list[TreeRow]) -> None:
    """Where each row opens a nested list for the rows after it, or closes lists (all of them after the last)."""
    for row, after in zip(rows, rows[1:] + [None], strict=True):
        next_depth = after.depth if after else 0
        row.opens = next_depth > row.depth
        row.closes = 0 if row.opens else row.depth - next_depth


def event_props(event: TraceEvent) -> dict[str, Any]:
    """An event's properties, or none when they are not an object."""
    return event.properties if isinstance(event.properties, dict) else {}


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


def _label(value: Any) -> str | None:
    """A name as the tree shows it: ids and names are stored up to 255 characters, so a label is too (the whole
    value stays in the raw event)."""
    text = _text(value)
    return text[:LABEL_LENGTH] if text else None


def _integer(value: Any) -> int | None:
    number = finite_number(value)
    return None if number is None else int(number)


def node_id(event: TraceEvent) -> str:
    """A span's own id: its `$ai_span_id`, else the event's uuid (generations often carry no span id)."""
    return event.span_id or _text(event_props(event).get("$ai_span_id")) or event.uuid


def _error_text(value: Any) -> str | None:
    if value is None or value is False or value == "":
        return None
    return value if isinstance(value, str) else pretty_json(value)


def _state(props: dict[str, Any], key: str) -> str | None:
    return pretty_json(props[key]) if props.get(key) is not None else None


def _node(event: TraceEvent) -> SpanNode:
    """A node's place in the tree (what a row shows is read when it is shown)."""
    props = event_props(event)
    return SpanNode(
        id=node_id(event),
        kind=NODE_KINDS.get(event.event, event.event.removeprefix("$ai_")),
        event=event,
        parent_id=event.parent_id or _text(props.get("$ai_parent_id")),
        timestamp=event.timestamp,
    )


def event_node(event: TraceEvent) -> SpanNode:
    """One event as the span tree shows it (without its place in the tree): the review page opens a span's
    body on demand from this."""
    return _node(event)


def build_tree(trace: Trace, events: list[TraceEvent]) -> SpanNode:
    """Nest spans and generations by `$ai_parent_id` → `$ai_span_id` under the trace root (the `$ai_trace`
    event, or a root made from the summary). A missing parent, or a parent cycle, hangs a node under the
    root; siblings keep the events' timestamp order."""
    root_event = next((e for e in events if e.event == "$ai_trace"), None)
    if root_event is not None:
        root = _node(root_event)
        root.name = _label(event_props(root_event).get("$ai_span_name")) or trace.name or trace.trace_id
    else:
        root = SpanNode(id=trace.trace_id, kind="trace", timestamp=trace.first_timestamp)
        root.name = trace.name or trace.trace_id
        root.is_error = trace.has_error
    # The root shows the trace's totals where its own event does not carry them.
    root.kind = "trace"
    root.parent_id = None
    if root.latency_seconds is None:
        root.latency_seconds = trace.latency_seconds
    if root.input_tokens is None:
        root.input_tokens = trace.input_tokens
    if root.output_tokens is None:
        root.output_tokens = trace.output_tokens
    if root.total_cost_usd is None:
        root.total_cost_usd = trace.total_cost_usd

    nodes = [_node(e) for e in events if e is not root_event and e.event not in SIGNAL_EVENTS]
    by_id: dict[str, SpanNode] = {}
    for node in nodes:
        by_id.setdefault(node.id, node)
    by_id[trace.trace_id] = root
    by_id[root.id] = root

    parent_of: dict[int, SpanNode] = {}
    for node in nodes:
        parent = by_id.get(node.parent_id) if node.parent_id else None
        parent_of[id(node)] = root if parent is None or parent is node else parent
    # Cut parent cycles: follow each chain up once, colouring nodes, so a chain 10,000 deep costs 10,000 steps
    # (not 10,000 per node). A node met again on the current walk closes a cycle and hangs under the root.
    done: set[int] = set()
    for node in nodes:
        walk: set[int] = set()
        current = node
        while current is not root and id(current) not in done:
            if id(current) in walk:
                parent_of[id(current)] = root
                break
            walk.add(id(current))
            current = parent_of[id(current)]
        done |= walk
    for node in nodes:
        parent_of[id(node)].children.append(node)
    return root

