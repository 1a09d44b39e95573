"""Business rules and every write. Plain functions; they flush, never commit."""
