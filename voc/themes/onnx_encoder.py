"""A sentence-transformers model run by ONNX Runtime, optionally with int8 weights.

sentence-transformers' own ONNX backend needs optimum, whose releases pin transformers 4.x while
sentence-transformers 6 needs 5.x, so voc exports the model itself (torch.onnx, offline, about 2 s, cached on disk)
and does the tokenising and pooling here. Dynamic int8 quantisation of the MatMuls keeps the vectors within
~0.99 cosine of fp32. Measured on 1,500 BANKING77 texts on an idle 2-core machine: sentence-transformers fp32
129 texts/s, ONNX fp32 171 (1.3x, identical vectors), ONNX int8 180 (1.4x).
"""

import hashlib
import json
import logging
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

ONNX_OPSET = 17


class OnnxSentenceEncoder:
    """encode(texts) → L2-normalised float32 vectors, like SentenceTransformer.encode with normalisation."""

    def __init__(self, model_dir: Path, *, cache_dir: Path, quantize: bool, max_seq_length: int, threads: int = 0):
        import onnxruntime
        from tokenizers import Tokenizer

        self.model_dir = Path(model_dir)
        self.max_seq_length = max_seq_length
        self.pooling = _pooling_mode(self.model_dir)
        self.tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=max_seq_length)
        self.tokenizer.no_padding()
        self.pad_id = self.tokenizer.token_to_id("[PAD]") or 0
        path = _exported_model(self.model_dir, cache_dir=Path(cache_dir), quantize=quantize)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads  # 0: one per core
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.input_names = {node.name for node in self.session.get_inputs()}

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(list(texts))
        vectors = np.zeros((len(texts), 0), dtype=np.float32)
        # Sorting by length means each batch pads only to its own longest text.
        order = sorted(range(len(texts)), key=lambda index: len(encodings[index].ids))
        results: dict[int, np.ndarray] = {}
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            pooled = self._encode_batch([encodings[index] for index in batch])
            results.update(zip(batch, pooled, strict=True))
        if results:
            vectors = np.stack([results[index] for index in range(len(texts))])
        norms = np.linalg.norm(vectors, axis=1, keepdims=True) if len(vectors) else 1
        return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)

    def _encode_batch(self, encodings) -> np.ndarray:
        width = max(len(encoding.ids) for encoding in encodings)
        input_ids = np.full((len(encodings), width), self.pad_id, dtype=np.int64)
        attention = np.zeros((len(encodings), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            input_ids[row, : len(encoding.ids)] = encoding.ids
            attention[row, : len(encoding.ids)] = 1
        feeds = {"input_ids": input_ids, "attention_mask": attention}
        if "token_type_ids" in self.input_names:
            feeds["token_type_ids"] = np.zeros_like(input_ids)
        token_vectors = self.session.run(None, feeds)[0]
        if self.pooling == "cls":
            return token_vectors[:, 0]
        mask = attention[:, :, None].astype(np.float32)
        return (token_vectors * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)


def _pooling_mode(model_dir: Path) -> str:
    config_path = model_dir / "1_Pooling" / "config.json"
    config = json.loads(config_path.read_text()) if config_path.exists() else {"pooling_mode_mean_tokens": True}
    if config.get("pooling_mode_mean_tokens"):
        return "mean"
    if config.get("pooling_mode_cls_token"):
        return "cls"
    raise ValueError(f"{model_dir}: only mean or CLS pooling can run on the ONNX backend")


def _exported_model(model_dir: Path, *, cache_dir: Path, quantize: bool) -> Path:
    """The ONNX file for this model folder, exported (and quantised) on first use and cached by the weights' hash."""
    candidates = [model_dir / "model.safetensors", model_dir / "pytorch_model.bin"]
    weights = next((path for path in candidates if path.exists()), None)
    if weights is None:
        raise FileNotFoundError(f"{model_dir} holds no model.safetensors or pytorch_model.bin")
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()[:16]
    cache_dir.mkdir(parents=True, exist_ok=True)
    fp32_path = cache_dir / f"{model_dir.name}-{digest}.onnx"
    int8_path = cache_dir / f"{model_dir.name}-{digest}.int8.onnx"
    if not fp32_path.exists():
        _export(model_dir, fp32_path)
    if not quantize:
        return fp32_path
    if not int8_path.exists():
        from onnxruntime.quantization import QuantType, quantize_dynamic

        partial = int8_path.with_suffix(".partial")
        # Per-channel scales keep int8 vectors at ~0.993 cosine to fp32 on BANKING77 (per-tensor: ~0.969).
        quantize_dynamic(
            str(fp32_path), str(partial), weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=["MatMul"]
        )
        partial.rename(int8_path)
    return int8_path


def _export(model_dir: Path, target: Path) -> None:
    import torch
    from transformers import AutoModel

    logger.info("Exporting %s to ONNX at %s", model_dir, target)
    transformer = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()

    class TokenEmbeddings(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.transformer = transformer  # a submodule, so its weights export as weights

        # Keyword arguments only: the positional order of forward() differs between transformers releases.
        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.transformer(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    model = TokenEmbeddings().eval()
    sample = {
        "input_ids": torch.ones((2, 8), dtype=torch.long),
        "attention_mask": torch.ones((2, 8), dtype=torch.long),
        "token_type_ids": torch.zeros((2, 8), dtype=torch.long),
    }
    dynamic = {0: "batch", 1: "tokens"}
    partial = target.with_suffix(".partial")
    with torch.no_grad():
        torch.onnx.export(
            model,
            (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"]),
            str(partial),
            input_names=list(sample),
            output_names=["token_embeddings"],
            dynamic_axes={name: dynamic for name in sample} | {"token_embeddings": dynamic},
            opset_version=ONNX_OPSET,
            dynamo=False,
        )
    # Renamed into place only when complete, so a crash mid-export never leaves a broken cache entry.
    partial.rename(target)
