"""Progress on stderr: lines at the caller's interval off a terminal, a bar with ETA on one."""

from __future__ import annotations

import io

import pytest

from psychometrics.cli._progress import Progress


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_lines_at_the_interval_then_a_final_line():
    clock, out = FakeClock(), io.StringIO()
    bar = Progress("fit", 4, unit="forms", interval=2.0, stream=out, clock=clock, tty=False)
    for done, t in ((0, 0.0), (1, 1.0), (2, 2.5), (3, 3.0)):
        clock.now = 100.0 + t
        bar.update(done)
    clock.now = 110.0
    bar.close()
    lines = out.getvalue().splitlines()
    assert [line.split("  ")[1] for line in lines] == ["0/4 forms", "2/4 forms", "4/4 forms"]
    assert "\r" not in out.getvalue()
    # 2 of 4 done after 2.5 s: 2.5 s to go, shown rounded to whole seconds
    assert "ETA 0:02" in lines[1] and lines[2].endswith("elapsed 0:10  done")


def test_a_terminal_gets_a_bar_redrawn_in_place():
    clock, out = FakeClock(), io.StringIO()
    bar = Progress("em", 10, unit="EM steps", interval=5.0, stream=out, clock=clock, tty=True)
    clock.now += 30.0
    bar.update(5, "pattern 5")
    bar.close()
    text = out.getvalue()
    assert text.startswith("\r") and text.endswith("\n")
    assert "[" + "#" * 12 + "." * 12 + "]" in text
    assert "ETA 0:30" in text and "10/10 EM steps" in text


def test_interval_zero_is_silent_and_a_bad_interval_is_refused():
    out = io.StringIO()
    bar = Progress("fit", 2, unit="forms", interval=0, stream=out, tty=False)
    bar.update(1)
    bar.close()
    assert out.getvalue() == ""
    with pytest.raises(ValueError, match="interval"):
        Progress("fit", 2, unit="forms", interval=float("nan"))
