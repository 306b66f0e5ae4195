"""Checks shared by the model configurations, so a bad size fails when the config is built, not mid-training."""

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
