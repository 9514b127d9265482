"""Import the modality modules so their extractors register themselves."""

import importlib
import logging

logger = logging.getLogger("emopipe.features")

for _name in ("eog", "gsr", "peripheral", "eye", "face"):
    try:
        importlib.import_module(f"{__package__}.{_name}")
    except ModuleNotFoundError as exc:  # a modality module not shipped yet
        if exc.name != f"{__package__}.{_name}":
            raise
