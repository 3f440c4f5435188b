"""The exercise library: `exercises.yaml` (data with evidence labels) + stick-figure SVGs."""

from strideback.exercises.library import Exercise, get_exercise, load_exercises, routine

__all__ = ["Exercise", "get_exercise", "load_exercises", "routine"]
