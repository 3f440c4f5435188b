"""Video I/O for form analysis: decoding, pose backends, annotated output, metronome audio."""
