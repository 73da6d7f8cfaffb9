r"""QBO's query language: parse a SELECT and run it over stored objects.

Grammar (keywords, entity and property names case-insensitive)::

    SELECT * | COUNT(*) | prop[, prop...] FROM Entity
      [WHERE cond [AND cond]...]
      [ORDERBY prop [ASC|DESC][, ...]]
      [STARTPOSITION n] [MAXRESULTS n]
    cond := prop (= | < | > | <= | >= | != ) value | prop IN (value, ...) | prop LIKE 'text%'
    value := 'quoted (\\' escapes)' | number | true | false

Reference properties compare their ``value`` (``CustomerRef = '58'``);
dotted paths reach nested properties (``MetaData.LastUpdatedTime``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from itertools import islice
from typing import Any

import attrs

from qbo_sync.testing._fake import _core_faults as faults
from qbo_sync.testing._fake._core_schema import KNOWN_FIELDS
from qbo_sync.testing._fake._core_time import parse_instant
from qbo_sync.testing._fake._entities import EntitySpec, spec_for

__all__ = [
    "Condition",
    "Query",
    "lookup_keys",
    "parse_query",
    "project",
    "run_query",
    "sorted_matches",
]

MAX_RESULTS = 1000
#: Property names by their lower-case spelling, per entity (query names are case-insensitive).
_FIELDS_BY_LOWER = {
    entity: {field.lower(): field for field in fields} for entity, fields in KNOWN_FIELDS.items()
}
DEFAULT_RESULTS = 100
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>'(?:[^'\\]|\\.)*')
      | (?P<op><=|>=|!=|<>|=|<|>)
      | (?P<punct>[(),*])
      | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
      | (?P<num>-?\d+(?:\.\d+)?)
    )""",
    re.VERBOSE,
)
_KEYWORDS = (
    "select",
    "from",
    "where",
    "and",
    "orderby",
    "order",
    "by",
    "startposition",
    "maxresults",
    "asc",
    "desc",
    "in",
    "like",
    "count",
    "or",
)


@attrs.frozen
class Condition:
    """One ``prop op value`` test of a WHERE clause."""

    path: tuple[str, ...]
    op: str
    values: tuple[object, ...]


@attrs.frozen
class Query:
    """A parsed query."""

    spec: EntitySpec
    count: bool
    fields: tuple[str, ...] | None
    where: tuple[Condition, ...]
    order: tuple[tuple[tuple[str, ...], bool], ...]
    start: int
    max_results: int


class _Tokens:
    def __init__(self, text: str) -> None:
        self.items: list[tuple[str, str]] = []
        pos = 0
        text = text.strip().rstrip(";")
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if match is None or match.end() == pos:
                rest = text[pos:].strip()
                if not rest:
                    break
                raise faults.query_parse(f'Encountered "{rest[:20]}" at column {pos + 1}')
            kind = match.lastgroup or ""
            self.items.append((kind, match.group(kind)))
            pos = match.end()
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.items[self.pos] if self.pos < len(self.items) else None

    def next(self, what: str) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise faults.query_parse(f"Encountered end of query, expected {what}")
        self.pos += 1
        return token

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token and token[0] == "word" and token[1].lower() == word:
            self.pos += 1
            return True
        return False

    def expect(self, word: str) -> None:
        if not self.keyword(word):
            token = self.peek()
            got = token[1] if token else "end of query"
            raise faults.query_parse(f'Encountered "{got}", expected {word.upper()}')

    def punct(self, char: str) -> bool:
        token = self.peek()
        if token and token[0] == "punct" and token[1] == char:
            self.pos += 1
            return True
        return False


def _value(tokens: _Tokens) -> object:
    kind, text = tokens.next("a value")
    if kind == "str":
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    if kind == "num":
        return Decimal(text)
    if kind == "word" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    if kind == "word" and text.lower() not in _KEYWORDS:
        return text
    raise faults.query_parse(f'Encountered "{text}", expected a value')


