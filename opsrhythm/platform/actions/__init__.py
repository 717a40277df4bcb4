"""Actions that rituals record (a review's decisions, a retrospective's follow-ups): one store,
one set of commands, reminders before the due date and a notice when overdue."""
