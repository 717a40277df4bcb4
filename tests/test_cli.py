"""The opsrhythm CLI: exit codes and one-line errors, without a Temporal server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import starter
from opsrhythm.config import OpsRhythmConfig
from tests.conftest import EXAMPLE_CONFIG, REPO


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = starter.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_validate_example(capsys: pytest.CaptureFixture[str]) -> None:
    """A valid config exits 0 and says what it defines."""
    code, out, _ = run_cli(capsys, "validate", "--config", str(EXAMPLE_CONFIG))
    assert 0 == code
    assert "is valid: 11 people, 6 audiences, 2 sources, 9 KPIs, 3 rituals" in out


def test_validate_broken_config_exits_2_with_paths(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Every problem is one stderr line with the YAML path; no traceback."""
    broken = tmp_path / "broken.yaml"
    text = EXAMPLE_CONFIG.read_text().replace("owner: hugo", "owner: hugh")
    broken.write_text(
        text.replace(
            "[leadership, growth-squad, retention-squad, sales,",
            "[leadership, salez, retention-squad, sales,",
        )
    )
    code, _, err = run_cli(capsys, "validate", "--config", str(broken))
    assert 2 == code
    lines = err.strip().splitlines()
    assert [
        f"{broken}: kpis[1].owner",
        f"{broken}: rituals[0].audiences[1]",
    ] == [line.split(" (line")[0] for line in lines]
    assert "Traceback" not in err


def test_config_from_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --config, $OPSRHYTHM_CONFIG names the file."""
    monkeypatch.setenv("OPSRHYTHM_CONFIG", str(EXAMPLE_CONFIG))
    assert 0 == run_cli(capsys, "validate")[0]


def test_missing_default_config(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No file anywhere: exit 2 and a hint about --config."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPSRHYTHM_CONFIG", raising=False)
    code, _, err = run_cli(capsys, "validate")
    assert (
        2,
        "opsrhythm.yaml: file: not found (pass --config FILE or set OPSRHYTHM_CONFIG)\n",
    ) == (code, err)


def test_missing_config_named_by_the_environment(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """$OPSRHYTHM_CONFIG naming no file: the message says where the name came from."""
    monkeypatch.setenv("OPSRHYTHM_CONFIG", str(tmp_path / "gone.yaml"))
    code, _, err = run_cli(capsys, "validate")
    assert (2, f"{tmp_path}/gone.yaml: file: not found (named by $OPSRHYTHM_CONFIG)\n") == (
        code,
        err,
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["run", "weekly", "--period", "2026-10"],
            "opsrhythm: unknown ritual 'weekly' (known: monthly-kpi-report, "
            "quarterly-strategy-review, process-retro)\n",
        ),
        (
            ["run", "monthly-kpi-report", "--period", "2026-13"],
            "opsrhythm: --period: period '2026-13' is not a month in the form YYYY-MM\n",
        ),
        (
            ["preview", "monthly-kpi-report", "--period", "Oct", "--out", "x"],
            "opsrhythm: --period: period 'Oct' is not a month in the form YYYY-MM\n",
        ),
    ],
)
def test_bad_arguments_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    """Unknown rituals and malformed periods are refused before anything starts."""
    code, _, err = run_cli(capsys, *argv, "--config", str(EXAMPLE_CONFIG))
    assert (2, message) == (code, err)


def test_config_schema_matches_docs(capsys: pytest.CaptureFixture[str]) -> None:
    """The printed JSON Schema is the models' schema, and the committed copy is current."""
    code, out, _ = run_cli(capsys, "config", "schema")
    assert 0 == code
    assert OpsRhythmConfig.model_json_schema() == json.loads(out)
    assert json.loads(out) == json.loads((REPO / "docs" / "opsrhythm.schema.json").read_text())


def test_preview_renders_every_audience(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Preview renders one email per audience to files, with no server and no sending."""
    code, out, _ = run_cli(
        capsys,
        "preview",
        "monthly-kpi-report",
        "--period",
        "2026-10",
        "--out",
        str(tmp_path),
        "--config",
        str(EXAMPLE_CONFIG),
    )
    assert 0 == code
    folder = tmp_path / "preview-monthly-kpi-report-2026-10"
    audiences = {"leadership", "growth-squad", "retention-squad", "sales", "support", "marketing"}
    assert audiences == {p.stem for p in folder.glob("*.json")}
    assert "leadership: KPI report: October 2026" in out
    assert "£491,310" in (folder / "leadership.html").read_text()


@pytest.mark.parametrize(
    ("out", "message"),
    [
        ("report.txt", "--out {tmp}/report.txt: is a file, not a folder"),
        ("report.txt/emails", "--out {tmp}/report.txt/emails: Not a directory"),
        ("", "--out {tmp}: cannot write {tmp}/preview-monthly-kpi-report-2026-10: File exists"),
    ],
    ids=["a file", "under a file", "its run folder a file"],
)
def test_preview_to_a_folder_it_cannot_write_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, out: str, message: str
) -> None:
    """`preview --out` naming a file, or a folder it cannot write in: exit 2, one line."""
    (tmp_path / "report.txt").write_text("not a folder")
    (tmp_path / "preview-monthly-kpi-report-2026-10").write_text("not a folder either")
    argv = ["preview", "monthly-kpi-report", "--period", "2026-10", "--out", str(tmp_path / out)]
    code, _, err = run_cli(capsys, *argv, "--config", str(EXAMPLE_CONFIG))
    assert (2, f"opsrhythm: {message.format(tmp=tmp_path)}\n") == (code, err)


def test_run_result_counts_unknown_outcomes_and_says_how_to_settle_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Recipients in doubt after a crash never read as sent: the count and the next step show."""
    from datetime import UTC, datetime

    from opsrhythm.platform.models import DeliveryResult, UnknownRecipient
    from opsrhythm.platform.run_handlers import EXIT_NEEDS_ATTENTION
    from opsrhythm.rituals.kpi_report.commands import print_result
    from opsrhythm.rituals.kpi_report.models import KpiReportResult

    since = datetime(2026, 11, 2, 9, tzinfo=UTC)
    code = print_result(
        KpiReportResult(
            workflow_id="monthly-kpi-report-2026-10",
            ritual_id="monthly-kpi-report",
            period="2026-10",
            archive_location="/archive/x",
            deliveries=[
                DeliveryResult(
                    audience_id="leadership",
                    message_kind="report",
                    transport="sendgrid",
                    sent=["a@acme.example"],
                    unknown=[UnknownRecipient(email="b@acme.example", since=since)],
                )
            ],
        )
    )
    out = capsys.readouterr().out
    assert "leadership: 1 sent, 0 skipped, 0 failed, 1 outcome unknown via sendgrid" in out
    assert (
        "monthly-kpi-report-2026-10: needs attention: 1 recipient(s) with an unknown outcome; "
        "list them with 'opsrhythm ledger unknown', then settle with "
        "'opsrhythm ledger resolve monthly-kpi-report-2026-10 --mark-sent' (or --resend)"
    ) in out
    assert EXIT_NEEDS_ATTENTION == code
