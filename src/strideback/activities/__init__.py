"""Activity import: readers for FIT/GPX/TCX (plain, gzipped, in archives), and the import service.

Layout: `sources` turns paths into in-memory file items (folders, gzip, zip archives, safely);
`parse` sniffs each item and runs the right reader (`fit_*`, `gpx`, `tcx`) into domain
`Activity` objects; `derive` holds the pure maths (moving time, elevation smoothing, cadence);
`laps` fills lap totals and stores laps as JSON; `local_time` gives GPX/TCX (and FIT files
without one) the UTC offset of their starting place, offline (tzfpy + zoneinfo); `sports`
maps and, for files that name none, guesses sports (marked as guessed);
`service` stores results (one transaction per file), answers queries and corrects sports.
"""
