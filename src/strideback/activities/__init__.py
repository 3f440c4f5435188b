"""Activity import: readers for FIT/GPX/TCX (plain, gzipped, in archives), summary CSVs, and
the services that own the activities tables.

Layout: `sources` streams paths into file items (folders, zip archives member by member, within
budgets); `parse` sniffs each item and runs the right reader (`fit_*`, `gpx`, `tcx`,
`summary_csv`; Strava manual entries from `strava_csv`) into domain `Activity` objects and
drops implausible values (`bounds`, limits in bounds.yaml); `derive` holds the pure maths
(moving time, elevation smoothing, cadence); `laps` fills lap totals and stores laps as JSON;
`local_time` gives GPX/TCX (and FIT files without one) the UTC offset of their starting place,
offline; `sports` maps and, for files that name none, guesses sports (marked as guessed);
`garmin_names` names Garmin export activities from their JSON; `service` imports (one
transaction per file, duplicates resolved toward the richer copy); `queries` is the one door
to the stored activities for every other capability (lists, load totals, history, fingerprint,
delete/restore, CSV export).
"""
