"""The progress report to bring to an appointment: content (pure), PDF rendering, service."""
