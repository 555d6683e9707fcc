"""The arithmetic: numpy kernels (plain), the accurate kernels (numpy's, and numba's fused ones chosen by
fast_path), and operands read as distributions."""
