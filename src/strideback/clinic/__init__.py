"""Clinic mode's clinician tools: the board (each runner's urgency, from the same decisions as
Today: `triage`, `summary`, `board`), private notes on a runner (`notes`) and the runner page's
whole timeline (`timeline`)."""
