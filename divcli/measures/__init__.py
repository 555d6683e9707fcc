"""The measures: their catalogue (names, formulas, ranges) and their numpy kernels."""
