"""API views for patients."""
