"""The return-to-run plan (pure): ladder of steps, pain-monitoring decisions, schedule, iCal."""
