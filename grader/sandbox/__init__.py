"""Running student code in child processes: the fork server, workers, limits, wire format."""
