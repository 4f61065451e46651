"""Live progress: the rate estimate, the line's formatting, a redrawn line on a terminal and
plain log lines elsewhere. A fake clock makes every figure exact; nothing here waits."""

import io
import logging

import pytest

from engine.runner.progress import (
    CLEAR_TO_END,
    PhaseProgress,
    RateMeter,
    format_duration,
    format_rate,
    progress_line,
)


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def info_logs(caplog):
    caplog.set_level(logging.INFO, logger="loomery")
    return caplog


def test_durations_and_rates_format_for_people():
    assert [format_duration(s) for s in (0, 42.4, 60, 185, 3600, 7620, None, float("inf"))] == [
        "0s", "42s", "1m00s", "3m05s", "1h00m", "2h07m", "?", "?"]
    assert [format_rate(r) for r in (0.5, 12.34, 1234.5, None)] == ["0.50", "12.3", "1,234", "?"]


def test_line_with_records_and_without():
    assert progress_line("phase 1/2", 3, 10, 300, 1000, 50.0, 14.0) == (
        "phase 1/2: 3/10 units, 300/1,000 records, 50.0 records/s, 14s left")
    assert progress_line("phase 2/2", 2, 4, None, None, 0.25, 8.0) == (
        "phase 2/2: 2/4 units, 0.25 units/s, 8s left")
    assert progress_line("phase 1/1", 4, 4, 10, 10, None, None).endswith("? records/s, 0s left")


def test_rate_is_exact_for_a_steady_rate_whatever_the_spacing():
    for spacing in (0.5, 30.0, 600.0):
        meter = RateMeter(start=0.0, tau=30.0)
        for i in range(1, 20):
            meter.add(10, i * spacing)
        assert meter.rate() == pytest.approx(10 / spacing)


def test_rate_forgets_a_slow_start_and_takes_bursts():
    meter = RateMeter(start=0.0, tau=10.0)
    meter.add(1, 100.0)  # workers took 100 s to start
    for i in range(1, 101):
        meter.add(1, 100.0 + i)  # then one per second
    assert meter.rate() == pytest.approx(1.0, rel=0.01)
    meter.add(5, 200.0)  # five more finish at the same instant
    assert meter.rate() > 1.0
    assert RateMeter(start=5.0).rate() is None


def test_terminal_gets_one_redrawn_line_then_a_log_line(info_logs):
    clock, term = Clock(), Terminal()
    progress = PhaseProgress("phase 1/1", 4, 0, {0: 10, 1: 10, 2: 20, 3: 20}, stream=term, clock=clock)
    for unit in range(3):
        clock.now += 2
        progress(unit)
    drawn = term.getvalue()
    assert "\n" not in drawn and drawn.count("\r") == 3
    assert drawn.endswith("phase 1/1: 3/4 units, 40/60 records, 6.78 records/s, 3s left" + CLEAR_TO_END)
    assert not info_logs.records  # the terminal line replaces log lines while running
    clock.now += 2
    progress(3)
    assert term.getvalue().endswith("\r" + CLEAR_TO_END)  # cleared, then logged once
    assert [r.getMessage() for r in info_logs.records] == [
        "phase 1/1: 4/4 units, 60/60 records, 7.67 records/s, 0s left"]


def test_logs_get_a_plain_line_per_interval_and_at_the_end(info_logs):
    clock, pipe = Clock(), io.StringIO()
    progress = PhaseProgress("phase 2/3", 10, 2, stream=pipe, clock=clock, interval=30.0)
    for unit in range(8):
        clock.now += 10
        progress(unit)
    assert pipe.getvalue() == ""  # nothing drawn: not a terminal
    assert [r.getMessage() for r in info_logs.records] == [
        "phase 2/3: 5/10 units, 0.10 units/s, 50s left",
        "phase 2/3: 8/10 units, 0.10 units/s, 20s left",
        "phase 2/3: 10/10 units, 0.10 units/s, 0s left",
    ]


def test_quiet_logger_shows_nothing(caplog):
    caplog.set_level(logging.WARNING, logger="loomery")
    term = Terminal()
    progress = PhaseProgress("phase 1/1", 2, 0, stream=term, clock=Clock())
    progress(0)
    progress(1)
    assert term.getvalue() == "" and not caplog.records
    assert progress.done == 2


def test_a_unit_missing_from_the_records_map_counts_as_none(info_logs):
    clock = Clock()
    progress = PhaseProgress("p", 2, 0, {0: 5}, stream=io.StringIO(), clock=clock)
    clock.now += 1
    progress(1)
    assert progress.records_done == 0 and progress.done == 1
