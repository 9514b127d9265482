"""Typed modalities from an MNE Raw: EEG, EOG, ECG, EMG, GSR, respiration, ...

Dataset readers that go through MNE (BDF, EDF, BrainVision, BIDS) call
:func:`typed_modalities` to split a Raw into :class:`~emopipe.io._types.Modality`
objects by channel type, after fixing the types MNE cannot know: BioSemi
``EXG`` electrodes (typed EEG by MNE), channels whose names say what they
are (``REOG``, ``GSR1``, ``Resp``, ``Status``, ...) and BrainVision EOG
channels with garbled header units (``docs/datasets.md`` section 11).
"""

import logging
import os
import re

import numpy as np

from ..utils._checks import _check_option, _check_type
from ..utils._errors import ConfigError
from ..utils._logging import verbose as _verbose
from ..utils.docs import fill_doc
from ._types import Modality

logger = logging.getLogger("emopipe.io.mne")

#: normalised EOG channel name -> role (v: bipolar vertical, v+/v-: above/below
#: the eye, h: bipolar horizontal, h+/h-: left/right outer canthus)
EOG_NAME_ROLES = {}
for _role, _names in {
    "v": ("veog", "eogv", "vert", "vertical", "verteog", "eogvert", "veogbipolar"),
    "v+": ("veog1", "veogi", "veogu", "veogup", "veogupper", "veoga", "veogs", "seog",
           "supraorbital"),
    "v-": ("veog2", "veogii", "veogl", "veoglow", "veoglower", "veogb", "veog4", "ieog",
           "infraorbital", "vb"),
    "h": ("heog", "eogh", "horiz", "horizontal", "horeog", "eoghor", "heogbipolar"),
    "h+": ("heog1", "heogl", "heogleft", "leog", "hl", "lo1", "eogl"),
    "h-": ("heog2", "heogr", "heogright", "reog", "hr", "lo2", "eogr"),
}.items():
    for _n in _names:
        EOG_NAME_ROLES[_n] = _role

#: modality key of each channel type (MNE types plus ``ppg``)
MODALITY_OF_TYPE = {
    "eeg": "eeg", "eog": "eog", "ecg": "ecg", "emg": "emg", "gsr": "gsr", "resp": "resp",
    "ppg": "ppg", "temperature": "temp", "temp": "temp", "stim": "stim", "misc": "misc",
    "bio": "misc",
}

_NAME_HINTS = [
    (re.compile(r"^(ecg|ekg)"), "ecg"),
    (re.compile(r"^([zt]?emg)"), "emg"),
    (re.compile(r"^(gsr|eda|scl|skinconductance)"), "gsr"),
    (re.compile(r"^(resp|rsp|respiration|breath)"), "resp"),
    (re.compile(r"^(plet|pleth|ppg|bvp)"), "ppg"),
    (re.compile(r"^(temp|skintemp)"), "temp"),
    (re.compile(r"^(status|trigger|trig|sti\d*$|stim|digdtrig|dtrig)"), "stim"),
    (re.compile(r"^erg\d*$"), "misc"),
]

_UNIT_NAMES = {107: "V", 110: "S", 109: "ohm", 114: "degC"}
_PREFIXES = {"n": 1e-9, "u": 1e-6, "µ": 1e-6, "μ": 1e-6, "m": 1e-3, "k": 1e3, "M": 1e6}
_BASE_UNITS = {"V": "V", "S": "S", "Ohm": "ohm", "ohm": "ohm", "Ω": "ohm", "degC": "degC",
               "°C": "degC", "DegC": "degC"}
_ELECTRO = ("eeg", "eog", "ecg", "emg")


def _parse_unit(text):
    """``(si_unit, factor)`` of a header unit string (``"kOhm"`` -> ``("ohm", 1e3)``) or None."""
    text = str(text or "").strip()
    if text in _BASE_UNITS:
        return _BASE_UNITS[text], 1.0
    if len(text) > 1 and text[0] in _PREFIXES and text[1:] in _BASE_UNITS:
        return _BASE_UNITS[text[1:]], _PREFIXES[text[0]]
    return None


def _channel_unit(key, ch, orig):
    """SI unit of one channel as MNE returns it, and the factor that makes it SI.

    MNE's EDF/BDF reader marks every channel as volts but scales only
    voltage units, so a GSR channel whose header says ``"Ohm"`` holds ohms;
    the BrainVision reader applies a unit prefix (``range``) whatever the
    base unit.
    """
    fiff = int(ch["unit"])
    parsed = _parse_unit(orig)
    prefix_applied = not np.isclose(float(ch["range"]), 1.0)
    if fiff == 107:
        if parsed is not None and parsed[0] != "V":
            return parsed[0], (1.0 if prefix_applied else parsed[1])
        if parsed is None and key not in _ELECTRO:
            return "a.u.", 1.0
        return "V", 1.0
    if fiff in _UNIT_NAMES:
        return _UNIT_NAMES[fiff], 1.0
    if parsed is not None:
        return parsed[0], (1.0 if prefix_applied else parsed[1])
    return "a.u.", 1.0


