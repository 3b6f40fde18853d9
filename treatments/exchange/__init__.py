"""Data exchange with other systems (built by another helper; a placeholder so the layer contract resolves)."""
