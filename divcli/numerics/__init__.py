"""The arithmetic: numpy kernels (plain), the accurate kernels, and operands read as distributions."""
