"""Business operations. Handlers call these; these never commit (the handler does)."""
