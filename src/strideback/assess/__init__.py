"""The knee check (pure): red flags, pain-location routing and the Kujala score.

Data lives in `questions.yaml` (with citations); these modules interpret it.
"""
