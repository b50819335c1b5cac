"""The shipped WordNet noun pool, the prompt ensemble, and regeneration from Debian's wordnet-base."""
import gzip
import os
from pathlib import Path

import pytest

from laicpkg.cli import main
from laicpkg.features.nouns import ENSEMBLE7, SENSES_FILE, load_nouns, prompt_texts


def test_noun_list_counts():
    # WordNet 3.0: 82,115 noun synsets, 146,347 noun word-sense pairs (the TAC CSV's row count)
    assert len(load_nouns("wordnet")) == 82115
    assert len(load_nouns("wordnet-senses")) == 146347
    unique = load_nouns("wordnet-unique")
    assert len(unique) == len(set(unique)) == 67893
    assert load_nouns("wordnet")[:3] == ["entity", "physical_entity", "abstraction"]


def test_prompts():
    assert len(ENSEMBLE7) == 7
    assert prompt_texts("Maltese_dog")[0] == "itap of a Maltese dog."
    assert prompt_texts("cat", "photo") == ["a photo of a cat."]


@pytest.mark.slow
def test_regenerate_from_debian_wordnet(tmp_path):
    wn = os.environ.get("LAIC_WORDNET_DIR", "/usr/share/wordnet")
    if not (Path(wn) / "data.noun").is_file():
        pytest.fail(f"no WordNet database at {wn}: run the tests with `make test`, which fetches Debian's "
                    "wordnet-base, or set LAIC_WORDNET_DIR")
    out, hyper = tmp_path / "senses.tsv.gz", tmp_path / "hypernyms.tsv.gz"
    assert main(["nouns", "--wordnet-dir", wn, "--out", str(out), "--hypernyms-out", str(hyper)]) == 0
    assert gzip.decompress(out.read_bytes()) == gzip.decompress(SENSES_FILE.read_bytes())
    assert out.read_bytes() == SENSES_FILE.read_bytes()  # deterministic gzip
    from laicpkg.features.nouns import HYPERNYMS_FILE

    import hashlib

    digest = [hashlib.sha256(f.read_bytes()).hexdigest() for f in (hyper, HYPERNYMS_FILE)]
    assert digest[0] == digest[1]  # (hashes: a failing comparison of 400 KB would make pytest's diff crawl)
