"""The commands, a few to a module: each parses its options, calls the library and picks a sink."""
