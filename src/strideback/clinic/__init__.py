"""Clinic mode's clinician tools: private notes on a runner (`notes`) and the runner page's
whole timeline (`timeline`)."""
