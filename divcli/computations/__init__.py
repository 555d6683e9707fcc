"""What the commands compute, each a computation of the engine: kl/ce/entropy, the measure sets, explain, libraries, distill."""
