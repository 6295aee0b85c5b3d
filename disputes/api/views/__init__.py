"""API views: thin; they fetch through the permission layer, read through selectors and write through services."""
