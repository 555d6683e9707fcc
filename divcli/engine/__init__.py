"""The one loop every computation runs, its start (the first blocks), its threads and its collector."""
