"""The base of every family's configuration (`FamilyConfigMixin`) and the field checks the families share, so a bad
size fails when the config is built."""

POOLING_CHOICES = ("last", "mean", "max", "attention")


def require_positive(config, *names: str) -> None:
    """Raise a ValueError naming every field in `names` that is not a positive number (or list of them)."""
    for name in names:
        value = getattr(config, name)
        values = value if isinstance(value, (list, tuple)) else [value]
        if not values or any(v <= 0 for v in values):
            raise ValueError(
                f"`{name}` must be positive, got {value!r}. Fix the value in your config or command line."
            )


def require_probability(config, *names: str) -> None:
    """Raise a ValueError for every dropout-like field in `names` outside [0, 1)."""
    for name in names:
        value = getattr(config, name)
        if not 0 <= value < 1:
            raise ValueError(f"`{name}` must be in [0, 1), got {value!r}.")


class FamilyConfigMixin:
    """What a family's configuration knows about itself, so nothing outside its two files has to.

    `architecture_fields` are the options a recipe (YAML key or flag) may set; the rest follow from the data and the
    tokenizer. `describe()` is the one-sentence description the model card and the Space show.
    """

    architecture_fields: tuple[str, ...] = ()

    def describe(self) -> str:
        raise NotImplementedError(f"{type(self).__name__} must describe itself.")

    def check_max_seq_length(self, max_seq_length: int) -> None:
        """Raise a ValueError when inputs of up to `max_seq_length` tokens cannot suit this architecture."""
