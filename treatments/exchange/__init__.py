"""Placeholder so the layers contract names a package that exists; its owner fills it."""
