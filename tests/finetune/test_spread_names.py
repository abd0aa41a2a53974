"""spread_names: a name found once in a line is found again, part by part, in the line's
other strings; possessives, both apostrophes; never inside an e-mail address or host."""

from __future__ import annotations

from privllm.finetune.prepare.lines import spread_names
from privllm.redaction.findings import Finding


def _spread(texts: list[str]) -> list[tuple[int, str, int]]:
    first = texts[0]
    at = first.index("Jane Doe")
    found = {0: [Finding(at, at + 8, "PERSON", "Jane Doe")]}
    out = spread_names(texts, found)
    return [(i, f.value, f.start) for i in sorted(out) for f in out[i]]


def test_parts_and_possessives_are_found_in_the_other_strings():
    texts = [
        "Dear Jane Doe,",
        "Jane's order and Doe\u2019s too",
        "no names here, not even Janet",
        "write to jane.doe@example.com or Jane@example.com",
        "Thanks, Jane",
    ]
    assert _spread(texts) == [
        (0, "Jane Doe", 5),
        (1, "Jane", 0),
        (1, "Doe", 17),
        (4, "Jane", 8),
    ]


def test_strings_without_any_part_are_left_as_found():
    texts = ["Dear Jane Doe,", "Jan, Janes, Does and J. D. wrote", "{}", ""]
    assert _spread(texts) == [(0, "Jane Doe", 5)]
