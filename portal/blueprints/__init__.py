"""One blueprint per feature; each view parses input, calls one service, renders."""
