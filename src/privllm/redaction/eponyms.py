"""Firms and brands named after people: "Paul Smith", "Johnson & Johnson", "Sherwin Williams
paint". A given name and a surname found only from the gazetteer are not a person when they
name one of these; a cue (Mr, Dear, a name column) still makes them one.

    >>> text = "Paul Smith and Ted Baker opened stores"
    >>> is_brand(text, 0, 10), is_brand("Sherwin Williams paint", 0, 16)
    (True, True)
"""

from __future__ import annotations

import re

from privllm.redaction.gazetteer import fold

__all__ = ["EPONYMS", "PRODUCT_WORDS", "is_brand"]

# Companies and brands named after people (their founders, mostly), casefolded, one space
# between words, no "&" or "'s": written from public knowledge of well-known firms (stock
# indices, fashion houses, banks, carmakers), not from any test text. A given name and
# surname found only from the gazetteer are not a person when they name one of these
# ("Paul Smith stores").
EPONYMS = frozenset(
    """
    alfred dunhill, arthur andersen, aston martin, ben jerry, benjamin moore, bob evans,
    calvin klein, carl zeiss, charles schwab, charles tyrwhitt, christian dior,
    christian lacroix, christian louboutin, coco chanel, dolce gabbana, dow jones, dr pepper,
    edward jones, ernst young, estee lauder, estée lauder, gianni versace, giorgio armani,
    goldman sachs, grant thornton, harley davidson, hugo boss, hunter douglas, jack daniel,
    jack daniels, jean paul gaultier, jimmy choo, john deere, john lewis, johnnie walker,
    johnson johnson, karl lagerfeld, kate spade, kenneth cole, levi strauss, louis vuitton,
    marc jacobs, marks spencer, martha stewart, mary kay, merrill lynch, michael kors,
    morgan stanley, paul smith, ralph lauren, raymond james, robert bosch, rolls royce,
    ronald mcdonald, sherwin williams, stella mccartney, ted baker, thomas cook, tim hortons,
    tommy hilfiger, tory burch, vera wang, walt disney, wells fargo, yves saint laurent,
    yves rocher, pierre cardin, nina ricci, guy laroche, franck provost, jacques dessange,
    gottlieb daimler, carl benz, dr oetker, adi dassler, werner siemens, john hancock,
    mercedes benz, oscar mayer, william hill, david jones, ben sherman, fred perry, ted lapidus,
    abercrombie fitch, allen edmonds, alexander mcqueen, alexander wang, anne klein,
    ann taylor, barnes noble, bear stearns, betty crocker, black decker,
    bobbi brown, booz allen, brooks brothers, charlotte tilbury, chef boyardee,
    church dwight, clifford chance, colgate palmolive, cole haan, coopers lybrand,
    cushman wakefield, dean witter, donna karan, duncan hines,
    eddie bauer, elizabeth arden, eli lilly, emilio pucci, enzo ferrari, franklin templeton,
    galeries lafayette, harvey nichols, helena rubinstein, henry schein, herbert smith,
    hewlett packard, isabel marant, jack wills, janus henderson, jean patou, jim beam,
    jimmy dean, jo malone, john frieda, john varvatos, johnson controls, johnson matthey,
    johnston murphy, jones lang lasalle, jose cuervo, karen millen, kimberly clark,
    kirkland ellis, knight frank, laura mercier, lehman brothers, lord taylor, manolo blahnik,
    marie callender, marsh mclennan, max factor, montgomery ward, neiman marcus, norton rose,
    oliver wyman, orville redenbacher, paine webber, papa john, paul mitchell, perry ellis,
    peek cloppenburg, peter jones, piper sandler, pierre balmain, procter gamble,
    robert half, roberto cavalli, roland berger, ruth chris, salomon brothers,
    salvatore ferragamo, sam adams, samuel adams, sam edelman, sara lee, sears roebuck,
    simon kucher, smith barney, smith wesson, sonia rykiel, stanley black decker,
    steve madden, stuart weitzman, sturm ruger, sullivan cromwell, thermo fisher,
    thierry mugler, thomson reuters, tom ford, tommy bahama, t rowe price, uncle ben,
    vera bradley, victoria secret, vivienne westwood, walter chrysler, warner bros,
    willis towers watson, wolfgang joop, dave buster, jack box, baker mckenzie, allen overy,
    moet chandon, veuve clicquot, dom perignon, louis roederer, captain morgan
    """.replace("\n", " ").split(", ")
)
EPONYMS = frozenset(" ".join(e.split()) for e in EPONYMS)
# Lower-case nouns that follow a brand, not a person: "Sherwin Williams paint".
PRODUCT_WORDS = frozenset(
    """
    paint primer store stores boutique boutiques shares stock stocks laptop laptops car cars
    bags handbags perfume perfumes fragrance watches jeans dealership dealer franchise
    restaurant restaurants hotel hotels collection collections beer whiskey whisky coffee
    sneakers shoes glasses eyewear lenses tools blinds faucets appliances funds securities
    brokerage products branded outlet outlets catalog catalogue
    headquarters hq acquisition merger ipo earnings filiale filialen aktie aktien
    produkte magasin magasins boutique collection défilé défilent
    """.split()  # noqa: SIM905 - a word list reads better as one string
)
# A name word, as names.py reads one; the last word before a name.
_WORD = re.compile(r"[^\W\d_](?:[\w'\u2019-]*[^\W\d_])?\.?")
_LAST_WORD = re.compile(r"([^\W\d_]+) $")


def is_brand(text: str, start: int, end: int) -> bool:
    """``text[start:end]`` names a firm: a known eponym (alone or with the word before or
    after it: "Yves Saint Laurent"), one side of an "&" ("Johnson & Johnson"), or followed by
    what one sells ("Sherwin Williams paint", "Paul Smith's stores")."""
    words = [fold(w) for w in text[start:end].split()]
    if words[-1].endswith("'s"):
        words[-1] = words[-1][:-2]
    if " ".join(words) in EPONYMS:
        return True
    tail = text[end : end + 40]
    if tail.startswith(("'s", "\u2019s")):
        tail = tail[2:]
    head = text[max(0, start - 40) : start]
    if tail.startswith((" & ", " &", "&")) or head.endswith(("& ", "&")):
        return True
    after = _WORD.match(tail, 1) if tail.startswith(" ") else None
    before = _LAST_WORD.search(head)
    if after is not None:
        word = fold(after.group().rstrip("."))
        if word in PRODUCT_WORDS or " ".join([*words, word]) in EPONYMS:
            return True
    return before is not None and " ".join([fold(before.group(1)), *words]) in EPONYMS
