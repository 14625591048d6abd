"""Progress reporting: lines off a terminal, a bar on one, and log records that do not break the bar."""
import io
import logging
import sys

import pytest

from w2vfast.progress import Progress


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_lines_off_a_terminal_say_share_speed_alpha_and_eta(capsys):
    p = Progress(1_000_000, enabled=True, interval=0)
    p._start -= 2.0  # two seconds into the run
    p.update(250_000, 0, 4, 0.0201)
    p.close()
    line = capsys.readouterr().err.strip()
    assert line == "epoch 1/4:  25.0% done, 0.12 M words/s, alpha 0.02010, ETA 0:00:06", line


def test_lines_wait_for_the_interval_and_the_last_state_is_shown_at_the_end(capsys):
    p = Progress(100, enabled=True, interval=3600)
    for done in range(0, 101, 10):
        p.update(done, 0, 1, 0.025)
    assert capsys.readouterr().err == ""
    p.close()
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("epoch 1/1: 100.0% done")


def test_default_off_a_terminal_goes_to_the_log(caplog, capsys):
    with caplog.at_level(logging.INFO, logger="w2vfast.progress"):
        p = Progress(100, enabled=None, interval=0)
        p.update(50, 1, 2, 0.01)
        p.close()
    assert capsys.readouterr().err == ""
    progress = [r.getMessage() for r in caplog.records if r.getMessage().startswith("PROGRESS")]
    assert len(progress) == 1 and "epoch 2/2:  50.0% done" in progress[0]


def test_disabled_prints_nothing(capsys):
    p = Progress(100, enabled=False, interval=0)
    p.update(50, 0, 1, 0.01)
    p.close()
    assert capsys.readouterr().err == ""


def test_log_records_go_above_the_bar_not_across_it(monkeypatch):
    pytest.importorskip("tqdm")
    term = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", term)
    root = logging.getLogger()
    handler = logging.StreamHandler(term)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    root.addHandler(handler)
    try:
        p = Progress(1000, enabled=None)
        p.update(500, 0, 1, 0.02)
        logging.getLogger("w2vfast.test").warning("halfway there")
        p.update(1000, 0, 1, 0.01)
        p.close()
        assert root.handlers[-1] is handler  # the redirection is undone when the bar closes
    finally:
        root.removeHandler(handler)
    text = term.getvalue()
    # tqdm.write clears the bar's line first, so the record starts a fresh line of its own
    lines = [segment.rsplit("\r", 1)[-1] for segment in text.split("\n")]
    assert "WARNING halfway there" in lines, repr(text)
    assert "1.00k/1.00k" in text


def test_without_tqdm_a_terminal_gets_lines_and_a_warning(monkeypatch, caplog):
    term = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", term)
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm now fails
    with caplog.at_level(logging.WARNING, logger="w2vfast.progress"):
        p = Progress(100, enabled=True, interval=0)
        p.update(100, 0, 1, 0.0001)
        p.close()
    assert "tqdm is not importable" in caplog.text
    assert term.getvalue().startswith("epoch 1/1: 100.0% done")
