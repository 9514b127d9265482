"""Subject-centred teacher outputs (``DistillConfig.teacher_centre``).

Under a cross-subject protocol the teacher's logits on the training windows
carry, besides the affective state, an offset per training subject (its
baseline signal levels and its report bias). No test subject shares those
offsets, but a student matching the logits learns to predict them from its
own modality's subject baselines, which misleads it on a new subject.
Centring removes each training subject's mean logits and keeps the
within-subject variation the student can transfer. The same holds for the
teacher's penultimate features, which the feature methods (hint, CRD,
CMCRD, the relational losses) distil: ``"subject_features"`` centres those
too. Pure numpy; the training driver calls it on the fold's training
windows only.
"""

import numpy as np

#: the choices of ``DistillConfig.teacher_centre``: nothing, the logits, the logits and the
#: penultimate features
TEACHER_CENTRE = ("none", "subject", "subject_features")


def centre_by_group(logits, groups):
    """Subtract from every row the mean of the rows of its group.

    Parameters
    ----------
    logits : ndarray, shape (n_windows, n_outputs)
        Teacher outputs of the training windows.
    groups : ndarray, shape (n_windows,)
        Group (subject) of every row.

    Returns
    -------
    centred : ndarray, shape (n_windows, n_outputs)
        ``logits`` minus its group's mean row; every group's mean is 0.
    offsets : dict of str -> list of float
        The mean row removed per group, for the run record.
    """
    z = np.asarray(logits, dtype=np.float64)
    groups = np.asarray(groups)
    if z.ndim != 2 or len(groups) != len(z):
        raise ValueError(f"logits must be (n_windows, n_outputs) with one group per row, got "
                         f"logits of shape {z.shape} and {len(groups)} groups")
    out = np.empty_like(z)
    offsets = {}
    for g in np.unique(groups):
        rows = groups == g
        mean = z[rows].mean(axis=0)
        out[rows] = z[rows] - mean
        offsets[str(g)] = [round(float(v), 6) for v in mean]
    return out, offsets
