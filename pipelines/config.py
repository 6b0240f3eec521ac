"""Stage configs: frozen dataclasses filled from TOML profiles and ``key=value`` overrides.

Each stage declares a frozen dataclass. Its values live in
``pipelines/configs/<stage>.toml``, one table per profile::

    [quick]
    n_ics = 4

    [full]
    n_ics = 256

Constraints go in field metadata and are checked on load::

    n_ics: int = field(default=4, metadata={"min": 1, "help": "initial conditions per system"})
    method: str = field(default="dopri8", metadata={"choices": ("dopri5", "dopri8")})

For a tuple field, ``choices``, ``min`` and ``max`` apply to each element.
A ``ValueError`` raised by ``__post_init__`` is reported as a :class:`ConfigError`.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import tomllib
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

PROFILES = ("quick", "full")
CONFIG_DIR = Path(__file__).resolve().parent / "configs"
_NONE_WORDS = ("None", "none", "null")

C = TypeVar("C")


class ConfigError(ValueError):
    """A config value, key, profile or file is not allowed; the message is one line."""


def load_config(
    cls: type[C],
    stage: str,
    profile: str,
    overrides: Sequence[str] = (),
    *,
    config_dir: str | Path = CONFIG_DIR,
) -> C:
    """Build ``cls`` from the ``[profile]`` table of ``<config_dir>/<stage>.toml`` and overrides.

    Args:
        cls: a dataclass type (normally frozen) declaring the stage's options.
        stage: stage name; selects the file ``<stage>.toml``.
        profile: one of :data:`PROFILES`.
        overrides: ``key=value`` strings applied after the file; ``value`` is a
            TOML value (``8``, ``1e-9``, ``["Lorenz", "Rossler"]``), else a bare
            string. For an optional field, ``None``/``none``/``null`` sets None;
            for a tuple of strings, ``a,b`` and ``[a,b]`` also work (no shell quoting).
        config_dir: directory holding the TOML files.

    Raises:
        ConfigError: one line naming the bad key, profile or value and what is allowed.
    """
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"load_config needs a dataclass type, got {cls!r}")
    if profile not in PROFILES:
        raise ConfigError(f"profile {profile!r} is not one of: {', '.join(PROFILES)}")
    path = Path(config_dir) / f"{stage}.toml"
    table = _read_profile(path, profile)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    where = f" in {_short(path)} [{profile}]"
    for key, value in table.items():
        field = _field_for(key, fields, stage)
        values[key] = _coerce(key, value, hints[key], field, where)
    for item in overrides:
        key, text = _split_override(item)
        field = _field_for(key, fields, stage)
        values[key] = _coerce(key, _parse_value(text, hints[key]), hints[key], field, "")
    missing = [name for name, f in fields.items() if name not in values and _no_default(f)]
    if missing:
        raise ConfigError(
            f"config key {missing[0]!r} has no value; set it in {_short(path)} [{profile}] "
            f"or with --set {missing[0]}=..."
        )
    try:
        return cls(**values)
    except ValueError as err:
        raise ConfigError(f"invalid {stage} config: {' '.join(str(err).split())}") from err


def config_to_dict(cfg: Any) -> dict[str, Any]:
    """Return a JSON-serialisable dict of a config dataclass (tuples become lists, paths strings)."""
    out = _jsonable(dataclasses.asdict(cfg))
    json.dumps(out)  # fail here, not later in a provenance attr
    return out


def describe_fields(cls: type) -> list[str]:
    """One line per field, ``name: type = default  [constraints] help``, for ``--help`` text."""
    hints = typing.get_type_hints(cls)
    lines = []
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        default = "(required)" if _no_default(f) else f"= {_default_of(f)!r}"
        meta = {k: v for k, v in f.metadata.items() if k in ("choices", "min", "max")}
        extra = " ".join(f"{k}={v!r}" for k, v in meta.items())
        parts = (f"{f.name}: {_type_name(hints[f.name])} {default}", extra, f.metadata.get("help", ""))
        lines.append(" ".join(part for part in parts if part))
    return lines


def _read_profile(path: Path, profile: str) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"no config file {_short(path)}; each stage needs one with [quick] and [full] tables")
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{_short(path)} is not valid TOML: {err}") from err
    unknown = sorted(set(data) - set(PROFILES))
    if unknown:
        raise ConfigError(f"{_short(path)} has table [{unknown[0]}]; allowed tables: {', '.join(PROFILES)}")
    if profile not in data:
        raise ConfigError(f"{_short(path)} has no [{profile}] table")
    return data[profile]


def _field_for(key: str, fields: Mapping[str, dataclasses.Field], stage: str) -> dataclasses.Field:
    if key in fields:
        return fields[key]
    close = difflib.get_close_matches(key, list(fields), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ConfigError(f"unknown config key {key!r} for {stage} (allowed: {', '.join(fields)}){hint}")


def _split_override(item: str) -> tuple[str, str]:
    key, sep, text = item.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"override {item!r} is not of the form key=value")
    return key.strip(), text.strip()


def _parse_value(text: str, tp: Any) -> Any:
    if text in _NONE_WORDS and _allows_none(tp):
        return None
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        if _is_str_sequence(tp):  # shell-friendly: a,b or [a,b] (the shell ate the quotes)
            return [s.strip() for s in text.strip().removeprefix("[").removesuffix("]").split(",") if s.strip()]
        return text
    if not isinstance(value, str) and _accepts_str(tp) and not _accepts(type(value), tp):
        return text  # e.g. tag=2024 for a str field
    return value


def _coerce(key: str, value: Any, tp: Any, field: dataclasses.Field, where: str) -> Any:
    try:
        out = _convert(value, tp)
    except (TypeError, ValueError):
        hint = ' (a TOML list such as ["a", "b"])' if _is_tuple(tp) and isinstance(value, str) else ""
        raise ConfigError(f"config key {key!r} expects {_type_name(tp)}{hint}, got {value!r}{where}") from None
    _check_metadata(key, out, field.metadata, where)
    return out


def _convert(value: Any, tp: Any) -> Any:
    """Return ``value`` as type ``tp`` or raise TypeError; int is accepted for float."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any:
        return value
    if origin in (types.UnionType, typing.Union):
        if value is None and type(None) in args:
            return None
        for arg in (a for a in args if a is not type(None)):
            try:
                return _convert(value, arg)
            except (TypeError, ValueError):
                continue
        raise TypeError
    if origin is typing.Literal:
        if value in args:
            return value
        raise TypeError
    if origin in (tuple, list):
        if not isinstance(value, (list, tuple)):
            raise TypeError
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(args) != len(value):
                raise TypeError
            return tuple(_convert(v, a) for v, a in zip(value, args, strict=True))
        item = args[0] if args else Any
        items = [_convert(v, item) for v in value]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        if not isinstance(value, dict):
            raise TypeError
        kt, vt = args if args else (Any, Any)
        return {_convert(k, kt): _convert(v, vt) for k, v in value.items()}
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp is Path and isinstance(value, str):
        return Path(value)
    if isinstance(tp, type) and isinstance(value, tp) and not (tp is int and isinstance(value, bool)):
        return value
    raise TypeError


