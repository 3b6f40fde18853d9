"""Reports (built by another helper; a placeholder so the layer contract resolves)."""
