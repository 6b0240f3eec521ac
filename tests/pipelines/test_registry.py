"""Tests for pipelines.registry."""

from dataclasses import dataclass

import pytest

from pipelines import registry
from pipelines.registry import Stage, UnknownStageError

pytestmark = pytest.mark.filterwarnings("error")


@dataclass(frozen=True)
class Cfg:
    n: int = 1


def run(cfg, ctx):
    return None


@pytest.fixture(autouse=True)
def empty_registry(monkeypatch):
    monkeypatch.setattr(registry, "_STAGES", {})


def test_register_get_names():
    a, b = Stage("b-stage", "b", Cfg, run), Stage("a-stage", "a", Cfg, run)
    assert registry.register(a) is a
    registry.register(b)
    registry.register(a)  # the same object again: no-op
    assert registry.names() == ["a-stage", "b-stage"]
    assert registry.get("a-stage") is b


def test_duplicate_name_is_an_error():
    registry.register(Stage("x", "x", Cfg, run))
    with pytest.raises(ValueError, match="^stage 'x' is already registered$"):
        registry.register(Stage("x", "other", Cfg, run))


def test_unknown_name_lists_known():
    registry.register(Stage("data-chaos", "d", Cfg, run))
    with pytest.raises(UnknownStageError, match=r"^unknown stage 'data-choas'; known stages: data-chaos$"):
        registry.get("data-choas")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("Bad Name", "h", Cfg, run), "stage name 'Bad Name' must match"),
        (("list", "h", Cfg, run), "stage name 'list' must match"),
        (("ok", "h", dict, run), "stage 'ok' config_cls must be a dataclass type"),
        (("ok", "h", Cfg, 3), "stage 'ok' run must be callable"),
    ],
)
def test_stage_validation(args, message):
    with pytest.raises(ValueError, match=message):
        Stage(*args)
