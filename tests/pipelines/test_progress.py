"""Tests for pipelines.progress."""

import pytest

from pipelines.progress import progress

pytestmark = pytest.mark.filterwarnings("error")


def test_yields_items_and_is_quiet_off_a_terminal(capsys, monkeypatch):
    monkeypatch.delenv("FORCE_PROGRESS", raising=False)
    assert list(progress(range(3), desc="work")) == [0, 1, 2]
    assert capsys.readouterr().err == ""


def test_forced_bar_goes_to_stderr(capsys, monkeypatch):
    monkeypatch.setenv("FORCE_PROGRESS", "1")
    assert list(progress(iter("ab"), total=2, desc="letters")) == ["a", "b"]
    captured = capsys.readouterr()
    assert "letters" in captured.err and "2/2" in captured.err and captured.out == ""
