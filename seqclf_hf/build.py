"""Build the tokenizer and the model a `ModelArguments` describes."""

import logging
from contextlib import contextmanager
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers import AutoModel, AutoModelForSequenceClassification, AutoTokenizer, PreTrainedTokenizerFast
from transformers.utils import logging as transformers_logging

from .arguments import ModelArguments
from .embeddings import TokenVectors, copy_into, from_encoder, from_text_file, report, vocabulary, words_in_text_file
from .errors import ModelSetupError
from .hub_access import hub_reachable
from .models import CUSTOM_FAMILIES, PRETRAINED_FAMILY

logger = logging.getLogger(__name__)

DEFAULT_PRETRAINED = "bert-base-uncased"
SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]
# The custom families take no token_type_ids; saving this keeps pipeline() from passing them.
CUSTOM_MODEL_INPUTS = ["input_ids", "attention_mask"]


def load_pretrained(loader, name: str, what: str, alternative: str = "", **kwargs):
    """`loader.from_pretrained(name)` with an error that says what to do when the Hub cannot be reached.

    `what` names the option that gave `name`; `alternative` is another way out, for the message.
    """
    if not Path(name).exists():
        hub_reachable()  # offline, the cache answers (or fails) at once instead of after the client's retries
    try:
        return loader.from_pretrained(name, **kwargs)
    except OSError as error:
        raise ModelSetupError(
            f"Could not load the {what} {name!r}: {error}\nThe Hugging Face Hub may be unreachable: offline, give "
            f"that option a local folder instead{alternative}."
        ) from error


@contextmanager
def quiet_load_report():
    """Without transformers' multi-line LOAD REPORT (a warning) of the classifier head a pretrained encoder lacks:
    a new head is what fine-tuning for classification means, not a problem; its own info line says so."""
    report_logger = transformers_logging.get_logger("transformers.modeling_utils")
    level = report_logger.level
    report_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        report_logger.setLevel(level)


def train_tokenizer(texts: list[str], kind: str, vocab_size: int, extra_words=()) -> PreTrainedTokenizerFast:
    """A lower-cased word-level or WordPiece tokenizer learnt from `texts`, with BERT's special tokens.

    A word-level vocabulary then takes `extra_words` too, while it has room (see add_words).
    """
    if kind == "word":
        tokenizer = Tokenizer(models.WordLevel(unk_token="[UNK]"))
        trainer = trainers.WordLevelTrainer(vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS)
    else:
        tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
        trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS)
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.train_from_iterator(texts, trainer=trainer)
    if extra_words:
        add_words(tokenizer, extra_words, vocab_size)
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B [SEP]",  # a text pair as BERT reads one: the separator between the two texts
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    if kind == "wordpiece":
        tokenizer.decoder = decoders.WordPiece()
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        padding_side="right",
        model_input_names=CUSTOM_MODEL_INPUTS,
    )


def add_words(tokenizer: Tokenizer, words, vocab_size: int) -> None:
    """Append the words our normalizer and pre-tokenizer keep whole ("Paris" as "paris"; not "##ing" or "[CLS]")."""
    vocab = tokenizer.get_vocab()
    trained, left_out = len(vocab), 0
    for word in words:
        pieces = tokenizer.pre_tokenizer.pre_tokenize_str(tokenizer.normalizer.normalize_str(word))
        if len(pieces) != 1 or pieces[0][0] in vocab:
            continue
        if len(vocab) < vocab_size:
            vocab[pieces[0][0]] = len(vocab)
        else:
            left_out += 1
    tokenizer.model = models.WordLevel(vocab, unk_token="[UNK]")
    logger.info(
        "Added %d words with pretrained vectors to the %d learnt from the training split.",
        *(len(vocab) - trained, trained),
    )
    if left_out:
        logger.warning(
            "%d more words with pretrained vectors did not fit in --tokenizer_vocab_size %d; raise it to keep them.",
            left_out,
            vocab_size,
        )


def words_with_vectors(args: ModelArguments) -> list[str]:
    """The words --pretrained_embeddings has a vector for: a vector file's words, or an encoder's vocabulary."""
    source = args.pretrained_embeddings
    if Path(source).is_file():
        return words_in_text_file(Path(source))
    return vocabulary(load_pretrained(AutoTokenizer, source, "tokenizer of --pretrained_embeddings"))


