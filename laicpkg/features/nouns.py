"""The wild noun pool: WordNet 3.0 nouns and the prompt templates that turn them into text.

Explained in: notebooks/01_laic_problem and README ("Running on real data").

The package ships ``data/wordnet_noun_senses.tsv.gz``: every (noun synset,
lemma) pair of WordNet 3.0 — 146,347 rows of ``offset<TAB>sense_number<TAB>lemma``
in synset order, lemmas in WordNet's order within a synset. Three noun lists
derive from it:

``wordnet`` (default)
    one noun per synset, its first lemma: 82,115 entries, the "more than 82,000
    nouns" of SIC and GradNorm. Different synsets can share their first lemma
    ("bank"), so 67,893 distinct strings; duplicates have identical text
    features and are kept, one per concept.
``wordnet-unique``
    the 67,893 distinct first lemmas (first occurrence kept).
``wordnet-senses``
    all 146,347 word–sense pairs: the ``word`` column of the TAC reference
    code's noun CSV (one row per sense, so a word with several senses appears
    several times).

Multi-word lemmas are written with spaces in prompts (``Maltese_dog`` →
"Maltese dog"); case is kept as WordNet has it.

The file is regenerated from NLTK's WordNet reader with
``laic nouns --wordnet-dir /usr/share/wordnet`` (Debian's ``wordnet-base``);
``make test`` checks that the regenerated file equals the shipped one.
"""
from __future__ import annotations

import gzip
import shutil
from functools import lru_cache
from pathlib import Path

from ..utils.atomic import atomic_open
from ..utils.errors import LaicError, look_up

__all__ = ["NOUN_LISTS", "PROMPT_SETS", "load_nouns", "prompt_texts", "read_wordnet_senses",
           "write_wordnet_senses", "prepare_nltk_wordnet", "WORDNET_LEXNAMES", "SENSES_FILE", "HYPERNYMS_FILE",
           "read_wordnet_hypernyms", "write_tsv_gz"]

SENSES_FILE = Path(__file__).with_name("data") / "wordnet_noun_senses.tsv.gz"
#: ``offset<TAB>hypernym offsets`` (comma-separated; class and instance hypernyms) of every noun synset.
HYPERNYMS_FILE = Path(__file__).with_name("data") / "wordnet_noun_hypernyms.tsv.gz"

#: The 7-template ensemble of the TAC reference code (book/implementation.md).
ENSEMBLE7 = ("itap of a {}.", "a bad photo of the {}.", "a origami {}.", "a photo of the large {}.",
             "a {} in a video game.", "art of the {}.", "a photo of the small {}.")
PROMPT_SETS = {"ensemble7": ENSEMBLE7, "photo": ("a photo of a {}.",)}
NOUN_LISTS = ("wordnet", "wordnet-unique", "wordnet-senses")

#: WordNet's 45 lexicographer file names (lexnames(5WN)); Debian's wordnet-base lacks the file NLTK reads.
WORDNET_LEXNAMES = (
    "adj.all", "adj.pert", "adv.all", "noun.Tops", "noun.act", "noun.animal", "noun.artifact",
    "noun.attribute", "noun.body", "noun.cognition", "noun.communication", "noun.event", "noun.feeling",
    "noun.food", "noun.group", "noun.location", "noun.motive", "noun.object", "noun.person",
    "noun.phenomenon", "noun.plant", "noun.possession", "noun.process", "noun.quantity", "noun.relation",
    "noun.shape", "noun.state", "noun.substance", "noun.time", "verb.body", "verb.change", "verb.cognition",
    "verb.communication", "verb.competition", "verb.consumption", "verb.contact", "verb.creation",
    "verb.emotion", "verb.motion", "verb.perception", "verb.possession", "verb.social", "verb.stative",
    "verb.weather", "adj.ppl")
_SYNTACTIC_CATEGORY = {"adj": 3, "adv": 4, "noun": 1, "verb": 2}


def prompt_texts(noun: str, prompts: str = "ensemble7") -> list[str]:
    """The prompts of one noun (underscores become spaces)."""
    look_up(PROMPT_SETS, prompts, "prompt set")
    word = noun.replace("_", " ")
    return [t.format(word) for t in PROMPT_SETS[prompts]]


@lru_cache(maxsize=1)
def _senses() -> tuple:
    with gzip.open(SENSES_FILE, "rt", encoding="utf-8") as fh:
        return tuple(tuple(line.rstrip("\n").split("\t")) for line in fh)


