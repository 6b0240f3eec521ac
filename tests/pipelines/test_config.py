"""Tests for pipelines.config: profiles, overrides, and one-line error messages."""

import json
import math
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.config import ConfigError, config_to_dict, describe_fields, load_config

pytestmark = pytest.mark.filterwarnings("error")


@dataclass(frozen=True)
class Cfg:
    n_ics: int = field(default=4, metadata={"min": 1, "help": "initial conditions"})
    rtol: float = 1e-6
    systems: tuple[str, ...] = ("Lorenz",)
    method: str = field(default="dopri8", metadata={"choices": ("dopri5", "dopri8")})
    tag: str | None = None
    max_steps: int | None = None
    weights: tuple[float, ...] = field(default=(), metadata={"max": 1.0})

    def __post_init__(self):
        if self.rtol >= 1:
            raise ValueError(f"rtol must be < 1, got {self.rtol}")


@dataclass(frozen=True)
class Required:
    n: int


@pytest.fixture
def cdir(tmp_path):
    (tmp_path / "stage.toml").write_text('[quick]\nn_ics = 2\n\n[full]\nn_ics = 64\nsystems = ["Lorenz", "Rossler"]\n')
    return tmp_path


def load(cdir, *overrides, profile="quick", cls=Cfg, stage="stage"):
    return load_config(cls, stage, profile, list(overrides), config_dir=cdir)


def error(cdir, *overrides, **kw):
    with pytest.raises(ConfigError) as info:
        load(cdir, *overrides, **kw)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_profiles_select_tables(cdir):
    assert load(cdir) == Cfg(n_ics=2)
    assert load(cdir, profile="full") == Cfg(n_ics=64, systems=("Lorenz", "Rossler"))


def test_overrides_are_toml_values(cdir):
    cfg = load(cdir, "n_ics=8", "rtol=1e-9", 'systems=["Lorenz","Rossler"]', "method=dopri5", "weights=[0.5, 1]")
    assert cfg == Cfg(n_ics=8, rtol=1e-9, systems=("Lorenz", "Rossler"), method="dopri5", weights=(0.5, 1.0))
    assert type(cfg.n_ics) is int and type(cfg.weights[1]) is float


def test_int_is_accepted_for_float(cdir):
    cfg = load(cdir, "rtol=0")
    assert cfg.rtol == 0.0 and type(cfg.rtol) is float


def test_bare_strings_and_shell_friendly_lists(cdir):
    assert load(cdir, "tag=abc").tag == "abc"
    assert load(cdir, "tag=2024").tag == "2024"  # a str field keeps the text
    assert load(cdir, "systems=Lorenz,Rossler").systems == ("Lorenz", "Rossler")
    assert load(cdir, "systems=[Lorenz, Rossler]").systems == ("Lorenz", "Rossler")
    assert load(cdir, "tag=a=b").tag == "a=b"


def test_none_for_optional_fields(cdir):
    cfg = load(cdir, "tag=x", "max_steps=7", "tag=none", "max_steps=None")
    assert cfg.tag is None and cfg.max_steps is None
    assert load(cdir, "max_steps=7").max_steps == 7


def test_later_override_wins(cdir):
    assert load(cdir, "n_ics=3", "n_ics=5").n_ics == 5


def test_wrong_type_message(cdir):
    assert error(cdir, "n_ics=abc") == "config key 'n_ics' expects int, got 'abc'"
    assert error(cdir, "n_ics=true") == "config key 'n_ics' expects int, got True"
    assert error(cdir, "n_ics=2.5") == "config key 'n_ics' expects int, got 2.5"
    assert error(cdir, "weights=[1, 'a']").startswith("config key 'weights' expects tuple[float, ...], got [1, 'a']")
    assert "expects int | None" in error(cdir, "max_steps=abc")


def test_unknown_key_lists_allowed_and_suggests(cdir):
    message = error(cdir, "n_ic=3")
    assert message.startswith("unknown config key 'n_ic' for stage (allowed: n_ics, rtol, systems,")
    assert message.endswith("did you mean 'n_ics'?")
    assert "did you mean" not in error(cdir, "zzzzzz=1")


def test_unknown_profile(cdir):
    assert error(cdir, profile="fast") == "profile 'fast' is not one of: quick, full"


def test_choices_min_max(cdir):
    assert error(cdir, "method=euler") == "config key 'method' must be one of: 'dopri5', 'dopri8'; got 'euler'"
    assert error(cdir, "n_ics=0") == "config key 'n_ics' must be >= 1, got 0"
    assert error(cdir, "weights=[0.5, 2.0]") == "config key 'weights' must be <= 1.0, got 2.0"


def test_post_init_value_error_becomes_config_error(cdir):
    assert error(cdir, "rtol=2") == "invalid stage config: rtol must be < 1, got 2.0"


def test_malformed_override(cdir):
    assert error(cdir, "n_ics") == "override 'n_ics' is not of the form key=value"
    assert error(cdir, "=3") == "override '=3' is not of the form key=value"


def test_file_errors_name_the_file(cdir):
    (cdir / "bad.toml").write_text('[quick]\nn_ics = "many"\n[full]\n')
    assert error(cdir, stage="bad").endswith("got 'many' in " + str(cdir / "bad.toml") + " [quick]")
    (cdir / "tables.toml").write_text("[quick]\n[fast]\n")
    assert "has table [fast]; allowed tables: quick, full" in error(cdir, stage="tables")
    (cdir / "onlyquick.toml").write_text("[quick]\n")
    assert error(cdir, stage="onlyquick", profile="full").endswith("has no [full] table")
    assert error(cdir, stage="absent").startswith("no config file ")
    (cdir / "broken.toml").write_text("[quick\n")
    assert "is not valid TOML" in error(cdir, stage="broken")


def test_required_field_without_value(cdir):
    (cdir / "req.toml").write_text("[quick]\n[full]\nn = 1\n")
    assert error(cdir, stage="req", cls=Required).startswith("config key 'n' has no value; set it in ")
    assert load(cdir, stage="req", cls=Required, profile="full") == Required(n=1)
    assert load(cdir, "n=3", stage="req", cls=Required) == Required(n=3)


def test_config_to_dict_is_json(cdir):
    cfg = load(cdir, 'systems=["A","B"]')
    d = config_to_dict(cfg)
    assert d["systems"] == ["A", "B"]
    assert json.loads(json.dumps(d)) == d


def test_describe_fields():
    lines = describe_fields(Cfg)
    assert lines[0] == "n_ics: int = 4 min=1 initial conditions"
    assert any(line.startswith("method: str = 'dopri8' choices=") for line in lines)


@pytest.fixture(scope="module")
def mdir(tmp_path_factory):
    path = tmp_path_factory.mktemp("configs")
    (path / "x.toml").write_text("[quick]\n[full]\n")
    return path


@settings(max_examples=50, deadline=None)
@given(n=st.integers(min_value=1, max_value=2**62))
def test_int_overrides_round_trip(mdir, n):
    assert load_config(Cfg, "x", "quick", [f"n_ics={n}"], config_dir=mdir).n_ics == n


@settings(max_examples=100, deadline=None)
@given(x=st.floats(allow_nan=False, allow_infinity=True, max_value=0.999))
def test_float_overrides_round_trip(mdir, x):
    got = load_config(Cfg, "x", "quick", [f"rtol={x!r}"], config_dir=mdir).rtol
    assert got == x and math.copysign(1, got) == math.copysign(1, x)
