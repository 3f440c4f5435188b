"""Activity import: readers for FIT/GPX/TCX (plain, gzipped, in archives), and the import service.

Layout: `sources` turns paths into in-memory file items (folders, gzip, zip archives, safely);
`parse` sniffs each item and runs the right reader (`fit_*`, `gpx`, `tcx`) into domain
`Activity` objects; `derive` holds the pure maths (moving time, elevation smoothing, cadence);
`service` stores results (one transaction per file) and answers queries.
"""
