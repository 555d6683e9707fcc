"""torch (CPU, float64): read with pandas, F.kl_div(reduction="none") summed per row, to_csv.

    python torch_kl.py P Q OUT   per-row D(softmax(P) || softmax(Q)) to OUT (CSV, header ``kl``)

P and Q are headerless CSVs of logits (or ``.npy``). torch's argument order: input = log Q,
target = P.
"""

import sys
import warnings

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F


def load(path):
    if path.endswith(".npy"):
        return torch.from_numpy(np.load(path))
    return torch.from_numpy(pd.read_csv(path, header=None, dtype=np.float64).to_numpy())


def main(argv):
    # pandas 3 hands out read-only arrays; torch warns, and nothing here writes to them
    warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
    p_logits, q_logits = load(argv[0]), load(argv[1])
    kl = F.kl_div(F.log_softmax(q_logits, dim=1), F.softmax(p_logits, dim=1), reduction="none").sum(dim=1)
    pd.DataFrame({"kl": kl.numpy()}).to_csv(argv[2], index=False)


if __name__ == "__main__":
    main(sys.argv[1:])
