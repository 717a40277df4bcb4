"""`opsrhythm retro ...` against ProcessRetroWorkflow on the dev server (fake emails, the real
store activities): a retro driven through every stage by CLI commands, and the refusals on the
way. Ana facilitates; Emma, Farid and Grace take part."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from opsrhythm.platform.actions.follow_up import follow_up_workflow_id
from opsrhythm.platform.actions.store import ActionStore
from opsrhythm.rituals.process_retro import handlers
from opsrhythm.rituals.process_retro.store import RetroStore
from tests.databases import sqlite_url
from tests.process_retro.retro_fakes import ANA, EMMA, FARID, GRACE, stage
from tests.process_retro.retro_live import environment, live_retro, retro_cli


async def test_a_retro_driven_through_every_stage_by_the_cli(
    dev_server_env: WorkflowEnvironment,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    url = sqlite_url(tmp_path / "opsrhythm.db")
    environment(monkeypatch, url)
    client = dev_server_env.client

    # Each person runs the commands from their own OS account, which approvals.cli_users
    # maps to them: retro mine/edit/delete refuse a caller known by --as alone.
    users = {person.email.split("@")[0]: person.email for person in (ANA, EMMA, FARID, GRACE)}
    monkeypatch.setattr(handlers, "cli_users_of", lambda args, context: users)

    async def cli(*argv: str) -> tuple[int, str, str]:
        if "--as" in argv:
            account = argv[argv.index("--as") + 1].split("@")[0]
            monkeypatch.setattr(handlers, "os_user", lambda: account)
        return await retro_cli(client, capsys, *argv)

    async with live_retro(client, url) as handle:
        wf = handle.id
        await stage(handle, "collecting")  # no open action: no action review
        added = [
            await cli("retro", "add", "--retro", wf, "--as", EMMA.email, "--prompt", "stop", t)
            for t in ("Release notes go out late every time", "Nobody reads the changelog")
        ]
        signed = await cli(
            "retro", "add", "--retro", wf, "--as", FARID.email, "--prompt", "start",
            "Pair on the changelog", "--sign",
        )  # fmt: skip
        grace = await cli(
            "retro", "add", "--retro", wf, "--as", GRACE.email, "--prompt", "stop",
            "release notes late again",
        )  # fmt: skip
        not_hers = await cli("retro", "edit", wf, "I1", "mine now", "--as", FARID.email)
        outsider = await cli(
            "retro", "add", "--retro", wf, "--as", ANA.email, "--prompt", "stop", "Too slow"
        )
        bad_prompt = await cli(
            "retro", "add", "--retro", wf, "--as", EMMA.email, "--prompt", "glad", "x"
        )
        edited = await cli("retro", "edit", wf, "I2", "Nobody reads the changelog at all",
                           "--as", EMMA.email)  # fmt: skip
        mine = await cli("retro", "mine", wf, "--as", EMMA.email)
        assert [0, 0, 0, 0] == [code for code, _, _ in [*added, signed, grace]]
        assert "I1 added to" in added[0][1] and "anonymous" in added[0][1]
        assert "signed Farid Haddad" in signed[1]
        assert (1, "refused: I1 is not one of your items") == (
            not_hers[0], not_hers[2].strip().split(": ", 1)[1]
        )  # fmt: skip
        assert (1, f"refused: {ANA.email} is not a participant of {wf}") == (
            outsider[0], outsider[2].strip().split(": ", 1)[1]
        )  # fmt: skip
        assert (2, 0) == (bad_prompt[0], edited[0])
        assert "'glad' is not one of start, stop, continue" in bad_prompt[2]
        assert ["I1", "I2"] == [line.split()[0] for line in mine[1].splitlines()[:2]]
        assert "at all" in mine[1] and "your votes: none" in mine[1]

        assert 0 == (await cli("retro", "advance", wf, "--as", ANA.email))[0]
        grouping = await stage(handle, "grouping")
        listed = await cli("retro", "groups", wf)
        by_emma = await cli("retro", "group", wf, "--merge", "G1", "G2", "--as", EMMA.email)
        split = await cli("retro", "group", wf, "--split", "G1", "I4", "--as", ANA.email)
        merged = await cli("retro", "group", wf, "--merge", "G1", "G4", "--as", ANA.email)
        assert 3 == grouping.counts.groups
        assert "G1: Release notes go out late every time" in listed[1]
        assert "  I4 [stop] release notes late again" in listed[1]
        assert "I3 [start] Pair on the changelog (signed Farid Haddad)" in listed[1]
        assert (1, f"refused: only the facilitator of {wf} (Ana Silva) may") == (
            by_emma[0], by_emma[2].strip().split(": ", 1)[1]
        )  # fmt: skip
        assert (0, "split off as G4") == (split[0], split[1].splitlines()[-1])
        assert (0, "merged into G1") == (merged[0], merged[1].splitlines()[-1])

        assert 0 == (await cli("retro", "advance", wf, "--as", ANA.email))[0]
        await stage(handle, "voting")
        late_item = await cli(
            "retro", "add", "--retro", wf, "--as", EMMA.email, "--prompt", "stop", "Late"
        )
        too_many = await cli("retro", "vote", wf, "G1", "G1", "G1", "G1", "--as", EMMA.email)
        votes = [
            await cli("retro", "vote", wf, "G1", "G1", "G2", "--as", EMMA.email),
            await cli("retro", "vote", wf, "G1", "--as", FARID.email),
            await cli("retro", "vote", wf, "G3", "--as", GRACE.email),
            await cli("retro", "vote", wf, "G2", "--as", GRACE.email),
        ]
        regroup = await cli("retro", "group", wf, "--merge", "G1", "G2", "--as", ANA.email)
        assert (1, 2) == (late_item[0], too_many[0])
        assert "stage 'voting'; items are added only while it is 'collecting'" in late_item[2]
        assert "G1: at most 3 dot(s) on one group" in too_many[2]
        assert [0, 0, 0, 0] == [code for code, _, _ in votes]
        assert (1, "refused: votes have been cast: regrouping now would move them") == (
            regroup[0], regroup[2].strip().split(": ", 1)[1]
        )  # fmt: skip

        assert 0 == (await cli("retro", "advance", wf, "--as", ANA.email))[0]
        at_actions = await stage(handle, "actions")
        action = await cli(
            "retro", "action", wf, "--group", "G1", "--owner", "farid", "--due", "2026-12-18",
            "--title", "Post release notes in #general", "--as", ANA.email,
        )  # fmt: skip
        assert (0, f"{wf}-1: recorded for Farid Haddad, due 2026-12-18") == (
            action[0], action[1].strip()
        )  # fmt: skip
        assert (4, 3, 5, 3) == (
            at_actions.counts.items,
            at_actions.counts.participants,
            at_actions.counts.votes,
            at_actions.counts.voters,
        )
        assert 0 == (await cli("retro", "advance", wf, "--as", ANA.email))[0]
        result = await handle.result()
        await client.get_workflow_handle(follow_up_workflow_id(wf)).terminate("test done")

    store, actions = RetroStore.from_url(url), ActionStore.from_url(url)
    ranked = store.ranked_groups(wf)
    assert [("G1", 3), ("G2", 2)] == [(g.group_id, g.votes) for g in ranked[:2]]
    assert ["Post release notes in #general"] == [a.title for a in actions.find(origin=wf)]
    assert "summary sent" == result.stage
    store.close()
    actions.close()
