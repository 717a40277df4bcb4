"""Actions and decisions that any ritual records: one store, one set of commands, reminders
before the due date and a notice when overdue."""
