"""What the Space says: predictions, explanations and notes in words, for the task a `Content` describes (chosen
once the models have loaded: `choose_content`). app.py wires these into the Gradio tabs."""

import dataclasses
from pathlib import Path

import yaml

from ..inference import Classifier, Explanation
from ..predict import Written
from ..tasks import ProblemType

SPACE_DIR = Path(__file__).resolve().parent
TREC_CONTENT = SPACE_DIR / "trec.yaml"
COMPARE_COLUMNS = ["model", "architecture", "prediction", "meaning", "confidence", "latency_ms"]


@dataclasses.dataclass(frozen=True)
class Content:
    """What the Space says about its task: a title and a sentence, what one input is called (`input_name`, e.g.
    "Question"), the text box's placeholder, each label's name in words and meaning ({label: [name, meaning]}; a
    label not listed is shown as it is named), and example inputs."""

    title: str
    description: str
    input_name: str
    placeholder: str
    labels: dict[str, list[str]]
    examples: list[str]

    @property
    def noun(self) -> str:
        """One input in a sentence: "question", "text"."""
        return self.input_name.lower()

    def label_title(self, label: str) -> str:
        return self.labels[label][0] if label in self.labels else label

    def meaning(self, label: str) -> str:
        if label in self.labels:
            return f"{self.label_title(label)}: {self.labels[label][1]}."
        return f"class {label} of this model"


CONTENT_KEYS = tuple(field.name for field in dataclasses.fields(Content))


def read_content(path: Path) -> Content:
    """The task as a content file describes it; a missing file or key is refused by name."""
    if not path.is_file():
        raise SystemExit(
            f"error: the content file {path} does not exist. Give a file like seqclf_hf/space/trec.yaml "
            "(--content or SEQCLF_CONTENT)."
        )
    content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if missing := [key for key in CONTENT_KEYS if key not in content]:
        raise SystemExit(
            f"error: {path} lacks {', '.join(missing)}: give every key that seqclf_hf/space/trec.yaml has."
        )
    return Content(**{key: content[key] for key in CONTENT_KEYS})


def choose_content(models: dict[str, Classifier]) -> Content:
    """The task the Space presents when no content file is given: TREC's questions (trec.yaml) when a model predicts
    TREC's six classes, otherwise neutral words over the models' own labels, so that a sentiment model is not
    presented as a question classifier."""
    trec = read_content(TREC_CONTENT)
    if any(set(classifier.labels) == set(trec.labels) for classifier in models.values()):
        return trec
    return models_content(models)


def models_content(models: dict[str, Classifier]) -> Content:
    """A task no content file describes: named after its models, their labels without meanings, no examples."""
    labels = model_labels(models)
    listed = ", ".join(f"**{label}**" for label in labels)
    return Content(
        title=f"Text classifier: {', '.join(models)}" if models else "Text classifier",
        description=f"Classifies a text as one of its labels: {listed}." if labels else "",
        input_name="Text",
        placeholder="Type or paste a text to classify",
        labels={},
        examples=[],
    )


def model_labels(models: dict[str, Classifier]) -> list[str]:
    """Every label of the models, in the order they name them."""
    return list(dict.fromkeys(label for classifier in models.values() for label in classifier.labels))


HOW_TO_GET_A_MODEL = (
    "Train one with `make demo` (writes `outputs/demo-lstm`) or `python recipes/train.py --model cnn "
    "--dataset_name sample --output_dir outputs/demo-cnn`, then restart the app; or name models explicitly: "
    "`seqclf-hf space outputs/demo-lstm user/some-model` (local folders or Hub ids)."
)


def empty_message(content: Content) -> str:
    click = " (or click an example)" if content.examples else ""
    return f"✏️ Type {with_article(content.noun)}{click} to classify it."


def upload_message(content: Content) -> str:
    return f"📄 Upload a .csv file with a `text` column, or a .txt file with one {content.noun} per line."


def with_article(noun: str) -> str:
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


def models_markdown(models: dict[str, Classifier], load_errors, origin: str) -> str:
    if not models:
        return no_models_message(load_errors)
    lines = [f"**Models** (from {origin}):" if origin else "**Models**:"]
    lines += [f"- **{name}** — {clf.description}; reads up to {clf.max_length} tokens" for name, clf in models.items()]
    lines += [f"- ⚠️ could not load `{source}`: {message}" for source, message in load_errors]
    return "\n".join(lines)


