"""Concept geometry from WordNet's hypernym tree (the basis of the synthetic twins)."""
import numpy as np
import pytest

from laicpkg.features.concepts import concept_vectors, wordnet_graph
from laicpkg.utils.errors import UnknownNameError

DOG, CAT, CAR, MALTESE, BLENHEIM, AIRPLANE = "02084071", "02121620", "02958343", "n02085936", "n02086646", "02691156"


@pytest.fixture(scope="module")
def graph():
    return wordnet_graph()


@pytest.fixture(scope="module")
def concepts(graph):
    return concept_vectors(graph, 256, spread=0.5, seed=0)


def test_the_shipped_graph_is_wordnet(graph):
    assert len(graph) == 82115
    roots = [i for i, p in enumerate(graph.parents) if len(p) == 0]
    assert [graph.name(i) for i in roots] == ["entity"]
    assert graph.depth.max() == 19
    order = graph.order
    pos = np.empty(len(graph), dtype=np.int64)
    pos[order] = np.arange(len(graph))
    assert all(pos[p].max() < pos[i] for i, p in enumerate(graph.parents) if len(p))  # parents first
    assert graph.name(graph.synset(MALTESE)) == "Maltese dog"
    assert graph.path_names(graph.synset(DOG))[-3:] == ["animal", "domestic animal", "dog"]


def test_hyponym_closure_is_the_subtree(graph):
    dog = graph.synset(DOG)
    closure = set(graph.hyponym_closure(dog))
    assert dog in closure and graph.synset(MALTESE) in closure and graph.synset(CAT) not in closure
    for i in closure - {dog}:  # every member reaches dog through hypernyms
        seen, stack = set(), [i]
        while stack:
            j = stack.pop()
            seen.add(j)
            stack += [int(p) for p in graph.parents[j] if int(p) not in seen]
        assert dog in seen


def test_similarity_follows_the_tree(graph, concepts):
    def cos(a, b):
        return float(concepts[graph.synset(a)] @ concepts[graph.synset(b)])

    assert np.allclose(np.linalg.norm(concepts, axis=1), 1.0, atol=1e-5)
    # siblings (two toy dogs) > a breed and its genus' cousin (dog vs cat) > unrelated branches (dog vs car)
    assert cos(MALTESE, BLENHEIM) > cos(DOG, CAT) > cos(DOG, CAR)
    assert cos(MALTESE, DOG) > cos(MALTESE, CAT)
    # far apart in the tree: near-orthogonal on average
    rng = np.random.default_rng(0)
    idx = rng.choice(len(graph), 400, replace=False)
    assert abs(float(np.mean(concepts[idx] @ concepts[idx].T))) < 0.25


def test_spread_sets_the_parent_cosine(graph):
    for spread in (0.3, 1.0):
        C = concept_vectors(graph, 1024, spread=spread, seed=1)
        single = [i for i, p in enumerate(graph.parents) if len(p) == 1][:2000]
        parent = [int(graph.parents[i][0]) for i in single]
        mean_cos = float(np.mean(np.einsum("ij,ij->i", C[single], C[parent])))
        assert abs(mean_cos - 1 / np.sqrt(1 + spread ** 2)) < 0.02, (spread, mean_cos)


def test_same_seed_same_vectors_and_clear_errors(graph):
    a = concept_vectors(graph, 32, seed=3)
    np.testing.assert_array_equal(a, concept_vectors(graph, 32, seed=3))
    assert not np.array_equal(a, concept_vectors(graph, 32, seed=4))
    with pytest.raises(UnknownNameError, match="offset"):
        graph.synset("dog")
    with pytest.raises(UnknownNameError, match="not a WordNet noun"):
        graph.synsets("qwertyuiop")
