"""Name -> object registries (datasets, losses, models, protocols, modalities)."""

import difflib
import importlib

from ._errors import UnknownNameError


class Registry:
    """A named mapping filled by a decorator.

    Parameters
    ----------
    kind : str
        Singular noun used in messages, e.g. ``"Loss"``.
    plural : str | None
        Plural used in messages; ``kind.lower() + "es"/"s"`` by default.

    Examples
    --------
    >>> LOSSES = Registry("Loss", "losses")
    >>> @LOSSES.register("hinton_kd")
    ... class HintonKDLoss: ...
    >>> LOSSES.get("hinton_kd").__name__
    'HintonKDLoss'
    """

    def __init__(self, kind, plural=None):
        self.kind = kind
        self.plural = plural or (kind.lower() + "s")
        self._items = {}

    def register(self, name):
        """Decorator adding an object under ``name`` (snake_case).

        Parameters
        ----------
        name : str
            Registry key, the value used in YAML configs and on the CLI.

        Returns
        -------
        decorator : callable
            Adds its argument under ``name`` and returns it unchanged.
        """
        if not isinstance(name, str) or name != name.lower() or " " in name:
            raise ValueError(f"{self.kind} names must be snake_case strings, got {name!r}.")

        def decorator(obj):
            if name in self._items and self._items[name] is not obj:
                raise ValueError(f"{self.kind} {name!r} is already registered.")
            self._items[name] = obj
            return obj

        return decorator

    def get(self, name):
        """Return the object registered as ``name`` or raise a KeyError listing the rest.

        Parameters
        ----------
        name : str
            Registry key.

        Returns
        -------
        obj : object
            The registered object.
        """
        try:
            return self._items[name]
        except (KeyError, TypeError):
            available = ", ".join(repr(k) for k in sorted(self._items))
            close = difflib.get_close_matches(str(name), list(self._items), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise UnknownNameError(
                f"{self.kind} {name!r} not found. Available {self.plural}: {available}.{hint}"
            ) from None

    def fill(self, package, modules, *, label, fix):
        """Import every module that registers into this registry, naming one that fails.

        Parameters
        ----------
        package : str
            Package of the modules (``"emopipe.io"``).
        modules : sequence of str
            Module names inside ``package``; each registers its objects on import.
        label : str
            The registry as the refusal names it (``"dataset registry"``).
        fix : str
            The refusal's closing sentence(s), what to do.

        Returns
        -------
        registry : Registry
            ``self``, filled.

        Raises
        ------
        ImportError
            If a module cannot be imported; it names the module and the cause.
        """
        for module in modules:
            name = f"{package}.{module}"
            try:
                importlib.import_module(name)
            except ImportError as exc:
                raise ImportError(
                    f"Filling the {label}: module {name!r} could not be imported "
                    f"({type(exc).__name__}: {exc}). {fix}"
                ) from exc
        return self

    def names(self):
        """Sorted registered names.

        Returns
        -------
        names : list of str
            Every key, sorted.
        """
        return sorted(self._items)

    def __contains__(self, name):
        return name in self._items

    def __iter__(self):
        return iter(self.names())

    def __len__(self):
        return len(self._items)
