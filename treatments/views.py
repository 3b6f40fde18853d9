"""HTML views for treatments."""