def _property(tokens: _Tokens, spec: EntitySpec) -> tuple[str, ...]:
    kind, text = tokens.next("a property name")
    if kind != "word" or text.lower() in _KEYWORDS:
        raise faults.query_parse(f'Encountered "{text}", expected a property name')
    path = tuple(text.split("."))
    if any(not part for part in path):
        raise faults.query_parse(f"malformed property {text!r}")
    return (_check_field(spec, path[0], text), *path[1:])


def _integer(tokens: _Tokens, what: str) -> int:
    kind, text = tokens.next(what)
    if kind != "num" or "." in text:
        raise faults.query_parse(f'Encountered "{text}", expected an integer after {what}')
    return int(text)


def parse_query(text: str) -> Query:
    """Parse a query string.

    Raises:
        FaultError: 4000 if it does not parse, 4001 if it names an unknown
            entity or property or asks for more than 1000 rows.
    """
    tokens = _Tokens(text)
    tokens.expect("select")
    count = False
    fields: tuple[str, ...] | None = None
    if tokens.keyword("count"):
        if not (tokens.punct("(") and tokens.punct("*") and tokens.punct(")")):
            raise faults.query_parse("expected COUNT(*)")
        count = True
    elif tokens.punct("*"):
        while tokens.punct(","):
            tokens.next("a property name")  # `SELECT *, Sku` is still everything
    else:
        names = [tokens.next("a property name")[1]]
        while tokens.punct(","):
            names.append(tokens.next("a property name")[1])
        fields = tuple(names)
    tokens.expect("from")
    kind, entity = tokens.next("an entity name")
    spec = spec_for(entity) if kind == "word" else None
    if spec is None:
        raise faults.query_invalid(f"invalid context declaration: {entity}")
    if fields is not None:
        fields = tuple(_check_field(spec, name) for name in fields)
    where: list[Condition] = []
    if tokens.keyword("where"):
        where.append(_condition(tokens, spec))
        while tokens.keyword("and"):
            where.append(_condition(tokens, spec))
        if tokens.keyword("or"):
            raise faults.query_parse('Encountered "OR"; OR is not supported')
    order: list[tuple[tuple[str, ...], bool]] = []
    if tokens.keyword("orderby") or (tokens.keyword("order") and tokens.keyword("by")):
        while True:
            path = _property(tokens, spec)
            descending = tokens.keyword("desc")
            if not descending:
                tokens.keyword("asc")
            order.append((path, descending))
            if not tokens.punct(","):
                break
    start, max_results = 1, DEFAULT_RESULTS
    while True:
        if tokens.keyword("startposition"):
            start = _integer(tokens, "STARTPOSITION")
        elif tokens.keyword("maxresults"):
            max_results = _integer(tokens, "MAXRESULTS")
        else:
            break
    leftover = tokens.peek()
    if leftover is not None:
        raise faults.query_parse(f'Encountered "{leftover[1]}" after the end of the query')
    if max_results > MAX_RESULTS:
        raise faults.query_invalid(f"MAXRESULTS may be at most {MAX_RESULTS}, got {max_results}")
    if max_results < 1 or start < 0:
        raise faults.query_invalid("STARTPOSITION and MAXRESULTS must be positive")
    return Query(spec, count, fields, tuple(where), tuple(order), max(start, 1), max_results)


def _check_field(spec: EntitySpec, name: str, shown: str | None = None) -> str:
    """The schema's spelling of property ``name`` (case-insensitive), else fault 4001."""
    field = _FIELDS_BY_LOWER[spec.name].get(name.lower())
    if field is None:
        raise faults.query_invalid(f"property '{shown or name}' is not queryable for {spec.name}")
    return field