def _norm(name):
    """Lower-case alphanumerics of a channel name (``"EOG VEOG_I"`` -> ``"eogveogi"``)."""
    return re.sub(r"[^0-9a-z]", "", str(name).lower())


def _norm_eog(name):
    """Like :func:`_norm` after dropping a type prefix (``"EOG VEOG_I"`` -> ``"veogi"``)."""
    name = re.sub(r"^(eog|eeg)\s+", "", str(name).strip(), flags=re.IGNORECASE) or name
    return _norm(name)


def eog_role(name):
    """Role of an EOG channel, recognised by name.

    Parameters
    ----------
    name : str
        Channel name; case, punctuation and an ``"EOG "`` prefix are ignored.

    Returns
    -------
    role : str | None
        ``"v"`` (bipolar vertical), ``"v+"``/``"v-"`` (above/below the eye),
        ``"h"`` (bipolar horizontal), ``"h+"``/``"h-"`` (left/right), or
        ``None`` when the name is not an EOG name.
    """
    return EOG_NAME_ROLES.get(_norm_eog(name))


def _exg_layout(exg):
    """``{"exg1": (type, role), ...}`` of ``exg``: a dataset key, a mapping or ``None``.

    A dataset key names a registered dataset whose class declares the layout
    (:meth:`emopipe.io._dataset.Dataset.exg_layout`); a mapping gives it
    directly, label -> type or label -> ``(type, EOG role)``.
    """
    if exg is None:
        return {}
    if isinstance(exg, dict):
        out = {}
        for label, spec in exg.items():
            typ, role = (spec, None) if isinstance(spec, str) else tuple(spec)
            out[_norm(label)] = (str(typ), role)
        return out
    from ._registry import DATASETS

    with_layout = tuple(n for n in DATASETS.names() if DATASETS.get(n).exg_layout() is not None)
    _check_option("exg", exg, with_layout)
    return DATASETS.get(exg).exg_layout()


def infer_channel_types(ch_names, ch_types, *, exg=None, overrides=None):
    """Channel types after name hints, BioSemi EXG layout and explicit overrides.

    Rules, in order (later ones win): MNE's types; names that say what a
    channel is (EOG names as in :data:`EOG_NAME_ROLES`, ``ECG*``, ``EMG*``,
    ``GSR*``/``EDA*``, ``Resp*``, ``Plet*``/``PPG*``, ``Temp*``,
    ``Status``/``Trigger``/``DIG DTRIG`` -> stim, ``Erg*`` -> misc);
    BioSemi default labels ``EXG1``-``EXG8`` -> the ``exg`` layout (``None``:
    misc, as external electrodes are not scalp EEG, and their wiring is the
    lab's choice); ``overrides``.

    Parameters
    ----------
    ch_names : list of str
        Channel names.
    ch_types : list of str
        MNE channel types, same order.
    exg : str | dict | None
        Layout of the BioSemi ``EXG`` electrodes: the key of a dataset that
        declares one (``"deap"``: EXG1-4 EOG, EXG5-8 EMG, see
        :meth:`emopipe.io.DEAP.exg_layout`), a mapping label -> type (or
        ``(type, EOG role)``), or ``None``.
    overrides : dict of str -> list of str | None
        Type -> channel names forced to it, e.g. ``{"eog": ["Fp1"]}``.

    Returns
    -------
    types : list of str
        One type per channel (``"ppg"`` and ``"temp"`` besides MNE's names).
    """
    ch_names = [str(c) for c in ch_names]
    if len(ch_types) != len(ch_names):
        raise ConfigError(
            f"ch_types must have one entry per channel: got {len(ch_types)} types for "
            f"{len(ch_names)} channels."
        )
    layout = {n: typ for n, (typ, _) in _exg_layout(exg).items()}
    types = []
    for name, typ in zip(ch_names, ch_types):
        typ = "temp" if typ == "temperature" else str(typ)
        n = _norm(name)
        if eog_role(name) is not None:
            typ = "eog"
        elif re.fullmatch(r"exg\d+", n):
            typ = layout.get(n, "misc")
        else:
            for pattern, hinted in _NAME_HINTS:
                if pattern.match(n):
                    typ = hinted
                    break
        types.append(typ)
    for typ, names in (overrides or {}).items():
        if not names:
            continue
        for name in names:
            if name not in ch_names:
                raise ConfigError(
                    f"{typ}={list(names)!r}: channel {name!r} is not in the recording. "
                    f"Available channels: {', '.join(map(repr, ch_names))}."
                )
            types[ch_names.index(name)] = typ
    return types


