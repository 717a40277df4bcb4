"""One run of a ritual per period: its workflow id and the command that runs it again."""


def run_workflow_id(ritual_id: str, period: str) -> str:
    """One id per ritual and period, so a second start joins or is refused, never doubles."""
    return f"{ritual_id}-{period}"


def rerun_command(ritual_id: str, period: str) -> str:
    return f"opsrhythm run {ritual_id} --period {period} --wait"
