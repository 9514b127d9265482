"""Layer 6: the analysis stage (embeddings, saliency maps; the papers' figures next).

The only layer that imports matplotlib, inside the functions that draw.
"""

from .embedding import embed_2d, embed_run, run_tsne, separation_scores
from .saliency import read_saliency
from .saliency_run import run_saliency

__all__ = ["embed_2d", "embed_run", "read_saliency", "run_saliency", "run_tsne",
           "separation_scores"]
