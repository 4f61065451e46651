"""A job's ``--param`` settings, declared once with type, default and help.

A job file declares ``PARAMS``: its own :class:`Param` entries plus the groups it includes (the
fetcher's settings, the model stages', ...), each group declared once where its stages live::

    PARAMS = ParamSet(
        Param("min_side", int, 64, "drop images whose shorter side is below this"),
        FETCH_PARAMS,
    )

    def job(inputs, out, params):
        ... ImageSize(min_side=params.min_side) ...

``job()`` receives the resolved :class:`Values`: an attribute per declared name, typed. Reading
an undeclared name is an error, so is a given ``--param`` that is not declared (a typo), and so
is a value that does not parse as its param's type (the error names the param and its type).
``loomery describe JOB`` and ``loomery run JOB --help`` print the declarations.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def parse_bool(raw: str) -> bool:
    """``true/yes/on/1`` or ``false/no/off/0`` (any case)."""
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise ValueError("is not true or false")


def parse_list(raw: str) -> list[str]:
    """A comma-separated list; blank items dropped."""
    return [part.strip() for part in raw.split(",") if part.strip()]


def auto_bool(raw: str) -> str:
    """``auto``, or a boolean spelt as :func:`parse_bool` reads it: ``auto``, ``true`` or ``false``."""
    if raw.lower() == "auto":
        return "auto"
    try:
        return "true" if parse_bool(raw) else "false"
    except ValueError:
        raise ValueError("is not auto, true or false") from None


def _parse_int(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ValueError("is not an integer") from None


def _parse_float(raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise ValueError("is not a number") from None


_PARSERS: dict[Any, Callable[[str], Any]] = {
    str: lambda raw: raw, int: _parse_int, float: _parse_float, bool: parse_bool, list: parse_list,
}


@dataclass(frozen=True)
class Param:
    """One ``--param``: its name, type (str, int, float, bool, list: comma-separated, or a
    function parsing the text), default (``None``: unset), help, and the allowed values if few."""

    name: str
    type: Any
    default: Any
    help: str
    choices: tuple[str, ...] | None = None

    @property
    def type_name(self) -> str:
        return getattr(self.type, "__name__", str(self.type))

    def parse(self, raw: str) -> Any:
        """The typed value of ``raw``; a ValueError names the param and its type."""
        parser = _PARSERS.get(self.type, self.type)
        try:
            value = parser(raw.strip())
        except ValueError as error:
            raise ValueError(f"--param {self.name}={raw!r} {error} ({self.name}: {self.type_name})") from None
        if self.choices is not None and value not in self.choices:
            raise ValueError(f"--param {self.name}={raw!r}: use {', '.join(self.choices)} "
                             f"({self.name}: {self.type_name})")
        return value

    def describe(self) -> str:
        """``name (type, default X): help``, one line."""
        unset = self.default is None or (isinstance(self.default, (list, dict)) and not self.default)
        default = "unset" if unset else _show(self.default)
        allowed = f", one of {'|'.join(self.choices)}" if self.choices else ""
        return f"{self.name} ({self.type_name}{allowed}, default {default}): {self.help}"


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, builtins.list):
        return ",".join(map(str, value))
    return str(value)


class ParamGroup:
    """Params declared together, for the stages that read them; included by every job that runs
    those stages. :meth:`with_defaults` gives the group with some defaults changed for one job."""

    def __init__(self, title: str, *params: Param):
        names = [p.name for p in params]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"params declared twice in {title}: {', '.join(repeated)}")
        self.title = title
        self.params = tuple(params)

    def with_defaults(self, **defaults: Any) -> ParamGroup:
        known = {p.name for p in self.params}
        unknown = sorted(set(defaults) - known)
        if unknown:
            raise ValueError(f"{self.title} declares no {', '.join(unknown)}")
        return ParamGroup(self.title, *(replace(p, default=defaults[p.name]) if p.name in defaults else p
                                        for p in self.params))

    def without(self, *names: str) -> ParamGroup:
        """The group less ``names`` (params that do not apply to one job)."""
        return ParamGroup(self.title, *(p for p in self.params if p.name not in names))


class ParamSet:
    """Every param of one job: its own (given first, as Params) and the groups it includes."""

    def __init__(self, *entries: Param | ParamGroup, title: str = "job"):
        own = [e for e in entries if isinstance(e, Param)]
        self.groups: list[ParamGroup] = ([ParamGroup(title, *own)] if own else []) + [
            e for e in entries if isinstance(e, ParamGroup)]
        self._by_name: dict[str, Param] = {}
        for group in self.groups:
            for param in group.params:
                if param.name in self._by_name:
                    raise ValueError(f"param {param.name!r} declared twice (in {group.title})")
                self._by_name[param.name] = param

    def __iter__(self):
        return iter(self._by_name.values())

    def names(self) -> list[str]:
        return list(self._by_name)

    def resolve(self, given: dict[str, str], job: str = "job") -> Values:
        """Typed values: each given one parsed, the rest their defaults. An undeclared name is
        an error (a typo would otherwise be a silent no-op)."""
        unknown = sorted(set(given) - set(self._by_name))
        if unknown:
            raise ValueError(f"unknown --param {', '.join(unknown)} for job {job} "
                             f"(see `loomery describe {job}`)")
        values = {name: (p.parse(given[name]) if name in given else p.default)
                  for name, p in self._by_name.items()}
        return Values(values)

    def describe(self, indent: str = "  ") -> list[str]:
        """Lines listing every param by group, with type, default and help."""
        lines: list[str] = []
        for group in self.groups:
            lines.append(f"{indent}{group.title}:")
            lines += [f"{indent}  {p.describe()}" for p in group.params]
        return lines


class Values:
    """A job's resolved params: ``values.min_side``; an undeclared name raises AttributeError."""

    def __init__(self, values: dict[str, Any]):
        object.__setattr__(self, "_values", dict(values))

    def __getattr__(self, name: str) -> Any:
        values = object.__getattribute__(self, "_values")
        if name not in values:
            raise AttributeError(f"param {name!r} is not declared by this job's PARAMS")
        return values[name]

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("params are read-only")

    def __getitem__(self, name: str) -> Any:
        return self.__getattr__(name)


def when(condition: Any, make: Callable[..., Any], *args: Any, **kwargs: Any) -> list:
    """``[make(*args, **kwargs)]`` if ``condition`` holds, else ``[]``: a stage the chain runs
    only in some settings, written out in the list as ``*when(params.ocr, TextInImage, ...)``.
    The stage is built only when it runs, so its arguments may be unset otherwise."""
    return [make(*args, **kwargs)] if condition else []


class Params:
    """``--param key=value`` texts as given on the command line, before a job's declarations
    type them (:meth:`ParamSet.resolve`)."""

    def __init__(self, values: dict[str, str] | None = None):
        self._values = {str(k): str(v) for k, v in (values or {}).items()}

    @classmethod
    def parse(cls, items: Iterable[str]) -> Params:
        """Build from ``key=value`` strings."""
        values = {}
        for item in items:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise ValueError(f"--param {item!r} is not key=value")
            values[key.strip()] = value.strip()
        return cls(values)

    def as_dict(self) -> dict[str, str]:
        return dict(self._values)
