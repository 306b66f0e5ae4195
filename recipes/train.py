"""Train, evaluate and save any seqclf-hf model family: `seqclf-hf train` from a clone (--help lists the options).

python recipes/train.py --model lstm --train_file train_5500.label
accelerate launch recipes/train.py --model bert --model_name_or_path /path/to/encoder
python recipes/train.py --config my.yaml --num_train_epochs 3   # flags override the YAML
"""

import sys

from seqclf_hf.cli import main

if __name__ == "__main__":
    main(["train", *sys.argv[1:]])
