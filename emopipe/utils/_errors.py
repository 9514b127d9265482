"""The errors a user can cause, and can fix: one hierarchy under :class:`EmopipeError`.

Every message names the file or field, the rule, what came and the fix
(style.md section 4). The command line prints an :class:`EmopipeError` as
one paragraph and exits with status 1; any other exception is a bug in
emopipe and keeps its traceback.

Each class also derives from the built-in exception that code written
before the hierarchy caught (``ValueError``, ``TypeError``, ``KeyError``),
so ``except ValueError`` keeps working.
"""


class EmopipeError(Exception):
    """Base class of the errors a user can cause: bad files, configs, arguments, runs."""


class DataFileError(EmopipeError, ValueError):
    """An input file that is malformed, truncated, unsafe or not what its name says."""


class ConfigError(EmopipeError, ValueError):
    """A config field, command-line argument or function argument with a bad value."""


class ConfigTypeError(ConfigError, TypeError):
    """A config field or argument of the wrong type."""


class UnknownNameError(EmopipeError, KeyError):
    """A name (dataset, loss, model, modality, feature, ...) that is not registered or present.

    ``str()`` gives the message itself, not its ``repr`` as ``KeyError`` does.
    """

    def __str__(self):
        return str(self.args[0]) if self.args else ""


class RunError(EmopipeError, ValueError):
    """A run folder or cache that cannot be used as asked (another config, a lock held)."""