def classes_markdown(content: Content, models: dict[str, Classifier]) -> str:
    """The About tab's classes: what each means where the content says it, else which models predict each."""
    if content.labels:
        rows = [f"| **{label}** | {title}: {text} |" for label, (title, text) in content.labels.items()]
        return "\n".join([f"### The {len(rows)} classes", "| class | meaning |", "|---|---|", *rows])
    predicted_by = {
        label: ", ".join(name for name, classifier in models.items() if label in classifier.labels)
        for label in model_labels(models)
    }
    rows = [f"| **{label}** | {names} |" for label, names in predicted_by.items()]
    return "\n".join([f"### The {len(rows)} classes", "| class | predicted by |", "|---|---|", *rows])


def input_notes(name: str, classifier: Classifier, text: str, length: int) -> list[str]:
    """Say when model `name` read only part of the text (`length` characters as given), or hardly knew its words."""
    item = classifier.encode([text])[0]
    notes, windows = [], 1 + len(item.more)
    if windows > 1:  # a chunked model (--long_text chunk)
        capped = " (its limit: the rest was ignored)" if item.truncated else ""
        notes.append(
            f"{name} read the text in {windows} windows of up to {classifier.max_length} tokens{capped} and "
            "combined their scores."
        )
    if (item.truncated and windows == 1) or length > len(text):
        read = text[: item.read_characters] if item.truncated and item.offsets else text
        limit = f"{classifier.max_length} tokens" if item.truncated else f"{len(text):,} characters"
        notes.append(
            f"The text was truncated: it is {length:,} characters long and {name} reads at most {limit}, so only the "
            f"first {len(read):,} characters (“{shorten(read, 60)}”) were classified; the rest was ignored."
        )
    unk_id = getattr(classifier.tokenizer, "unk_token_id", None)
    real = [token for token, special in zip(item.input_ids, item.special, strict=True) if not special]
    unknown = sum(token == unk_id for token in real) if unk_id is not None else 0
    if real and unknown * 2 > len(real):
        notes.append(
            f"{unknown} of the {len(real)} tokens are not in {name}'s vocabulary (the words it learnt from), so this "
            "prediction is little more than a guess."
        )
    return notes


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def format_notes(notes: list[str]) -> str:
    return "\n\n".join(f"⚠️ {note}" for note in notes)


def in_words(classifier: Classifier, prediction: str) -> str:
    """`Classifier.decide`'s prediction for the UI: the labels of a multi-label model comma-separated (or "none
    above" its threshold), a label or a value as it is."""
    if classifier.config.problem_type != ProblemType.MULTI_LABEL:
        return prediction
    return ", ".join(prediction.split("|")) or f"none above {classifier.threshold:g}"


def label_value(classifier: Classifier, scores: dict[str, float], prediction: str, top: int | None = None) -> dict:
    """What gr.Label shows for one prediction, as its own data: the events showing it skip postprocessing, which
    would headline the best label where a multi-label model predicts all those above its threshold. A regression
    shows its value alone; the others the prediction and the `top` scores (None: all), best first."""
    if classifier.config.problem_type == ProblemType.REGRESSION:
        return {"label": prediction}
    ranked = sorted(scores.items(), key=lambda item: -item[1])[:top]
    confidences = [{"label": label, "confidence": score} for label, score in ranked]
    return {"label": in_words(classifier, prediction), "confidences": confidences}


def no_models_message(load_errors) -> str:
    errors = "".join(f"\n- `{source}`: {message}" for source, message in load_errors)
    return f"⚠️ No model is loaded. {HOW_TO_GET_A_MODEL}" + (f"\n\nCould not load:{errors}" if errors else "")


# Explanations ----------------------------------------------------------------------------------------------


def highlight(text: str, explanation: Explanation, length: int) -> list[tuple[str, float | None]]:
    """`Explanation.segments` and the rest of the text; for a text the model read only the start of (`length`
    characters as given), a note instead of the rest."""
    position = explanation.words[-1][1] if explanation.words else 0
    rest = text[position:] if position >= 0 else ""  # no offsets: the tokens alone
    segments = explanation.segments(text)
    if (explanation.truncated and rest.strip()) or length > len(text):
        return [*segments, (f" … [{length - position:,} more characters not read by the model]", None)]
    return segments + ([(rest, None)] if rest else [])


