"""How ``run --wait`` prints a finished strategy review (this kind's ``show_result``)."""

from __future__ import annotations

from opsrhythm.platform.periods import Quarter
from opsrhythm.platform.run_handlers import EXIT_NEEDS_ATTENTION, needs_attention_line
from opsrhythm.platform.terminal import utc_iso
from opsrhythm.rituals.strategy_review.models import StrategyReviewResult


def print_result(result: object) -> int:
    """The stage it ended in, the pack, what was missing, the sign-off and each delivery.
    Exits 1 when any email failed, ``EXIT_NEEDS_ATTENTION`` while outcomes are unknown."""
    result = StrategyReviewResult.model_validate(result)
    print(f"Review for {Quarter.parse(result.period).label}: {result.stage}")
    if result.pack_location:
        print(f"  pack: {result.pack_location}")
    if result.missing:
        print(f"  missing updates: {', '.join(result.missing)}")
    if result.approval is not None:
        reason = f": {result.approval.reason}" if result.approval.reason else ""
        rounds = f" after {result.approval.rounds} rounds" if result.approval.rounds > 1 else ""
        print(f"  sign-off: {result.approval.outcome}{rounds}{reason}")
    failed = unknown = 0
    for delivery in result.deliveries:
        failed += len(delivery.failed)
        unknown += len(delivery.unknown)
        print(
            f"  {delivery.audience_id} ({delivery.message_kind}): {len(delivery.sent)} sent, "
            f"{len(delivery.skipped)} skipped, {len(delivery.failed)} failed"
            + (f", {len(delivery.unknown)} outcome unknown" if delivery.unknown else "")
        )
        for recipient in delivery.failed:
            print(f"    not sent to {recipient.email}: {recipient.error}")
    if unknown:
        print(needs_attention_line(result.workflow_id, unknown))
        if result.waiting_until is not None:
            print(
                f"{result.workflow_id} waits until {utc_iso(result.waiting_until)} to be "
                "settled: it then sends whoever is released and finishes once no outcome is "
                "unknown"
            )
        return EXIT_NEEDS_ATTENTION
    return 1 if failed else 0
