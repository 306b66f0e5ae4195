"""Errors caused by what the user gave (options, files, data): the recipe prints them without a traceback."""


class UserInputError(ValueError):
    """Base class: the message names the problem and the fix."""


class ConfigError(UserInputError):
    """A recipe, YAML or command-line problem."""


class DataError(UserInputError):
    """A problem with the user's data."""


class ModelSetupError(UserInputError):
    """A model or tokenizer option that cannot work."""


def first_line(error: BaseException) -> str:
    """The first line of an error's message (its class name when it has none): library errors can run to pages."""
    message = str(error).strip()
    return message.splitlines()[0] if message else type(error).__name__


class TrainingInterrupted(Exception):
    """Ctrl-C stopped training after a checkpoint was saved: not a failure, and no traceback either."""