def verdict(name: str, classifier: Classifier, explanation: Explanation, content: Content) -> list[str]:
    """The prediction in words and how sure the model is: the class and the runner-up (one label per text), every
    label above the threshold (several), the value (a regression)."""
    label, probabilities = explanation.label, explanation.probabilities
    if classifier.config.problem_type == ProblemType.REGRESSION:
        return [f"### {explanation.prediction} — the value {name} predicts"]
    if classifier.config.problem_type == ProblemType.MULTI_LABEL:
        chosen = [label for label in explanation.prediction.split("|") if label]
        scored = ", ".join(
            f"**{label}** ({probabilities[label]:.0%}, {content.label_title(label)})" for label in chosen
        )
        threshold = f"{name} predicts every label it scores above {classifier.threshold:.0%}"
        return [f"### {in_words(classifier, explanation.prediction)}", f"{threshold}: {scored or 'none here'}."]
    lines = [f"### {label} — {content.meaning(label)}", f"{name} is {probabilities[label]:.0%} sure."]
    runner_up = max((other for other in probabilities if other != label), key=probabilities.get, default=None)
    if runner_up is not None:
        lines[-1] += f" Runner-up: **{runner_up}** ({probabilities[runner_up]:.0%}, {content.label_title(runner_up)})."
    return lines


def explanation_markdown(name: str, classifier: Classifier, explanation: Explanation, content: Content) -> str:
    """The prediction in words (`verdict`), the words that drove it most, and what the highlighting shows."""
    lines, display = verdict(name, classifier, explanation, content), explanation.display_scores()
    # A regression's gradient is the value's: words push it up or down. Otherwise the best-scored label's.
    label = "a higher value" if classifier.config.problem_type == ProblemType.REGRESSION else explanation.label
    by_score = sorted(zip(display, explanation.words, strict=True), key=lambda pair: -pair[0])
    top = list(dict.fromkeys(word.lower() for score, (*_, word, _) in by_score if score > 0))[:3]
    top = ", ".join(f"**{word}**" for word in top)
    if explanation.method == "attention":
        lines.append(
            f"Words its attention pooling weighed most: {top}. Highlighted: the attention weight of every word "
            "(darker red = more weight, scaled from the least to the most attended word)."
        )
    else:
        lines.append(
            f"Words that pushed hardest towards {label}: {top or 'none'}. Highlighted: gradient × input at the word "
            f"embeddings — red words pushed the model towards {label}, purple words away from it."
        )
    return "\n\n".join(lines)


# Batch files ---------------------------------------------------------------------------------------------------------


def batch_summary(name: str, column: str, written: Written, seconds: float, noun: str) -> str:
    """What was classified (`noun`s: "questions"), and what was not (`Written.notes`)."""
    classified, plural = written.rows - written.empty, "s" if written.rows - written.empty != 1 else ""
    summary = f"Classified {classified:,} {noun}{plural} from column `{column}` with {name} in {seconds:.2f} s."
    return "\n\n".join([summary, format_notes(written.notes())]).strip()


def comparison_row(
    name: str, classifier: Classifier, scores: dict[str, float], prediction: str, latency: float, content: Content
):
    """One model's row of the comparison: its prediction, what that means and how sure it is, every score."""
    kind = classifier.config.problem_type
    labels = [label for label in prediction.split("|") if label]
    meanings = ""
    if kind != ProblemType.REGRESSION:
        meanings = ", ".join(map(content.label_title, labels)) or in_words(classifier, prediction)
    # One label's probability; several labels or a value have no one confidence (their scores are in the row).
    confidence = None if kind in (ProblemType.MULTI_LABEL, ProblemType.REGRESSION) else round(scores[prediction], 4)
    values = [name, classifier.description, prediction, meanings, confidence, round(latency, 2)]
    return dict(zip(COMPARE_COLUMNS, values, strict=True)) | {label: round(p, 4) for label, p in scores.items()}
