"""Hyperparameter search on the dev split, writing the best trial's YAML: `seqclf-hf search` from a clone.

python recipes/search.py --model cnn --train_file train_5500.label --n_trials 20
python recipes/train.py --config outputs/search-cnn/best.yaml --train_file train_5500.label
"""

import sys

from seqclf_hf.cli import main

if __name__ == "__main__":
    main(["search", *sys.argv[1:]])
