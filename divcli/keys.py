"""Names the messages use, without numpy. The measures' keys and aliases are the catalogue's
(:mod:`divcli.measures`)."""

#: The operands of js and compare in messages: P, Q, then R, S, … (at most 11).
ROLES = "PQRSTUVWXYZ"
