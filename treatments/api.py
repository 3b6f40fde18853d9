"""API views for treatments."""