@fill_doc
@_verbose
def typed_modalities(
    raw,
    *,
    eog=None,
    ecg=None,
    emg=None,
    gsr=None,
    resp=None,
    ppg=None,
    temp=None,
    stim=None,
    misc=None,
    exg=None,
    verbose=None,
):
    """Split an MNE Raw into typed single-trial modalities.

    Channel types come from :func:`infer_channel_types`. EOG channels that
    MNE loaded with a non-voltage unit (BrainVision headers with garbled
    units, e.g. MNE's test file: ``HL`` 'ARU', ``HR`` 'uS', ``Vb`` 'S') are
    read as µV: the sample value times the header resolution is taken as
    µV, whatever unit prefix MNE applied, and converted to V. The Raw is not
    modified.

    Parameters
    ----------
    raw : mne.io.BaseRaw
        The recording.
    eog, ecg, emg, gsr, resp, ppg, temp, stim, misc : list of str | None
        Channel names forced to that type (overriding MNE and the hints).
    exg : str | dict | None
        BioSemi ``EXG1``-``EXG8`` layout, as in :func:`infer_channel_types`
        (``"deap"``, a mapping, or ``None``: misc). The EOG roles it gives
        (above/below, left/right of the eye) are recorded in the ``eog``
        modality's ``ch_roles``, where :func:`emopipe.features.pick_eog_pair`
        finds them.
    %(verbose)s

    Returns
    -------
    modalities : dict of str -> Modality
        Keys among ``"eeg"``, ``"eog"``, ``"ecg"``, ``"emg"``, ``"gsr"``,
        ``"resp"``, ``"ppg"``, ``"temp"``, ``"misc"``, ``"stim"``; each with
        data shape (1, n_channels, n_times) in SI units: V for
        electrophysiology; other channels in the unit of the file header
        made SI (``"Ohm"`` -> ``"ohm"``, ``"uS"`` -> ``"S"``, ``"kOhm"`` ->
        ``"ohm"``), ``"a.u."`` when the header gives none (``Modality.unit``;
        ``source_unit`` holds the header's string). ``stim`` is the trigger channels (``"a.u."``) for
        cutting trials; it is not a feature modality.
    """
    from mne.io import BaseRaw

    _check_type("raw", raw, (BaseRaw,), type_name="mne.io.Raw")
    fname = raw.filenames[0] if getattr(raw, "filenames", None) else "<Raw>"
    ch_names = list(raw.ch_names)
    overrides = {
        "eog": eog, "ecg": ecg, "emg": emg, "gsr": gsr, "resp": resp, "ppg": ppg,
        "temp": temp, "stim": stim, "misc": misc,
    }
    types = infer_channel_types(ch_names, raw.get_channel_types(), exg=exg, overrides=overrides)
    exg_roles = {n: role for n, (_, role) in _exg_layout(exg).items() if role is not None}
    orig_units = getattr(raw, "_orig_units", None) or {}
    sfreq = float(raw.info["sfreq"])
    groups = {}
    for i, typ in enumerate(types):
        groups.setdefault(MODALITY_OF_TYPE.get(typ, "misc"), []).append(i)
    out = {}
    for key, idx in groups.items():
        data = raw.get_data(picks=idx)  # (n_channels, n_times)
        units, sources = [], []
        for row, i in enumerate(idx):
            ch = raw.info["chs"][i]
            src = orig_units.get(ch_names[i], "")
            unit, factor = _channel_unit(key, ch, src)
            if factor != 1.0:
                data[row] *= factor
            if key == "eog" and unit != "V":
                rng = float(ch["range"]) or 1.0
                data[row] = data[row] / rng * 1e-6
                logger.info(
                    "%s: EOG channel %r has header unit %r (not a voltage); read as uV.",
                    fname, ch_names[i], src,
                )
                unit = "V"
                src = f"uV (header says {src!r})" if src else "uV (assumed)"
            if key == "gsr" and unit == "a.u.":
                # say where the missing unit came from: the GSR extractor names it
                kind = os.path.splitext(str(fname))[1].lstrip(".").upper() or "file"
                src = (f"unit {src!r} in the {kind} header of {os.path.basename(str(fname))}, "
                       f"channel {ch_names[i]!r}")
                logger.warning("%s: GSR channel %r has no usable unit in the header (%r); "
                               "state it with the gsr extractor's 'unit' option.", fname,
                               ch_names[i], orig_units.get(ch_names[i], ""))
            units.append(unit)
            sources.append(src)
        if key == "stim":
            unit = "a.u."
        elif len(set(units)) == 1:
            unit = units[0]
        else:
            log = logger.info if key == "misc" else logger.warning
            log("%s: %s channels have mixed units %s; unit set to 'a.u.'.",
                fname, key, dict(zip([ch_names[i] for i in idx], units)))
            unit = "a.u."
        source = sources[0] if len(set(sources)) == 1 else ", ".join(sources)
        roles = {}
        if key == "eog":  # roles the electrode layout gives to channels not named for theirs
            roles = {ch_names[i]: exg_roles[_norm(ch_names[i])] for i in idx
                     if _norm(ch_names[i]) in exg_roles and eog_role(ch_names[i]) is None}
        out[key] = Modality(
            data=data[np.newaxis],
            sfreq=sfreq,
            ch_names=[ch_names[i] for i in idx],
            unit=unit,
            source_unit=source,
            ch_roles=roles,
        )
    logger.info("%s: modalities %s", fname,
                {k: len(m.ch_names) for k, m in out.items()})
    return out
