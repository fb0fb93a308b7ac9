"""Text analysis shared by indexing and querying: folding, tokens, French and English stems.

Both sides go through the same functions, so a record's "Hébergement d'urgence" and a query's "hebergment
urgense"
meet on the same forms:
- `fold`: lower case, accents removed (é→e, œ→oe), apostrophes and dashes unified;
- `tokens`: words of letters and digits, elisions dropped (l', d', qu'...), at most `MAX_TOKEN_LEN`
characters;
- `stem_fr` / `stem_en`: Snowball stems (PyStemmer) of folded words; French plurals in -s/-x are trimmed first
  because Snowball keeps "emplois" and "emploi" apart.

Tantivy receives these forms already analysed (whitespace tokenizer), which keeps the Rust and Python sides in
lockstep and lets the thesaurus and the spelling corrector reason on the very tokens the index holds.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

MAX_TOKEN_LEN = 40
_TOKEN = re.compile(r"[a-z0-9]+")
_ELISION = re.compile(r"\b(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|quoiqu)'(?=[a-z])")
_LIGATURES = (("œ", "oe"), ("Œ", "oe"), ("æ", "ae"), ("Æ", "ae"), ("ß", "ss"), ("’", "'"), ("‘", "'"))

# Words that carry no need on their own in either language (articles, pronouns, auxiliaries, and the filler of
# spoken requests: "j'ai pu rien", "I need some"). Domain words such as "aide" or "help" are NOT here: they
# are
# weak, not empty (see `WEAK_WORDS`).
STOPWORDS: frozenset[str] = frozenset(
    """
    a au aux avec ce ces cet cette dans de des du elle elles en et eux il ils je la le les leur leurs lui ma
    mais me
    meme mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un
    une
    vos votre vous y ai as avons avez ont suis es est sommes etes sont etais etait etions etaient ete avais
    avait
    avoir etre fait faire peux peut pouvons pu plus rien quoi quelque quelqu quelqun chose choses tres trop
    bien
    ca cela ceci ici comme si sans sous chez vers tout tous toute toutes autre autres aussi alors donc car or
    ni
    dont lequel laquelle lesquels lesquelles dois doit veux veut voudrais voudrait aimerais faut svp stp merci
    bonjour allo salut mon ma mes cherche cherchons chercher trouver trouve nulle nul part partout aucun
    aucune
    jamais toujours encore deja maintenant aujourd hui demain sens sent sentir senti
    the an and or of to in on at for with by from is are am was were be been being i me my we our you your he
    she
    it its they them their this that these those there here what which who whom how where when why can could
    would
    should will shall do does did have has had not no any some please thanks hi hello looking find want get
    got
    just very much many more most also near around about into over under out up down s t feel feeling tonight
    today now
    """.split()
)

# Generic request words: they may help rank ("aide alimentaire" is a name) but never decide a match on their
# own.
WEAK_WORDS: frozenset[str] = frozenset(
    """
    aide aider besoin besoins service services ressource ressources organisme organismes centre centres
    programme
    programmes soutien support help helps need needs needed resource resources organization organisation
    centre
    center centers program programs info information informations urgent urgence gens personne personnes
    people
    person gratuit gratuite gratuits gratuitement free cheap cher chere pas soir tonight
    """.split()
)
# Words that are both weak and meaningful in a phrase are handled by the thesaurus (e.g. "urgence" in
# "hébergement d'urgence"); a lone weak word still searches, it just is not required to match.

_fr = Stemmer.Stemmer("french")
_en = Stemmer.Stemmer("english")


def fold(text: str) -> str:
    """Lower case, ASCII: accents and ligatures removed (é→e, œ→oe), apostrophes unified to '. Letters with no
    ASCII form are dropped: tokens are ASCII words."""
    text = text.lower().replace("`", "'")
    if text.isascii():
        return text
    for ligature, plain in _LIGATURES:
        if ligature in text:
            text = text.replace(ligature, plain)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def tokens(text: str) -> list[str]:
    """Folded word tokens, elisions removed; over-long runs are cut (a 5,000-letter "word" is not a word)."""
    return list(_tokens(text))


@lru_cache(maxsize=65536)
def _tokens(text: str) -> tuple[str, ...]:
    # Directory texts repeat a lot (a service's text on each of its locations, shared category texts).
    folded = _ELISION.sub(" ", fold(text))
    return tuple(t[:MAX_TOKEN_LEN] for t in _TOKEN.findall(folded))


@lru_cache(maxsize=65536)
def stem_fr(token: str) -> str:
    if len(token) > 4 and token[-1] in "sx" and token[-2] not in "su" and not token.isdigit():
        token = token[:-1]
    return _fr.stemWord(token)


@lru_cache(maxsize=65536)
def stem_en(token: str) -> str:
    return _en.stemWord(token)


def is_stopword(token: str) -> bool:
    return token in STOPWORDS


def content_tokens(text: str) -> list[str]:
    return [t for t in tokens(text) if t not in STOPWORDS]


def analyse_fr(text: str) -> str:
    """Space-joined French stems of every token (stopwords kept so phrase positions stay true)."""
    return " ".join(stem_fr(t) for t in tokens(text))


def analyse_en(text: str) -> str:
    return " ".join(stem_en(t) for t in tokens(text))


def analyse_raw(text: str) -> str:
    """Space-joined folded tokens, unstemmed: the forms typo tolerance compares against."""
    return " ".join(tokens(text))


# Articles and prepositions ignored inside phrases and place names ("rien à manger" = "rien manger",
# "Rivière-du-Loup" = "riviere loup"); pronouns and negations stay ("je file pas").
GLUE: frozenset[str] = frozenset(
    "a au aux d de des du en et l la le les un une pour par sur dans avec "
    "the of to for an in on at and".split()
)


def phrase_tokens(text: str) -> list[str]:
    """Folded tokens without glue words: the form phrases and place names are matched on."""
    return [t for t in tokens(text) if t not in GLUE]


def max_edits(token: str) -> int:
    """Typo budget by word length: words of up to four letters must be exact (a one-letter slip in "cher" is
    "char"), five to eight letters forgive one slip, longer words two."""
    n = len(token)
    if n <= 4 or token.isdigit():
        return 0
    if n <= 8:
        return 1
    return 2
