"""The one place that knows the QBO JSON wire format.

Decisions, each applied to every model class:

- **Names.** A field's wire key is the PascalCase of its snake_case name
  (``bill_addr`` -> ``BillAddr``). Keys that do not follow that rule carry
  the wire name in the field's metadata: QBO's lower-case keys (the XML
  attributes ``domain``, ``sparse``, ``status``; a reference's ``value``,
  ``name`` and ``type``), acronyms (``ARAccountRef``, ``URI``,
  ``AllowIPNPayment``) and the line discriminator ``DetailType``.
- **Unknown keys** at every level (entities, lines, line details, nested
  objects) go into the object's ``extra`` dict as received and are written
  back unchanged, after the modelled keys. A modelled field wins over an
  ``extra`` key of the same name.
- **Money and quantities** are ``Decimal``. :func:`qbo_sync._json.loads`
  already yields ``Decimal("337.50")`` for ``337.50``; that object is kept, so
  the text survives. A JSON integer (``75``) becomes ``Decimal("75")`` and is
  written back as ``75``. A ``float`` (from a user, or from a document parsed
  with the stdlib ``json``) goes through ``Decimal(repr(f))``. ``bool`` and
  strings are rejected on the wire.
- **Strict scalars.** Strings, booleans and integers must arrive as those JSON
  types; nothing is coerced (``str(5)`` would silently change the document).
- **Dates** (``xs:date``) are :class:`datetime.date` from ``YYYY-MM-DD``.
  **Date-times** (``xs:dateTime``) are :class:`datetime.datetime`, aware when
  QBO sent an offset, and are written back in QBO's form
  (``2020-09-29T05:58:07-07:00``): seconds precision, milliseconds when the
  value has them, microseconds only when needed. A ``Z`` suffix is read as
  UTC and written back as ``+00:00``.
- **None is omitted.** Every optional field defaults to ``None`` and a
  ``None`` field is not written, so ``to_qbo`` never emits constructor
  defaults. An explicit JSON ``null`` therefore reads as "absent".
- **Enumerations stay ``str``** so a value QBO adds later never breaks parsing.
- **Lines** dispatch on ``DetailType`` (see :mod:`qbo_sync.models._lines`);
  an unknown or missing ``DetailType`` gives an ``UnknownLine``.
- **Errors.** All problems found in one payload become ONE
  :class:`~qbo_sync.errors.PayloadError` whose message lists each problem with
  its path in wire names (``Invoice.Line[2].SalesItemLineDetail.Qty``).
- **Speed.** Per-class structure/unstructure functions are generated once by
  cattrs (``make_dict_structure_fn`` / ``make_dict_unstructure_fn``) when the
  converter is built; no reflection happens per call.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, get_args

import attrs
import cattrs
from cattrs.errors import ClassValidationError, IterableValidationError, IterableValidationNote
from cattrs.fns import identity
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from qbo_sync._time import parse_timestamp
from qbo_sync.errors import PayloadError
from qbo_sync.models._base import Model
from qbo_sync.models._lines import LINE_CLASSES, Line, UnknownLine

__all__ = ["WireConverter", "format_datetime", "wire_name"]

_StructureFn = Callable[[Any, Any], Any]
_UnstructureFn = Callable[[Any], Any]


def wire_name(field: attrs.Attribute[Any]) -> str:
    """The wire key of a model field."""
    explicit = field.metadata.get("wire")
    if explicit is not None:
        return str(explicit)
    return "".join(part[:1].upper() + part[1:] for part in field.name.split("_"))


def _describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


# Every structure hook lets None through: all modelled fields are optional, and
# skipping a separate Optional wrapper saves a call per field on the hot path.
def _structure_str(value: Any, _: Any) -> str | None:
    if type(value) is str or value is None:
        return value
    raise TypeError(f"expected a string, got {_describe(value)}")


def _structure_bool(value: Any, _: Any) -> bool | None:
    if value is True or value is False or value is None:
        return value
    raise TypeError(f"expected true or false, got {_describe(value)}")


def _structure_int(value: Any, _: Any) -> int | None:
    if type(value) is int or value is None:
        return value
    raise TypeError(f"expected an integer, got {_describe(value)}")


def _structure_decimal(value: Any, _: Any) -> Decimal | None:
    kind = type(value)
    if kind is Decimal:
        if not value.is_finite():
            raise ValueError(f"expected a finite decimal number, got {value}")
        return value  # type: ignore[no-any-return]
    if kind is int:
        return Decimal(value)
    if kind is float:
        return Decimal(repr(value))
    if value is None:
        return None
    raise TypeError(f"expected a decimal number, got {_describe(value)}")


class _WireDate(date):
    """A date read from text in a form ``isoformat`` would not reproduce.

    QBO may suffix an ``xs:date`` (``2012-07-23Z``, even a full timestamp);
    the text is remembered so an unchanged value is written back verbatim.
    Arithmetic and ``replace`` return the same class without the text.
    """

    __slots__ = ("_text",)
    _text: str


class _WireDateTime(datetime):
    """A date-time whose text QBO wrote differently from :func:`format_datetime`."""

    __slots__ = ("_text",)
    _text: str


def _structure_date(value: Any, _: Any) -> date | None:
    if value is None:
        return None
    if type(value) is not str:
        raise TypeError(f"expected a date string YYYY-MM-DD, got {_describe(value)}")
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        wire_date = _WireDate.fromisoformat(value[:10])
    except ValueError:
        raise ValueError(f"expected a date YYYY-MM-DD, got {value!r}") from None
    wire_date._text = value
    return wire_date


def _structure_datetime(value: Any, _: Any) -> datetime | None:
    if value is None:
        return None
    if type(value) is not str:
        raise TypeError(f"expected a date-time string, got {_describe(value)}")
    try:
        parsed = parse_timestamp(value, naive_as=None)
    except ValueError:
        raise ValueError(
            f"expected an ISO 8601 date-time like 2020-09-29T05:58:07-07:00, got {value!r}"
        ) from None
    if format_datetime(parsed) == value:
        return parsed
    wire = _WireDateTime(
        parsed.year,
        parsed.month,
        parsed.day,
        parsed.hour,
        parsed.minute,
        parsed.second,
        parsed.microsecond,
        tzinfo=parsed.tzinfo,
    )
    wire._text = value
    return wire


def format_datetime(value: datetime) -> str:
    """Write a date-time the way QBO does: ``2020-09-29T05:58:07-07:00``."""
    text: str | None = getattr(value, "_text", None)
    if text is not None:
        return text
    micro = value.microsecond
    if micro == 0:
        spec = "seconds"
    elif micro % 1000 == 0:
        spec = "milliseconds"
    else:
        spec = "microseconds"
    return value.isoformat(timespec=spec)


def _unstructure_date(value: date) -> str:
    text: str | None = getattr(value, "_text", None)
    return value.isoformat() if text is None else text


def _is_optional(tp: Any) -> bool:
    args = get_args(tp)
    return len(args) == 2 and type(None) in args


def _is_list(tp: Any) -> bool:
    return getattr(tp, "__origin__", None) is list


class WireConverter:
    """Builds and owns the generated functions for every model class.

    Building one generates code for each class, so do it once; the public
    functions of :mod:`qbo_sync.models` share one instance.

    Args:
        classes: Every model class, nested value types included.
    """

    def __init__(self, *, classes: tuple[type[Model], ...]) -> None:
        self._conv = cattrs.Converter(detailed_validation=True, forbid_extra_keys=False)
        self._structure: dict[type[Any], _StructureFn] = {}
        self._unstructure: dict[type[Any], _UnstructureFn] = {}
        #: python field name -> wire name, per class (for error paths).
        self._wire: dict[type[Any], dict[str, str]] = {}
        self._register_scalars()
        for cls in classes:
            self._register(cls)

    # -- public -----------------------------------------------------------

    def structure(self, cls: type[Any], data: Any) -> Any:
        """Build ``cls`` from wire data.

        Raises:
            PayloadError: Naming every problem and its wire path.
        """
        try:
            return self._structure[cls](data, cls)
        except ClassValidationError as exc:
            raise self._payload_error(cls, exc) from exc
        except (TypeError, ValueError, KeyError) as exc:
            raise PayloadError(
                f"{_qbo_name(cls)}: {_message(exc)}", entity=_qbo_name(cls), path=_qbo_name(cls)
            ) from exc

    def unstructure(self, obj: Any) -> dict[str, Any]:
        """Write a model object as a wire dict.

        Raises:
            TypeError: If ``obj`` is not a model object.
        """
        try:
            fn = self._unstructure[type(obj)]
        except KeyError:
            raise TypeError(f"expected a qbo_sync model object, got {type(obj).__name__}") from None
        result: dict[str, Any] = fn(obj)
        return result

    # -- registration -----------------------------------------------------

    def _register_scalars(self) -> None:
        conv = self._conv
        for tp, fn in (
            (str, _structure_str),
            (bool, _structure_bool),
            (int, _structure_int),
            (Decimal, _structure_decimal),
            (date, _structure_date),
            (datetime, _structure_datetime),
        ):
            conv.register_structure_hook(tp, fn)
        for tp in (str, bool, int, Decimal):
            conv.register_unstructure_hook(tp, identity)
        conv.register_unstructure_hook(date, _unstructure_date)
        conv.register_unstructure_hook(datetime, format_datetime)
        conv.register_structure_hook_factory(_is_optional, self._optional_structure)
        conv.register_unstructure_hook_factory(_is_optional, self._optional_unstructure)
        conv.register_structure_hook_factory(_is_list, self._list_structure)
        conv.register_unstructure_hook_factory(_is_list, self._list_unstructure)
        conv.register_structure_hook(Line, self._structure_line)
        conv.register_unstructure_hook(Line, self._unstructure_any)

    def _optional_structure(self, tp: Any) -> _StructureFn:
        inner_tp = next(a for a in get_args(tp) if a is not type(None))
        # The inner hooks already let None through.
        return self._conv.get_structure_hook(inner_tp)

    def _optional_unstructure(self, tp: Any) -> _UnstructureFn:
        # Generated code only calls this for non-None values (None is omitted).
        inner_tp = next(a for a in get_args(tp) if a is not type(None))
        return self._conv.get_unstructure_hook(inner_tp)

    def _list_structure(self, tp: Any) -> _StructureFn:
        (elem_tp,) = get_args(tp)
        elem = self._conv.get_structure_hook(elem_tp)

        def structure_list(value: Any, _: Any) -> list[Any] | None:
            if type(value) is not list:
                if value is None:
                    return None
                raise TypeError(f"expected an array, got {_describe(value)}")
            if None not in value:
                with contextlib.suppress(Exception):
                    return [elem(item, elem_tp) for item in value]
            raise _array_error(value, elem, elem_tp, tp)

        return structure_list

    def _list_unstructure(self, tp: Any) -> _UnstructureFn:
        (elem_tp,) = get_args(tp)
        elem = self._conv.get_unstructure_hook(elem_tp)
        if elem is identity:
            return list

        def unstructure_list(value: list[Any]) -> list[Any]:
            return [elem(item) for item in value]

        return unstructure_list

    def _structure_line(self, value: Any, _: Any) -> Any:
        if type(value) is not dict:
            if value is None:
                return None
            raise TypeError(f"expected a JSON object, got {_describe(value)}")
        detail_type = value.get("DetailType")
        cls = (
            LINE_CLASSES.get(detail_type, UnknownLine) if type(detail_type) is str else UnknownLine
        )
        return self._structure[cls](value, cls)

    def _unstructure_any(self, value: Any) -> Any:
        return self._unstructure[type(value)](value)

    def _register(self, cls: type[Model]) -> None:
        conv = self._conv
        fields = attrs.fields(cls)
        names = {f.name: wire_name(f) for f in fields if f.name not in ("extra", "_qbo_original")}
        self._wire[cls] = names
        renames: dict[str, Any] = {name: override(rename=key) for name, key in names.items()}
        gen_structure = make_dict_structure_fn(
            cls, conv, _cattrs_detailed_validation=True, **renames, extra=override(omit=True)
        )
        unstructure_overrides = dict(renames)
        unstructure_overrides["extra"] = override(omit=True)
        if "_qbo_original" in {f.name for f in fields}:
            unstructure_overrides["_qbo_original"] = override(omit=True)
        if any(f.name == "detail_type" and not f.init for f in fields):
            # A fixed line discriminator is always written, though it is a default.
            unstructure_overrides["detail_type"] = override(
                rename="DetailType", omit_if_default=False
            )
        gen_unstructure = make_dict_unstructure_fn(
            cls,
            conv,
            _cattrs_omit_if_default=True,
            _cattrs_include_init_false=True,
            **unstructure_overrides,
        )
        known = frozenset(names.values())

        def structure(value: Any, _: Any) -> Any:
            if type(value) is not dict:
                if value is None:
                    return None
                raise TypeError(f"expected a JSON object, got {_describe(value)}")
            obj = gen_structure(value, cls)
            if not known.issuperset(value):
                obj.extra = {k: v for k, v in value.items() if k not in known}
            return obj

        def unstructure(obj: Any) -> dict[str, Any]:
            result: dict[str, Any] = gen_unstructure(obj)
            extra = obj.extra
            if extra:
                for key, item in extra.items():
                    if key not in result:
                        result[key] = item
            return result

        self._structure[cls] = structure
        self._unstructure[cls] = unstructure
        conv.register_structure_hook(cls, structure)
        conv.register_unstructure_hook(cls, unstructure)

    # -- errors -----------------------------------------------------------

    def _payload_error(self, cls: type[Any], exc: ClassValidationError) -> PayloadError:
        root = _qbo_name(cls)
        problems = list(self._walk(exc, root))
        text = "; ".join(f"{path}: {message}" for path, message in problems)
        first_path = problems[0][0] if problems else root
        count = f"{len(problems)} problems in " if len(problems) > 1 else ""
        return PayloadError(f"{count}{root} payload: {text}", entity=root, path=first_path)

    def _walk(self, exc: BaseException, path: str) -> Any:
        if isinstance(exc, ClassValidationError):
            names = self._wire.get(exc.cl, {})
            for sub in exc.exceptions:
                attr = next((n for n in getattr(sub, "__notes__", ()) if hasattr(n, "name")), None)
                key = names.get(attr.name, attr.name) if attr is not None else "?"
                yield from self._walk(sub, f"{path}.{key}")
        elif isinstance(exc, IterableValidationError):
            for sub in exc.exceptions:
                note = next((n for n in getattr(sub, "__notes__", ()) if hasattr(n, "index")), None)
                index = note.index if note is not None else "?"
                yield from self._walk(sub, f"{path}[{index}]")
        else:
            yield path, _message(exc)


def _array_error(
    value: list[Any], elem: _StructureFn, elem_tp: Any, tp: Any
) -> IterableValidationError:
    # Slow path, only after a failure: structure again to find every failing index.
    errors: list[Exception] = []
    for index, item in enumerate(value):
        try:
            _structure_element(elem, item, elem_tp)
        except Exception as exc:  # noqa: PERF203 - error path only
            exc.__notes__ = [  # type: ignore[attr-defined,unused-ignore]
                *getattr(exc, "__notes__", []),
                IterableValidationNote(f"index {index}", index, elem_tp),
            ]
            errors.append(exc)
    return IterableValidationError("while structuring an array", errors, tp)


def _structure_element(elem: _StructureFn, item: Any, elem_tp: Any) -> None:
    if item is None:
        raise TypeError("expected a value, got null")
    elem(item, elem_tp)


def _message(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return "required field is missing"
    return str(exc)


def _qbo_name(cls: type[Any]) -> str:
    return getattr(cls, "QBO_NAME", "") or cls.__name__
