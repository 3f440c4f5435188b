"""The clinician board (clinic mode): each runner's urgency, from the same decisions as Today."""
