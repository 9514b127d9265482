"""Layer 6: the analysis stage (embeddings now; saliency and the papers' figures next).

The only layer that imports matplotlib, inside the functions that draw.
"""

from .embedding import embed_2d, embed_run, run_tsne, separation_scores

__all__ = ["embed_2d", "embed_run", "run_tsne", "separation_scores"]
