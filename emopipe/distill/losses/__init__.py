"""Distillation losses, each an ``nn.Module`` taking explicit tensors.

Grouped as torchdistill and RepDistiller group theirs:

=======================  =================================================
module                   losses
=======================  =================================================
``_task``                the model's own objective: CE, CCC, MCC
``_logit``               class distributions: Hinton KD, MLKD (EmotionKD)
``_feature``             features entry by entry or by map: hint (FitNet),
                         L1 feature (V2E), NST, attention transfer
``_relational``          relations between samples: SP, RKD, PKT
``_contrastive``         NCE against a memory bank (``_memory``): CRD, CMCRD
=======================  =================================================

Every loss is registered in ``LOSSES`` under its YAML/CLI name
(``LOSSES.get("crd")``) and declares the batch fields it reads and the fold
sizes it takes (:class:`DistillLoss`). Notation (docs/methods.md): batch
``B``, classes ``K``, logits ``z``, ``p = softmax(z)``,
``p^tau = softmax(z / tau)``, features ``f``, teacher ``T``, student ``S``,
``ln`` natural log.

Losses never detach the teacher's tensors themselves (the EmotionKD feedback
step differentiates through them); freeze the teacher in the training loop.
The exceptions are documented rules of a method (CMCRD stop-gradients,
MCC/CMCRD entropy weights).
"""

# every loss module is imported here, so that importing the package fills LOSSES
from ._base import BATCH_FIELDS, FOLD_ARGUMENTS, DistillLoss
from ._contrastive import CMCRDLoss, CRDLoss
from ._feature import AttentionLoss, HintLoss, L1FeatureLoss, NSTLoss
from ._logit import HintonKDLoss, MLKDLoss
from ._memory import ContrastMemory, SharedNegatives
from ._registry import LOSSES, register_loss
from ._relational import PKTLoss, RKDLoss, SPLoss
from ._task import CCCLoss, CELoss, MCCLoss

__all__ = [
    "AttentionLoss",
    "BATCH_FIELDS",
    "CCCLoss",
    "CELoss",
    "CMCRDLoss",
    "CRDLoss",
    "ContrastMemory",
    "DistillLoss",
    "FOLD_ARGUMENTS",
    "HintLoss",
    "HintonKDLoss",
    "L1FeatureLoss",
    "LOSSES",
    "MCCLoss",
    "MLKDLoss",
    "NSTLoss",
    "PKTLoss",
    "RKDLoss",
    "SPLoss",
    "SharedNegatives",
    "register_loss",
]
