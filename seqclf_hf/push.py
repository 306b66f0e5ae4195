"""Push a trained output_dir to the Hugging Face Hub with its model card.

python -m seqclf_hf.push outputs/lstm your-name/trec-lstm [--private]
"""

import argparse
import sys

from .errors import UserInputError
from .hub import push_output_dir


def main(argv: list[str] | None = None, prog: str = "python -m seqclf_hf.push") -> None:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument("output_dir", help="a folder written by seqclf-hf train (recipes/train.py)")
    parser.add_argument("repo_id", help="the Hub repo to create or update, e.g. your-name/trec-lstm")
    parser.add_argument("--private", action="store_true", help="create the repo as private")
    args = parser.parse_args(argv)
    try:
        url = push_output_dir(args.output_dir, args.repo_id, private=args.private)
    except UserInputError as error:
        sys.exit(f"error: {error}")
    print(f"Pushed {args.output_dir} to {url}")


if __name__ == "__main__":
    main()