def _condition(tokens: _Tokens, spec: EntitySpec) -> Condition:
    path = _property(tokens, spec)
    token = tokens.next("an operator")
    if token[0] == "op":
        op = "!=" if token[1] == "<>" else token[1]
        return Condition(path, op, (_value(tokens),))
    word = token[1].lower()
    if token[0] == "word" and word == "in":
        if not tokens.punct("("):
            raise faults.query_parse("expected ( after IN")
        values = [_value(tokens)]
        while tokens.punct(","):
            values.append(_value(tokens))
        if not tokens.punct(")"):
            raise faults.query_parse("expected ) to close IN")
        return Condition(path, "in", tuple(values))
    if token[0] == "word" and word == "like":
        value = _value(tokens)
        if not isinstance(value, str):
            raise faults.query_parse("LIKE needs a quoted pattern")
        return Condition(path, "like", (value,))
    raise faults.query_parse(f'Encountered "{token[1]}", expected an operator')


def _lookup(obj: dict[str, Any], path: tuple[str, ...]) -> object:
    current: object = obj
    for part in path:
        if not isinstance(current, dict):
            return None
        current = current.get(part)
    if isinstance(current, dict) and "value" in current:
        return current["value"]  # references are filtered by their id
    return current


def _comparable(left: object, right: object) -> tuple[Any, Any] | None:
    if isinstance(left, bool) or isinstance(right, bool):
        if isinstance(right, str):
            right = right.lower() == "true"
        return (left, right) if isinstance(left, bool) and isinstance(right, bool) else None
    try:
        return Decimal(str(left)), Decimal(str(right))
    except (InvalidOperation, ValueError):
        pass
    if isinstance(left, str) and isinstance(right, str):
        when_left, when_right = parse_instant(left), parse_instant(right)
        if when_left is not None and when_right is not None and _looks_temporal(left):
            return when_left, when_right
        return left.casefold(), right.casefold()
    return None


def _looks_temporal(text: str) -> bool:
    return bool(re.match(r"^\d{4}-\d{2}-\d{2}", text))


def _test(cond: Condition, obj: dict[str, Any]) -> bool:
    if cond.op == "=" and len(cond.path) == 1 and isinstance(cond.values[0], bool):
        # The implicit ``Active = true`` of every name-list query: the hot path of paging.
        flag = obj.get(cond.path[0])
        if isinstance(flag, bool):
            return flag is cond.values[0]
    actual = _lookup(obj, cond.path)
    if actual is None or isinstance(actual, dict | list):
        return False
    if cond.op == "in":
        texts = _plain_texts(cond.values)
        if texts is not None and isinstance(actual, str) and _plain_text(actual):
            return actual.casefold() in texts  # the common case, in O(1)
        return any(_compare(actual, "=", value) for value in cond.values)
    if cond.op == "like":
        pattern = str(cond.values[0])
        regex = ".*".join(re.escape(part) for part in pattern.split("%"))
        return re.fullmatch(regex, str(actual), re.IGNORECASE | re.DOTALL) is not None
    return _compare(actual, cond.op, cond.values[0])


@functools.lru_cache(maxsize=256)
def _plain_texts(values: tuple[object, ...]) -> frozenset[str] | None:
    """The case-folded values of an ``IN`` list of plain text (``None`` if any is not)."""
    if all(isinstance(v, str) and _plain_text(v) for v in values):
        return frozenset(str(v).casefold() for v in values)
    return None


def _compare(actual: object, op: str, value: object) -> bool:
    pair = _comparable(actual, value)
    if pair is None:
        return False
    left, right = pair
    try:
        if op == "=":
            return bool(left == right)
        if op == "!=":
            return bool(left != right)
        if op == "<":
            return bool(left < right)
        if op == ">":
            return bool(left > right)
        if op == "<=":
            return bool(left <= right)
        return bool(left >= right)
    except TypeError:
        return False


def _sort_key(obj: dict[str, Any], path: tuple[str, ...]) -> tuple[int, Any]:
    value = _lookup(obj, path)
    if value is None or isinstance(value, dict | list):
        return (0, "")
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, int | Decimal):
        return (2, Decimal(value))
    return _text_sort_key(str(value))


