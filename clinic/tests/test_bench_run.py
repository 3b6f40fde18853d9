"""bench/run.py's choices and report: which parts run, and the messages run read defensively
from the last line of its output (issue 13 item 1). No database, no server."""

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import run as bench  # noqa: E402 - bench/run.py, a script beside the apps

FULL = {
    "messages": 10000,
    "seconds": 12.5,
    "messages_per_s": 800.0,
    "bare_celery_per_s": 1200.0,
    "ratio_to_bare_celery": 0.67,
    "queries_per_batch": 4,
    "by_workers": {"1": 450.0, "2": 800.0},
    "sent_exactly_once": True,
}


def test_sections_alone_run_no_wrk_target():
    args = bench.parse_args(["--only", "booking,proposal"])
    assert bench.select_targets(args.only) == []
    assert bench.selected("booking", args) and bench.selected("proposal", args)
    assert not bench.selected("messages", args)


def test_a_target_named_runs_beside_the_bare_view_and_no_section():
    args = bench.parse_args(["--only", "patient_list"])
    assert [t.name for t in bench.select_targets(args.only)] == ["bare_django", "patient_list"]
    assert not any(bench.selected(section, args) for section in bench.SECTIONS)


def test_everything_runs_by_default_and_skip_messages_leaves_out_the_messages_run():
    assert all(bench.selected(s, bench.parse_args([])) for s in bench.SECTIONS)
    args = bench.parse_args(["--skip-messages"])
    assert not bench.selected("messages", args) and bench.selected("booking", args)


def test_an_unknown_name_is_refused():
    with pytest.raises(SystemExit):
        bench.parse_args(["--only", "bookings"])


def test_the_messages_run_is_read_from_its_last_line(tmp_path, monkeypatch):
    script = tmp_path / "messages.py"
    script.write_text(
        "import sys\n"
        "assert sys.argv[1:] == ['--database-url', 'postgres://db', '--broker-url', 'redis://b']\n"
        "print('Seeding ...')\n"
        f"print({json.dumps(json.dumps(FULL))})\n"
    )
    monkeypatch.setattr(bench, "MESSAGES_SCRIPT", script)
    monkeypatch.setattr(bench, "RESULTS_DIR", tmp_path)
    args = bench.parse_args(["--database-url", "postgres://db", "--broker-url", "redis://b"])
    assert bench.run_messages(args) == FULL


def test_a_messages_run_without_a_json_last_line_is_reported_with_its_tail(tmp_path, monkeypatch):
    script = tmp_path / "messages.py"
    script.write_text("import sys\nprint('usage: messages.py', file=sys.stderr)\nsys.exit(2)\n")
    monkeypatch.setattr(bench, "MESSAGES_SCRIPT", script)
    monkeypatch.setattr(bench, "RESULTS_DIR", tmp_path)
    found = bench.run_messages(bench.parse_args([]))
    assert found["error"] == "bench/messages.py exited 2 without a JSON last line"
    assert found["tail"] == ["usage: messages.py"]


def test_the_report_prints_the_messages_figures(capsys):
    bench.print_messages(FULL)
    out = capsys.readouterr().out
    assert "10,000 messages in 12.5 s: 800.0/s; bare Celery 1,200.0/s" in out
    assert "(ratio 0.67)" in out
    assert "1: 450.0/s; 2: 800.0/s" in out
    assert "lacks" not in out


def test_missing_keys_are_named_and_what_there_is_is_printed(capsys):
    bench.print_messages({"messages_per_s": 300.0, "other": 1})
    out = capsys.readouterr().out
    assert "lacks messages, seconds, bare_celery_per_s" in out
    assert '"other": 1' in out
    assert "300.0/s" in out


def test_the_booking_table_lists_each_series_size(capsys):
    row = {"requests": 15, "p50_ms": 21.5, "p90_ms": 25.0, "queries": [14, 15]}
    bench.print_booking({"bookings_each": 15, "by_sessions": {"1": row, "6": row}})
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2].split() == ["1", "21.5", "25.0", "14,", "15"]
    assert lines[-1].split()[0] == "6"
