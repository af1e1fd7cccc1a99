"""Finding a procedure from a few typed words: "вртић", "vrtic", "upis deteta u vrtić",
"kindergarten" all lead to kindergarten enrolment.

Every text is folded the same way: Cyrillic to Latin, lower case, diacritics dropped
(č ć -> c, š -> s, ž -> z, đ -> dj), then cut into words and each word into a stem (the
usual Serbian case endings and the English plural removed: "vrtića", "vrtiću", "vrtićima"
-> "vrtic"). A query word matches a catalogue stem exactly, as a beginning ("vrt" ->
"vrtic"), or, from four letters on, with one letter wrong, missing, extra or two swapped
("vrtci"), through a table of one-letter deletions built once. Scores add up per
procedure, title words counting most; the best few come back. The index is built once
per catalogue; a query costs a few dictionary look-ups (bench/guide_search.py).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from flows.conversations.guide_data import Guide, Procedure, guide
from flows.engine.i18n import to_latin

_FOLD = str.maketrans({"č": "c", "ć": "c", "š": "s", "ž": "z", "đ": "dj"})
_WORD = re.compile(r"[a-z0-9]+")
_SERBIAN_STOPWORDS = "a i u o na za se da od do sa s iz po uz ili je su kako sta gde moj moja moje"
_ENGLISH_STOPWORDS = "the an of for to in on my how what where and or with is are"
STOPWORDS = frozenset(f"{_SERBIAN_STOPWORDS} {_ENGLISH_STOPWORDS}".split(" "))
# Serbian case and number endings, longest first; the English plural is taken off before
_SERBIAN_ENDINGS = "ovima evima ama ima ovi evi ova eva ove eve om em og eg oj ih im a e i o u"
_ENDINGS = tuple(sorted(_SERBIAN_ENDINGS.split(" "), key=len, reverse=True))
MIN_STEM = 3
FUZZY_FROM = 4  # shorter words are matched exactly or as a beginning only

# how much a word counts, by where it is found
TITLE, KEYWORD, SUMMARY = 3.0, 2.0, 1.0
PREFIX, FUZZY = 0.6, 0.5  # of the weight, for a beginning or a one-letter difference


def fold(text: str) -> str:
    """Latin script, lower case, no diacritics (đ written as dj)."""
    latin = to_latin(text.lower()).translate(_FOLD)
    decomposed = unicodedata.normalize("NFKD", latin)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def stem(word: str) -> str:
    if len(word) > 4 and word[-1] == "s" and word[-2] not in "aiosu":
        word = word[:-1]  # English plural: passports, certificates (not "pasos", "glass")
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= MIN_STEM:
            return word[: -len(ending)]
    return word


def words(text: str) -> list[str]:
    return [stem(w) for w in _WORD.findall(fold(text)) if w not in STOPWORDS]


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


@dataclass(frozen=True, slots=True)
class Hit:
    procedure: Procedure


class GuideIndex:
    def __init__(self, procedures: Iterable[Procedure]) -> None:
        self.procedures = tuple(procedures)
        self._weights: dict[str, dict[int, float]] = defaultdict(dict)
        for number, proc in enumerate(self.procedures):
            self._add(number, TITLE, proc.title, proc.title_en)
            self._add(number, KEYWORD, *proc.keywords)
            self._add(number, SUMMARY, proc.summary, proc.summary_en)
        self._titles = [
            (frozenset(words(proc.title)), frozenset(words(proc.title_en)))
            for proc in self.procedures
        ]
        self._sorted = sorted(self._weights)
        self._near: dict[str, set[str]] = defaultdict(set)
        for word in self._sorted:
            if len(word) >= FUZZY_FROM:
                self._near[word].add(word)
                for variant in _deletions(word):
                    self._near[variant].add(word)

    def _add(self, number: int, weight: float, *texts: str) -> None:
        for text in texts:
            for word in words(text):
                known = self._weights[word]
                known[number] = max(known.get(number, 0.0), weight)

    def _known_words(self, word: str) -> tuple[list[str], float]:
        """The catalogue words a query word stands for, and how much they count: itself,
        else the words it begins, else the words one letter off."""
        if word in self._weights:
            return [word], 1.0
        if len(word) >= MIN_STEM:
            at = bisect_left(self._sorted, word)
            begun = []
            while at < len(self._sorted) and self._sorted[at].startswith(word):
                begun.append(self._sorted[at])
                at += 1
            if begun:
                return begun, PREFIX
        if len(word) >= FUZZY_FROM:
            near = set(self._near.get(word, ()))
            for variant in _deletions(word):
                near |= self._near.get(variant, set())
            return sorted(near), FUZZY
        return [], 0.0

    def search(self, query: str, limit: int = 5) -> list[Hit]:
        scores: dict[int, float] = defaultdict(float)
        matched: dict[int, int] = defaultdict(int)
        meant: set[str] = set()
        for word in dict.fromkeys(words(query)):
            known, factor = self._known_words(word)
            meant.update(known)
            best: dict[int, float] = {}
            for candidate in known:
                _merge(best, self._weights[candidate], factor)
            for number, weight in best.items():
                scores[number] += weight
                matched[number] += 1
        # a procedure matching more of the words beats one matching a single word often;
        # then the higher score; then the title most about what was asked
        ranked = sorted(
            scores, key=lambda n: (-matched[n], -scores[n], -self._title_share(n, meant), n)
        )
        # one matching fewer of the words than the best is noise: "upis u vrtić" is not
        # about the electoral register, which only shares "upis"
        most = matched[ranked[0]] if ranked else 0
        return [Hit(self.procedures[n]) for n in ranked[:limit] if matched[n] == most]

    def _title_share(self, number: int, meant: set[str]) -> float:
        """How much of the title (in its better-matching language) the query stands for."""
        return max(len(title & meant) / len(title) for title in self._titles[number] if title)


def _merge(into: dict[int, float], weights: dict[int, float], factor: float) -> None:
    for number, weight in weights.items():
        into[number] = max(into.get(number, 0.0), weight * factor)


@cache
def index_of(catalogue: Guide) -> GuideIndex:
    return GuideIndex(catalogue.procedures)


def search(query: str, limit: int = 5) -> list[Hit]:
    """The best procedures of the guide for what the person typed."""
    return index_of(guide()).search(query, limit)