@functools.lru_cache(maxsize=65_536)
def _text_sort_key(text: str) -> tuple[int, Any]:
    # Cached: paging a large ORDERBY sorts every matching object again for each
    # page, and MetaData timestamps repeat across those sorts.
    if text.isdigit():
        return (2, Decimal(text))
    when = parse_instant(text) if _looks_temporal(text) else None
    if when is not None:
        return (3, when.timestamp())
    return (4, text.casefold())


def run_query(
    query: Query,
    objects: Iterable[dict[str, Any]],
    *,
    id_ordered: bool = False,
) -> tuple[int, list[dict[str, Any]]]:
    """Filter, sort and page ``objects`` (live objects of the query's entity).

    Name-list entities answer with active records only unless the WHERE
    clause tests ``Active`` itself (``Active IN (true, false)``).

    Args:
        query: The parsed query.
        objects: The candidates.
        id_ordered: ``objects`` already come in increasing numeric ``Id``
            order: a page of a query without ORDERBY is then cut without
            sorting or filtering past its end (the total is not counted and
            is returned as -1, except for COUNT queries).

    Returns:
        (total matching rows, or -1 when not counted; the requested page).
    """
    if id_ordered and not query.order and not query.count:
        first = query.start - 1
        return -1, list(islice(_matching(query, objects), first, first + query.max_results))
    rows = sorted_matches(query, objects, id_ordered=id_ordered)
    page = rows[query.start - 1 : query.start - 1 + query.max_results]
    return len(rows), page


def _matching(query: Query, objects: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    conditions = list(query.where)
    if query.spec.has_active and not any(c.path == ("Active",) for c in conditions):
        conditions.append(Condition(("Active",), "=", (True,)))
    return (obj for obj in objects if all(_test(c, obj) for c in conditions))


def sorted_matches(
    query: Query, objects: Iterable[dict[str, Any]], *, id_ordered: bool
) -> list[dict[str, Any]]:
    """Every matching object, in the query's order (paging left to the caller)."""
    rows = list(_matching(query, objects))
    if not id_ordered:
        rows.sort(key=lambda obj: _sort_key(obj, ("Id",)))
    for path, descending in reversed(query.order):
        rows.sort(key=lambda obj, p=path: _sort_key(obj, p), reverse=descending)  # type: ignore[misc]
    return rows


def lookup_keys(query: Query, name_field: str | None) -> tuple[str, list[str]] | None:
    """An equality test an index can answer: ("Id", ids) or (name_field, [name]).

    Only plain text compares as text (numbers and dates compare as values,
    which a case-folded index cannot answer), so anything else is None.
    """
    for cond in query.where:
        if cond.path == ("Id",) and cond.op in ("=", "in"):
            ids = [_integral(value) for value in cond.values]
            if all(ids):
                return "Id", [i for i in ids if i]
        if (
            name_field is not None
            and cond.path == (name_field,)
            and cond.op == "="
            and isinstance(cond.values[0], str)
            and _plain_text(cond.values[0])
        ):
            return name_field, [cond.values[0]]
    return None


def _integral(value: object) -> str | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or number != number.to_integral_value():
        return None
    return str(int(number))


def _plain_text(text: str) -> bool:
    try:
        Decimal(text)
    except (InvalidOperation, ValueError):
        return not _looks_temporal(text)
    return False


def project(obj: dict[str, Any], fields: tuple[str, ...] | None) -> dict[str, Any]:
    """Keep only the selected properties (plus ``Id``), as a sparse object."""
    if fields is None:
        return obj
    out: dict[str, Any] = {"domain": obj.get("domain", "QBO"), "sparse": True, "Id": obj["Id"]}
    for field in fields:
        if field in obj:
            out[field] = obj[field]
    return out
