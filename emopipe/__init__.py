"""emopipe: cross-modal knowledge distillation for emotion recognition.

Three stages with a file boundary between them: ``extract`` (raw recordings
to an HDF5 feature cache), ``distill`` (teachers and students trained on the
cache) and ``analysis`` (embeddings, saliency, figures). Importing the
package loads nothing heavy.
"""

from ._version import __version__
from .utils._logging import set_log_level

__all__ = ["__version__", "set_log_level"]
