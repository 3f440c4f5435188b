"""Running form from phone video: quality gate, gait events, knee-relevant metrics, report.

Pure core (no I/O): geometry, events, metrics_side, metrics_frontal, quality, findings,
compare. I/O lives in strideback.video (decode, pose, annotated video) and form.report /
form.service.
"""
