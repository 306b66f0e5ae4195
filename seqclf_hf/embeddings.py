"""Pretrained token vectors for the non-pretrained families: one row per token of *our* tokenizer.

Two sources: the input embeddings of a pretrained Hugging Face encoder (a Hub id or a local folder), or a word-vector
file in GloVe / word2vec text format (`token v1 v2 ...` per line; word2vec's `count dim` header line is skipped).
Tokens the source has no vector for keep the model's random initialisation and are reported. The vectors are scaled
to unit standard deviation, whatever the source's own scale.
"""

import logging
from dataclasses import dataclass
from pathlib import Path

import torch

from .errors import ModelSetupError

logger = logging.getLogger(__name__)

MISSING_EXAMPLES = 10


@dataclass
class TokenVectors:
    """`vectors[i]` is token id i's vector where `found[i]`; `missing` lists the tokens with none."""

    vectors: torch.Tensor
    found: torch.Tensor
    missing: list[str]

    @property
    def dim(self) -> int:
        return self.vectors.shape[1]

    def scaled_to_unit_std(self) -> "TokenVectors":
        """The same vectors divided by one factor, so that together they have standard deviation 1.

        Sources come in different scales (a pretrained encoder's input embeddings, a GloVe file, our random start);
        on one scale the recipes' learning rates suit any source.
        """
        scale = self.vectors[self.found].std()
        return TokenVectors(self.vectors / scale if scale > 0 else self.vectors, self.found, self.missing)


def vocabulary(tokenizer) -> list[str]:
    """Our tokens ordered by id."""
    by_id = sorted(tokenizer.get_vocab().items(), key=lambda item: item[1])
    return [token for token, _ in by_id]


def from_encoder(encoder_tokenizer, table: torch.Tensor, tokens: list[str]) -> TokenVectors:
    """Rows of an encoder's input embedding `table`; a token the encoder splits into pieces gets the pieces' mean."""
    encoder_vocab = encoder_tokenizer.get_vocab()
    vectors = torch.zeros(len(tokens), table.shape[1])
    found = torch.zeros(len(tokens), dtype=torch.bool)
    for index, token in enumerate(tokens):
        if token in encoder_vocab:
            ids = [encoder_vocab[token]]
        else:
            pieces = encoder_tokenizer.encode(token, add_special_tokens=False)
            ids = [i for i in pieces if i != encoder_tokenizer.unk_token_id]
        if ids:
            vectors[index] = table[ids].detach().mean(0)
            found[index] = True
    return TokenVectors(vectors, found, [token for token, hit in zip(tokens, found, strict=True) if not hit])


def is_word2vec_header(line_number: int, parts: list[str]) -> bool:
    """word2vec's first line: vector count and size."""
    return line_number == 1 and len(parts) == 2 and all(part.isdigit() for part in parts)


def words_in_text_file(path: Path) -> list[str]:
    """The words of a GloVe / word2vec text file in file order (GloVe's is most frequent first)."""
    words = []
    with path.open(encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, start=1):
            parts = line.rstrip().split(" ", 2)  # the word, and the values unsplit
            if is_word2vec_header(number, parts):
                continue
            if len(parts) > 1:
                words.append(parts[0])
    return words


def from_text_file(path: Path, tokens: list[str]) -> TokenVectors:
    """Rows of a GloVe / word2vec text file; only the lines for our tokens are kept (the file may be large)."""
    wanted = {token: index for index, token in enumerate(tokens)}
    rows: dict[int, list[str]] = {}
    exact: set[int] = set()  # rows from a same-case line, which a case-folded one ("Paris" for "paris") never replaces
    dim = None
    with path.open(encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, start=1):
            parts = line.rstrip().split(" ")
            if is_word2vec_header(number, parts):
                continue
            if len(parts) < 2:
                continue  # blank line
            dim = dim or len(parts) - 1
            if len(parts) - 1 != dim:
                raise ModelSetupError(
                    f"{path} line {number} has {len(parts) - 1} values, earlier lines {dim}: a GloVe/word2vec text "
                    "file has `token v1 v2 ...` with the same number of values on every line."
                )
            word = parts[0]
            if word in wanted:
                rows[wanted[word]] = parts[1:]
                exact.add(wanted[word])
            elif word.lower() in wanted and wanted[word.lower()] not in exact:
                rows.setdefault(wanted[word.lower()], parts[1:])
    if dim is None:
        raise ModelSetupError(f"{path} has no vectors: expected lines like `the 0.418 0.24968 ...`.")
    vectors = torch.zeros(len(tokens), dim)
    found = torch.zeros(len(tokens), dtype=torch.bool)
    try:
        for index, values in rows.items():
            vectors[index] = torch.tensor([float(value) for value in values])
            found[index] = True
    except ValueError as error:
        raise ModelSetupError(f"{path} has a value that is not a number ({error}).") from error
    return TokenVectors(vectors, found, [token for token, hit in zip(tokens, found, strict=True) if not hit])


def report(token_vectors: TokenVectors, source: str) -> None:
    """Refuse vectors that cover nothing; log how many tokens have none, with examples."""
    vocab_size = len(token_vectors.found)
    if not token_vectors.found.any():
        raise ModelSetupError(
            f"None of the {vocab_size} tokens has a vector in {source}: is it the right file, and does the tokenizer "
            "split text the way the vectors were made (e.g. lower-cased words)?"
        )
    if token_vectors.missing:
        logger.warning(
            "%d of %d vocabulary tokens have no vector in %s and keep a random initialisation, e.g. %s",
            *(len(token_vectors.missing), vocab_size, source, token_vectors.missing[:MISSING_EXAMPLES]),
        )
    else:
        logger.info("All %d vocabulary tokens have a vector in %s.", vocab_size, source)


def copy_into(embeddings: torch.nn.Embedding, token_vectors: TokenVectors, freeze: bool) -> None:
    """Overwrite the rows that have a vector (the padding row stays zero); `freeze` stops training the table."""
    with torch.no_grad():
        embeddings.weight[token_vectors.found] = token_vectors.vectors[token_vectors.found]
        if embeddings.padding_idx is not None:
            embeddings.weight[embeddings.padding_idx] = 0
    embeddings.weight.requires_grad_(not freeze)