def _check_metadata(key: str, value: Any, meta: Mapping[str, Any], where: str) -> None:
    items = value if isinstance(value, (tuple, list)) else (value,)
    for item in items:
        if item is None:
            continue
        if "choices" in meta and item not in meta["choices"]:
            allowed = ", ".join(repr(c) for c in meta["choices"])
            raise ConfigError(f"config key {key!r} must be one of: {allowed}; got {item!r}{where}")
        if "min" in meta and item < meta["min"]:
            raise ConfigError(f"config key {key!r} must be >= {meta['min']!r}, got {item!r}{where}")
        if "max" in meta and item > meta["max"]:
            raise ConfigError(f"config key {key!r} must be <= {meta['max']!r}, got {item!r}{where}")


def _accepts(value_type: type, tp: Any) -> bool:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (types.UnionType, typing.Union):
        return any(_accepts(value_type, a) for a in args)
    if tp is float and value_type is int:
        return True
    return isinstance(tp, type) and issubclass(value_type, tp) and not (tp is int and value_type is bool)


def _accepts_str(tp: Any) -> bool:
    return _accepts(str, tp) or _accepts_path(tp)


def _accepts_path(tp: Any) -> bool:
    if typing.get_origin(tp) in (types.UnionType, typing.Union):
        return any(_accepts_path(a) for a in typing.get_args(tp))
    return tp is Path


def _allows_none(tp: Any) -> bool:
    return typing.get_origin(tp) in (types.UnionType, typing.Union) and type(None) in typing.get_args(tp)


def _is_tuple(tp: Any) -> bool:
    if typing.get_origin(tp) in (types.UnionType, typing.Union):
        return any(_is_tuple(a) for a in typing.get_args(tp))
    return typing.get_origin(tp) in (tuple, list)


def _is_str_sequence(tp: Any) -> bool:
    if typing.get_origin(tp) in (types.UnionType, typing.Union):
        return any(_is_str_sequence(a) for a in typing.get_args(tp))
    return typing.get_origin(tp) in (tuple, list) and set(typing.get_args(tp)) <= {str, Ellipsis}


def _type_name(tp: Any) -> str:
    if tp is type(None):
        return "None"
    if typing.get_origin(tp) is None and isinstance(tp, type):
        return tp.__name__
    return str(tp).replace("typing.", "").replace("pathlib.", "")


def _no_default(f: dataclasses.Field) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


def _default_of(f: dataclasses.Field) -> Any:
    return f.default if f.default is not dataclasses.MISSING else f.default_factory()


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def _short(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
