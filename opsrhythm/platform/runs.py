"""One run of a ritual per period: its workflow id, and the commands that run it again or
settle its unknown outcomes."""


def run_workflow_id(ritual_id: str, period: str) -> str:
    """One id per ritual and period, so a second start joins or is refused, never doubles."""
    return f"{ritual_id}-{period}"


def rerun_command(ritual_id: str, period: str) -> str:
    return f"opsrhythm run {ritual_id} --period {period} --wait"


def again_command(ritual_id: str, period: str) -> str:
    """Produces a period again after its run closed without delivering (a rejected draft)."""
    return f"opsrhythm run {ritual_id} --period {period} --again"


LIST_UNKNOWN_COMMAND = "opsrhythm ledger unknown"


def resolve_command(workflow_id: str) -> str:
    """Settles a run's unknown outcomes; ``--resend`` instead releases them to be sent again."""
    return f"opsrhythm ledger resolve {workflow_id} --mark-sent"
