"""HTML views for patients."""
