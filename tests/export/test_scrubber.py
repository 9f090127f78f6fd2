"""The scrubber of pseudonymised free text: exact replacements, and the same result as one
regular expression of every key (the rule it states) on random text."""

from __future__ import annotations

import random
import re

from inspection.export.pseudonymise import Scrubber


def _by_regex(replacements: dict[str, str], text: str) -> str:
    keys = "|".join(re.escape(k) for k in sorted(replacements, key=lambda k: (-len(k), k)))
    pattern = re.compile(rf"(?<!\w)(?:{keys})(?!\w)", re.IGNORECASE)
    return pattern.sub(lambda m: replacements[m.group(0).lower()], text)


def test_keys_are_replaced_only_where_they_stand_alone():
    scrub = Scrubber(
        {"jayden": "[name]", "la001": "[id]", "03/04/2015": "[dob]", "mary ann": "[name]"}
    )
    assert (
        scrub("JAYDEN (LA001, born 03/04/2015) met Mary Ann; Jaydens and xLA001 are others.")
        == "[name] ([id], born [dob]) met [name]; Jaydens and xLA001 are others."
    )
    assert scrub("") == ""
    assert scrub("nothing to hide") == "nothing to hide"
    assert not Scrubber({})


def test_the_longest_key_wins_where_two_begin_at_the_same_place():
    scrub = Scrubber({"ann": "[name]", "ann smith": "[both]", "smith": "[name]"})
    assert scrub("Ann Smith and Ann and Smith") == "[both] and [name] and [name]"


def test_same_as_one_regular_expression_of_every_key():
    rng = random.Random(7)
    alphabet = "ab1_ -/.'İé"
    for _ in range(400):
        keys = {
            "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 5))).lower(): f"[{i}]"
            for i in range(rng.randint(1, 6))
        }
        text = "".join(rng.choice(alphabet + "AB") for _ in range(rng.randint(0, 40)))
        assert Scrubber(keys)(text) == _by_regex(keys, text), (keys, text)
