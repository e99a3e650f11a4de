"""The meeting journal on disk: crash recovery, tampering, hostile files, several writers."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from meeting_journals import CHAIR, Builder, indicator

from techgate.cli import ExitCode, cli
from techgate.errors import InvalidInputError
from techgate.meeting.events import AnswerGiven, Attendance, NoteAdded, RoundOpened
from techgate.meeting.journal import MAX_LINE, Journal, read_journal

AT = dt.datetime(2026, 3, 4, 10, 0, tzinfo=dt.UTC)
ACC = indicator("accuracy")


def written(tmp_path: Path, journal: Builder, tail: bytes = b"") -> Path:
    path = tmp_path / "p.meeting.jsonl"
    path.write_bytes(journal.bytes() + tail)
    return path


def problem_of(path: Path) -> tuple[int | None, str]:
    with pytest.raises(InvalidInputError) as caught:
        read_journal(path)
    (problem,) = caught.value.problems
    return problem.line, problem.message


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def blind_round() -> Builder:
    return Builder().present("Ana", "Ben").round(1, ACC).answer("Ana", 1, "accuracy", 3)


def test_a_torn_last_line_is_ignored_said_and_cut_by_the_next_append(tmp_path: Path) -> None:
    whole = blind_round()
    torn = whole.lines[-1][:40]
    path = written(tmp_path, Builder().present("Ana", "Ben").round(1, ACC), torn)
    replayed = read_journal(path)
    assert replayed.torn_line == 5 and replayed.state.events == 4
    code, _, err = run("meeting-journal", str(path))
    assert code == 0 and ":5: an unfinished last line (left by a crash) was ignored" in err
    with Journal.open(path) as journal:
        assert journal.torn_line == 5
        journal.append(AnswerGiven(round=1, indicator="accuracy", answer=2), "Ben", AT)
    again = read_journal(path)
    assert again.torn_line is None and again.state.events == 5
    assert path.read_bytes().count(b"\n") == 5 and torn not in path.read_bytes()


@pytest.mark.parametrize(
    ("edit", "line", "words"),
    [
        # A level changed in the middle: the line after no longer follows it.
        (lambda lines: lines.__setitem__(2, lines[2].replace(b'"Ben"', b'"Bob"')), 4, "line 3 was"),
        (lambda lines: lines.pop(2), 3, "event 3 was due"),
        (lambda lines: lines.insert(2, lines[1]), 3, "event 3 was due"),
        # The last line reformatted: no line follows it, but it is not as techgate writes.
        (
            lambda lines: lines.__setitem__(-1, json.dumps(json.loads(lines[-1])).encode()),
            5,
            "edited",
        ),
        (lambda lines: lines.__setitem__(0, b"[]"), 1, "Input should be"),
    ],
)
def test_an_edited_journal_is_refused_at_its_line(
    tmp_path: Path, edit: object, line: int, words: str
) -> None:
    journal = blind_round()
    edit(journal.lines)  # type: ignore[operator]
    path = written(tmp_path, journal)
    found_line, message = problem_of(path)
    assert found_line == line and words in message
    code, _, err = run("meeting-journal", str(path))
    assert code == ExitCode.INVALID and f"p.meeting.jsonl:{line}:" in err


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (b'{"a":"' + b"x" * (10 * 1024 * 1024) + b'"}', f"at most {MAX_LINE:,}"),
        (b'{"seq":1,"by":"\xff\xfe"}', "is not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "nests deeper than 32"),
        (b'{"a":1,"a":2}', "appears twice"),
        (b'{"a":NaN}', "NaN is not a number"),
        (b"\xef\xbb\xbf{}", "is not JSON"),
        (b'"just a string"', "Input should be"),
    ],
)
def test_hostile_lines_are_refused_with_their_line_number(
    tmp_path: Path, bad: bytes, words: str
) -> None:
    path = written(tmp_path, Builder().present("Ana"), bad + b"\n")
    line, message = problem_of(path)
    assert line == 3 and words in message


def test_a_symbolic_link_a_pipe_and_a_folder_are_refused(tmp_path: Path) -> None:
    real = written(tmp_path, Builder())
    link = tmp_path / "link.jsonl"
    link.symlink_to(real)
    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)
    folder = tmp_path / "folder.jsonl"
    folder.mkdir()
    for path, words in (
        (link, "symbolic link"),
        (fifo, "not a regular file"),
        (folder, "is a folder"),
        (tmp_path / "missing.jsonl", "does not exist"),
    ):
        assert words in problem_of(path)[1]
        with pytest.raises(InvalidInputError):
            Journal.open(path, create=path.name != "missing.jsonl")
        code, _, err = run("meeting-journal", str(path))
        assert code == ExitCode.INVALID and words in err
    assert link.is_symlink() and real.read_bytes() == Builder().bytes()


def test_a_journal_replaced_while_open_is_refused(tmp_path: Path) -> None:
    path = written(tmp_path, Builder())
    with Journal.open(path) as journal:
        other = tmp_path / "other.jsonl"
        other.write_bytes(Builder().bytes())
        other.replace(path)
        with pytest.raises(InvalidInputError, match="replaced by another file"):
            journal.append(Attendance(name="Ana", present=True, assessor=True), CHAIR, AT)


def test_an_append_sees_what_another_handle_appended_and_obeys_the_rules(tmp_path: Path) -> None:
    path = written(tmp_path, Builder().present("Ana", "Ben"))
    with Journal.open(path) as chair, Journal.open(path) as ana:
        chair.append(
            RoundOpened(round=1, indicators=(ACC,), timer_seconds=None),  # type: ignore[arg-type]
            CHAIR,
            AT,
        )
        # Ana's handle has not read the round yet; her append catches up first.
        state = ana.append(AnswerGiven(round=1, indicator="accuracy", answer=1), "Ana", AT)
        assert state.rounds[0].answered[0].assessors == ("Ana",)
        with pytest.raises(InvalidInputError, match="already"):
            chair.append(AnswerGiven(round=1, indicator="accuracy", answer=4), "Ana", AT)
        with pytest.raises(InvalidInputError, match="control character"):
            chair.append(NoteAdded.model_construct(text="a\x1b[2Jb", indicator=None), CHAIR, AT)
    assert read_journal(path).state.events == 5


def test_an_event_is_on_disk_when_append_returns(tmp_path: Path) -> None:
    path = tmp_path / "new.jsonl"
    with Journal.open(path, create=True) as journal:
        journal.append(
            Builder().lines and _opened(),  # the first event of a new journal
            CHAIR,
            AT,
        )
        # Another reader, while this handle is still open, sees the whole line.
        assert read_journal(path).state.events == 1
        assert path.read_bytes().endswith(b"\n")


def _opened() -> object:
    from techgate.meeting.events import Opened

    data = json.loads(Builder().lines[0])["data"]
    return Opened.model_validate(data)


WRITER = textwrap.dedent(
    """
    import datetime as dt, sys
    from pathlib import Path
    from techgate.meeting.events import AnswerGiven
    from techgate.meeting.journal import Journal
    path, who, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    at = dt.datetime(2026, 3, 4, 10, 0, tzinfo=dt.UTC)
    with Journal.open(path) as journal:
        for number in range(count):
            journal.append(AnswerGiven(round=1, indicator=f"i{number}", answer=number % 5), who, at)
    """
)


@pytest.mark.slow
def test_two_processes_appending_200_answers_each_lose_nothing(tmp_path: Path) -> None:
    count = 200
    journal = Builder().present("Ana", "Ben").round(1, *(indicator(f"i{n}") for n in range(count)))
    path = written(tmp_path, journal)
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), who, str(count)])
        for who in ("Ana", "Ben")
    ]
    assert [writer.wait(timeout=300) for writer in writers] == [0, 0]
    state = read_journal(path).state  # the chain and every rule checked again
    assert state.events == 4 + 2 * count
    (round_,) = state.rounds
    assert round_.revealed and round_.revealed_by is None
    assert all(len(row.answers) == 2 for row in round_.results)
    assert {(g.assessor, g.indicator) for g in state.answers} == {
        (who, f"i{n}") for who in ("Ana", "Ben") for n in range(count)
    }
