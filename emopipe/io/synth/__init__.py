"""Format-faithful synthetic datasets with planted, documented effects."""

from .deap import write_deap_synth

__all__ = ["write_deap_synth"]
