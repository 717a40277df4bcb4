"""How ``run --wait`` prints a finished process retro (this kind's ``show_result``)."""

from __future__ import annotations

from opsrhythm.platform.periods import IsoWeek
from opsrhythm.rituals.process_retro.models import ProcessRetroResult


def print_result(result: object) -> int:
    """The stage it ended in, the counts, the summary and each delivery; exits 1 when any
    email failed."""
    result = ProcessRetroResult.model_validate(result)
    counts = result.counts
    print(f"Retro for the cycle from {IsoWeek.parse(result.period).start}: {result.stage}")
    print(
        f"  {counts.items} items from {counts.participants} participants, {counts.groups} "
        f"themes, {counts.votes} votes"
    )
    if result.summary_location:
        print(f"  summary: {result.summary_location}")
    failed = 0
    for delivery in result.deliveries:
        failed += len(delivery.failed)
        print(
            f"  {delivery.audience_id} ({delivery.message_kind}): {len(delivery.sent)} sent, "
            f"{len(delivery.skipped)} skipped, {len(delivery.failed)} failed"
        )
        for recipient in delivery.failed:
            print(f"    not sent to {recipient.email}: {recipient.error}")
    return 1 if failed else 0
