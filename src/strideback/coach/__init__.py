"""The coach: service functions (one per user action) over assess/, plan/ and exercises/."""