def load_nouns(name: str = "wordnet") -> list[str]:
    """The noun list ``name`` (see the module docstring), lemmas as in WordNet (with underscores)."""
    look_up(NOUN_LISTS, name, "noun list")
    rows = _senses()
    if name == "wordnet-senses":
        return [lemma for _, _, lemma in rows]
    first = [lemma for _, k, lemma in rows if k == "0"]
    if name == "wordnet":
        return first
    return list(dict.fromkeys(first))


def prepare_nltk_wordnet(wordnet_dir, nltk_data) -> Path:
    """Lay out WordNet 3.0 database files (e.g. Debian's /usr/share/wordnet) for NLTK.

    Copies the files to ``<nltk_data>/corpora/wordnet/`` and writes the
    ``lexnames`` file NLTK needs. Returns the corpus folder.
    """
    src = Path(wordnet_dir)
    if not (src / "data.noun").is_file():
        raise LaicError(f"{src} does not hold the WordNet database (no data.noun); install Debian's "
                        "wordnet-base or point --wordnet-dir at a WordNet 3.0 'dict' folder")
    dst = Path(nltk_data) / "corpora" / "wordnet"
    dst.mkdir(parents=True, exist_ok=True)
    for f in src.iterdir():
        if f.is_file():
            shutil.copyfile(f, dst / f.name)
    if not (dst / "lexnames").is_file():
        (dst / "lexnames").write_text("".join(f"{i:02d}\t{n}\t{_SYNTACTIC_CATEGORY[n.split('.')[0]]}\n"
                                              for i, n in enumerate(WORDNET_LEXNAMES)))
    return dst


def read_wordnet_senses(nltk_data) -> list[tuple[str, str, str]]:
    """All (synset offset, sense number within the synset, lemma) of WordNet's nouns, via NLTK."""
    return _read_wordnet(nltk_data, lambda syn: [(f"{syn.offset():08d}", str(k), lemma.name())
                                                 for k, lemma in enumerate(syn.lemmas())])


def read_wordnet_hypernyms(nltk_data) -> list[tuple[str, str]]:
    """(synset offset, sorted comma-separated offsets of its hypernyms and instance hypernyms) of every noun synset.

    The hypernym graph of the nouns (a DAG rooted at "entity"), as WordNet 3.0 holds it."""
    return _read_wordnet(nltk_data, lambda syn: [(f"{syn.offset():08d}", ",".join(
        sorted(f"{h.offset():08d}" for h in syn.hypernyms() + syn.instance_hypernyms())))])


def _read_wordnet(nltk_data, rows_of) -> list[tuple]:
    """Rows ``rows_of(synset)`` over every noun synset of the WordNet database laid out for NLTK."""
    import warnings

    import nltk
    from nltk.corpus.reader import WordNetCorpusReader

    class _WordNet30(WordNetCorpusReader):
        # The database *is* WordNet 3.0; skip NLTK's mapping to 3.0, which needs index.sense.
        def map_wn(self, version="wordnet"):
            return None

    nltk_data = str(Path(nltk_data).resolve())
    if nltk_data not in nltk.data.path:
        nltk.data.path.insert(0, nltk_data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wn = _WordNet30(nltk.data.find("corpora/wordnet"), None)
            rows = [row for syn in wn.all_synsets("n") for row in rows_of(syn)]
    except Exception as exc:  # NLTK's parser fails in many ways on a damaged database
        first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ""
        first = first.replace(str(Path(nltk_data) / "corpora" / "wordnet") + "/", "")
        raise LaicError(f"the WordNet database cannot be read ({type(exc).__name__}: {first}); "
                        "reinstall wordnet-base or point --wordnet-dir at an intact WordNet 3.0 'dict' "
                        "folder") from None
    if not rows:
        raise LaicError("the WordNet database holds no noun synsets")
    return rows


def write_tsv_gz(rows, path) -> Path:
    """Write tab-separated rows atomically as deterministic gzip (mtime 0)."""
    text = "".join("\t".join(r) + "\n" for r in rows).encode("utf-8")
    try:
        with atomic_open(path, "wb") as fh:
            with gzip.GzipFile(fileobj=fh, mode="wb", mtime=0, filename="") as gz:
                gz.write(text)
    except OSError as exc:
        raise LaicError(f"cannot write {path}: {exc.strerror or exc}") from None
    return Path(path)


def write_wordnet_senses(rows, path=SENSES_FILE) -> Path:
    """Write the senses file atomically as deterministic gzip (mtime 0)."""
    out = write_tsv_gz(rows, path)
    _senses.cache_clear()
    return out
