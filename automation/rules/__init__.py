"""Automation rules: conditions → actions on ticket events and on a schedule.
See docs/architecture/automation-rules.md."""
