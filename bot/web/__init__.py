"""The web chat's pieces: per-session mailboxes and the page's static files."""
