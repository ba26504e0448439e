"""Candidate profiles: import formats, the profile table and the embedded tantivy index."""
