"""Push a trained output_dir to the Hugging Face Hub with its model card.

seqclf-hf push outputs/lstm your-name/trec-lstm [--private]
"""

from .cli import CommandParser
from .hub import push_output_dir


def main(argv: list[str] | None = None, prog: str = "seqclf-hf push") -> None:
    parser = CommandParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument("output_dir", help="a folder written by seqclf-hf train (recipes/train.py)")
    parser.add_argument("repo_id", help="the Hub repo to create or update, e.g. your-name/trec-lstm")
    parser.add_argument("--private", action="store_true", help="create the repo as private")
    args = parser.parse_args(argv)
    url = push_output_dir(args.output_dir, args.repo_id, private=args.private)
    print(f"Pushed {args.output_dir} to {url}")


if __name__ == "__main__":
    from .cli import run_command  # user errors are answered in one place, as for `seqclf-hf push`

    run_command("push")