def build_tokenizer(args: ModelArguments, train_texts: list[str]):
    """The tokenizer of the options (validate_options checked them): the encoder's, a Hub one, or one learnt from
    `train_texts`."""
    if args.model_family == PRETRAINED_FAMILY:
        return load_pretrained(
            AutoTokenizer,
            args.model_name_or_path or DEFAULT_PRETRAINED,
            "tokenizer of --model_name_or_path",
            **hub_options(args),
        )
    extra_words = words_with_vectors(args) if args.extend_vocabulary else ()
    if args.train_tokenizer != "none":
        tokenizer = train_tokenizer(train_texts, args.train_tokenizer, args.tokenizer_vocab_size, extra_words)
        logger.info("Trained a %s tokenizer on the training split: %d tokens.", args.train_tokenizer, len(tokenizer))
        return tokenizer
    name = args.tokenizer_name or DEFAULT_PRETRAINED
    # Recurrent models read real tokens first, so padding goes on the right whatever the tokenizer's default.
    return load_pretrained(
        AutoTokenizer,
        name,
        "tokenizer of --tokenizer_name",
        ", or learn one from your data with --train_tokenizer word",
        model_input_names=CUSTOM_MODEL_INPUTS,
        padding_side="right",
    )


def hub_options(args: ModelArguments) -> dict:
    """What a pretrained encoder is loaded with, tokenizer and model alike."""
    return {"revision": args.model_revision, "cache_dir": args.cache_dir, "trust_remote_code": args.trust_remote_code}


def build_model(args: ModelArguments, tokenizer, labels: list[str], problem_type: str | None = None):
    """A fresh model of `args.model_family` for these labels (bert: the pretrained encoder with a new head).

    `labels` name the outputs (a regression has one); the config carries `problem_type` (None: transformers infers
    it), so the loss, `pipeline` and every loader treat the outputs as transformers' own heads do. The options were
    checked by validate_options.
    """
    id2label = dict(enumerate(labels))
    task = {
        "id2label": id2label,
        "label2id": {label: i for i, label in id2label.items()},
        "problem_type": problem_type,
    }
    if args.model_family == PRETRAINED_FAMILY:
        name = args.model_name_or_path or DEFAULT_PRETRAINED
        try:
            with quiet_load_report():
                model = load_pretrained(
                    AutoModelForSequenceClassification,
                    name,
                    "pretrained model of --model_name_or_path",
                    num_labels=len(labels),
                    ignore_mismatched_sizes=args.ignore_mismatched_sizes,
                    **task,
                    **hub_options(args),
                )
            logger.info("%s: a new classification head for %d labels, trained from scratch.", name, len(labels))
            return model
        except RuntimeError as error:  # transformers refuses a head of another size unless told to replace it
            if "ignore_mismatched_sizes" not in str(error):
                raise
            raise ModelSetupError(
                f"{name} (--model_name_or_path) has a classifier for other labels than these {len(labels)}: pass "
                "--ignore_mismatched_sizes true to start from it with a new head."
            ) from error
    config_class, model_class, implied = CUSTOM_FAMILIES[args.model_family]
    overrides = args.architecture_overrides()
    token_vectors = pretrained_token_vectors(args, tokenizer)
    if token_vectors is not None:
        # The embedding width is the vectors' size: the transformer's embeddings are its hidden size.
        width = "embedding_dim" if "embedding_dim" in config_class.architecture_fields else "hidden_size"
        if overrides.get(width, token_vectors.dim) != token_vectors.dim:
            raise ModelSetupError(
                f"{width} {overrides[width]} differs from the {token_vectors.dim}-dimensional vectors of "
                f"{args.pretrained_embeddings}: pass --{width} {token_vectors.dim}."
            )
        overrides[width] = token_vectors.dim
    config = config_class(
        vocab_size=len(tokenizer),
        pad_token_id=tokenizer.pad_token_id,
        **task,
        **implied,
        **overrides,
    )
    model = model_class(config)
    if token_vectors is not None:
        copy_into(model.get_input_embeddings(), token_vectors, freeze=args.embedding_mode == "init-only")
    return model


def pretrained_token_vectors(args: ModelArguments, tokenizer) -> TokenVectors | None:
    """The vectors --pretrained_embeddings gives each of our tokens, or None when training embeddings from scratch."""
    if args.embedding_mode == "scratch":
        return None
    source, tokens = args.pretrained_embeddings, vocabulary(tokenizer)
    if Path(source).is_file():
        token_vectors = from_text_file(Path(source), tokens)
    else:
        encoder_tokenizer = load_pretrained(AutoTokenizer, source, "tokenizer of --pretrained_embeddings")
        encoder = load_pretrained(AutoModel, source, "encoder of --pretrained_embeddings")
        token_vectors = from_encoder(encoder_tokenizer, encoder.get_input_embeddings().weight, tokens)
    report(token_vectors, source)
    return token_vectors.scaled_to_unit_std()
