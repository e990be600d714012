"""Pure numpy forward/backward pairs for everything the course teaches. No state, no torch."""
