"""Every section of ``docs/methods.md`` / ``docs/datasets.md`` the code cites exists.

The code cites the reference documents by section number, in several forms::

    methods.md §1.2-1.3          methods.md section 7, CMCRD defect 5
    methods.md sections 4 and 6  (§3 of methods.md)
    datasets.md 1.2              ``docs/datasets.md`` section 1

This test finds every such citation in the package source (and in the tests
and pipeline configs, which cite the same documents) and checks that the
cited document has a Markdown heading with that number (``## 7. ...`` or
``### 1.2 ...``), so a citation of a missing section fails.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
CITED = ("methods", "datasets")

_NUM = r"\d+(?:\.\d+)*"
# a document name, optionally under docs/ and in backticks: methods.md, ``docs/methods.md``
_DOC = r"`{0,2}(?:docs/)?(?P<doc>" + "|".join(CITED) + r")\.md`{0,2}"
# "§1.2", "section 7", "sections 4 and 6", "1.2", with ranges and lists
_REF = (
    r"(?:§\s*|sections?\s+)?(?P<nums>" + _NUM
    + r"(?:\s*(?:-|–|,|and|&)\s*(?:§\s*)?" + _NUM + r")*)"
)
#: "<doc> <ref>": the name then the section (a space, or "§" right after the name)
_AFTER = re.compile(_DOC + r"(?:\s+|(?=§))" + _REF + r"(?![\w-])")
#: "§3 of <doc>" / "section 3 of <doc>"
_BEFORE = re.compile(r"(?:§\s*|sections?\s+)(?P<nums>" + _NUM + r")\s+of\s+" + _DOC)
_HEADING = re.compile(r"^#{1,6}\s+(" + _NUM + r")\.?\s", re.MULTILINE)


def citations(text):
    """``(doc, section)`` pairs cited in ``text``; ranges give both ends.

    Parameters
    ----------
    text : str
        Source text.

    Returns
    -------
    cited : list of tuple of (str, str)
        Document stem (``"methods"``) and section number (``"1.2"``), in
        order of appearance.
    """
    return [(doc, num) for _, doc, num in _citations_at(text)]


def _citations_at(text):
    out = []
    for pattern in (_AFTER, _BEFORE):
        for m in pattern.finditer(text):
            for num in re.findall(_NUM, m.group("nums")):
                out.append((m.start(), m.group("doc"), num))
    return sorted(out, key=lambda c: c[0])


def headings(doc):
    """Section numbers of the headings of ``docs/<doc>.md``."""
    return set(_HEADING.findall((DOCS / f"{doc}.md").read_text(encoding="utf-8")))


def _sources():
    files = sorted((ROOT / "emopipe").rglob("*.py"))
    files += sorted((ROOT / "tests").rglob("*.py"))
    files += sorted((ROOT / "pipelines").glob("*.yaml"))
    return [f for f in files if f.resolve() != Path(__file__).resolve()]


def _cited():
    found = {}
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        for pos, doc, num in _citations_at(text):
            line = text.count("\n", 0, pos) + 1
            found.setdefault((doc, num), f"{path.relative_to(ROOT)}:{line}")
    return found


@pytest.mark.parametrize(
    "text, expected",
    [
        ("(methods.md §1.2-1.3).", [("methods", "1.2"), ("methods", "1.3")]),
        ("methods.md §1.4: moving", [("methods", "1.4")]),
        ("(methods.md section 7, CMCRD defect 5)", [("methods", "7")]),
        ("methods.md section 7, V2E 1", [("methods", "7")]),
        ("(methods.md sections 4 and 6);", [("methods", "4"), ("methods", "6")]),
        ("TCN of V2E (§3 of methods.md), the", [("methods", "3")]),
        ("by position (datasets.md 1.2): EXG1", [("datasets", "1.2")]),
        ("``docs/datasets.md`` section 1 and", [("datasets", "1")]),
        ("(docs/methods.md section 5.4)", [("methods", "5.4")]),
        ("docs/methods.md §7, EKD defect 2", [("methods", "7")]),
        ("see datasets.md\n    section 10 for", [("datasets", "10")]),
        ("methods.md's 1-Hz Welch", []),
        ("Notation (methods.md): batch", []),
        ("a 4-s window (methods.md) of 1 s", []),
        ("style.md section 2", []),
    ],
)
def test_citation_forms(text, expected):
    assert citations(text) == expected


def test_headings_are_found():
    assert {"1", "1.2", "7", "8"} <= headings("methods")
    assert {"1", "1.2", "10", "11"} <= headings("datasets")


def test_every_cited_section_exists():
    found = _cited()
    # the package cites both documents; an empty result means the regex broke
    assert {doc for doc, _ in found} == set(CITED)
    missing = [
        f"{where}: {doc}.md section {num}"
        for (doc, num), where in sorted(found.items())
        if num not in headings(doc)
    ]
    assert not missing, (
        "cited sections missing from docs/: " + "; ".join(missing)
        + ". Add the section (a heading starting with its number) or fix the citation."
    )
