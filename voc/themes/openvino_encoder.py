"""A sentence-transformers model compiled by OpenVINO, with int8 weights and activations by default.

The network is the model's own (all six layers of all-MiniLM-L6-v2 by default), converted from its torch weights
with pooling and normalisation inside the graph, then quantised statically by NNCF: the activation ranges come
from a bundled, multi-domain calibration set (voc/themes/data/calibration_feedback.txt), not from the data being
clustered. Converted models are cached on disk by a digest of the weights, the calibration set and the library
versions, so a worker pays the ~20 s conversion once.

What was measured (BANKING77, 13,083 texts, 2 cores; see README): static int8 here runs at 4.8-5.3x the fp32
sentence-transformers rate on an AMD EPYC (Zen 4) and 2.9x on an Intel Xeon, both with AVX-512 VNNI, at 0.997 cosine
to fp32 and 0.002 NMI. Rejected:
- dynamic int8 in ONNX Runtime: 2.4x the fp32 speed on the Xeon, vectors at 0.994 cosine;
- dropping layers (5 of 6: NMI 0.811 → 0.671), pruning 25% of the feed-forward units (→ 0.786) or feeding no
  [CLS]/[SEP] tokens (→ 0.794) are all faster but lose far more than the 0.01 NMI the engine may give up;
- bf16 for the unquantised layers, two asynchronous streams, bigger batches: no faster on the EPYC.
"""

import hashlib
import json
import logging
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

CALIBRATION_TEXTS = Path(__file__).parent / "data" / "calibration_feedback.txt"
CALIBRATION_BATCH_SIZE = 32
# Widths are rounded up to a multiple of this: OpenVINO compiles kernels per input shape, and masked padding does not
# change a mean-pooled vector. Exact widths pad 19% fewer tokens on BANKING77 but gave no speed in a fresh process
# (each new width compiles) and held 390 MB more.
WIDTH_STEP = 8


class OpenVinoSentenceEncoder:
    """encode(texts) → L2-normalised float32 vectors, like SentenceTransformer.encode with normalisation."""

    def __init__(self, model_dir: Path, *, cache_dir: Path, quantize: bool, max_seq_length: int):
        import openvino
        from tokenizers import Tokenizer

        self.model_dir = Path(model_dir)
        self.tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=max_seq_length)
        self.tokenizer.no_padding()
        self.pad_id = self.tokenizer.token_to_id("[PAD]") or 0
        path = self._converted_model(Path(cache_dir), quantize=quantize)
        core = openvino.Core()
        # f32 for everything not quantised: on CPUs without AMX, bf16 is emulated, slower and less exact.
        self.compiled = core.compile_model(
            core.read_model(str(path)), "CPU", {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": "f32"}
        )
        self.dimensions = self.compiled.output(0).get_partial_shape()[1].get_length()

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        # The tokenizer lowercases and strips accents for uncased models, so "Great!" and "great!" are one input: each
        # distinct token sequence runs once (short survey answers repeat a lot).
        token_ids = self._token_ids(texts)
        distinct = list(dict.fromkeys(token_ids))
        row_of = {ids: row for row, ids in enumerate(distinct)}
        vectors = np.zeros((len(distinct), self.dimensions), dtype=np.float32)
        request = self.compiled.create_infer_request()
        for rows, feeds in self._batches(distinct, batch_size):
            vectors[rows] = request.infer(feeds)[0]
        return vectors[[row_of[ids] for ids in token_ids]]

    def _token_ids(self, texts: list[str]) -> list[tuple[int, ...]]:
        return [tuple(encoding.ids) for encoding in self.tokenizer.encode_batch(list(texts))]

    def _batches(self, token_ids: list[tuple[int, ...]], batch_size: int):
        """(row indices, model inputs) per batch, sorted by length so that each batch pads only to its longest text."""
        order = sorted(range(len(token_ids)), key=lambda index: len(token_ids[index]))
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            longest = max(len(token_ids[index]) for index in rows)
            width = -(-longest // WIDTH_STEP) * WIDTH_STEP
            input_ids = np.full((len(rows), width), self.pad_id, dtype=np.int64)
            attention = np.zeros((len(rows), width), dtype=np.int64)
            for row, index in enumerate(rows):
                ids = token_ids[index]
                input_ids[row, : len(ids)] = ids
                attention[row, : len(ids)] = 1
            yield rows, {"input_ids": input_ids, "attention_mask": attention}

    def _converted_model(self, cache_dir: Path, *, quantize: bool) -> Path:
        """The OpenVINO IR for this model folder, converted (and quantised) on first use and cached on disk."""
        import openvino

        weights = _weights_file(self.model_dir)
        digest = hashlib.sha256(weights.read_bytes())
        digest.update(openvino.__version__.encode())
        if quantize:
            import nncf

            digest.update(CALIBRATION_TEXTS.read_bytes())
            digest.update(nncf.__version__.encode())
        suffix = "int8" if quantize else "fp32"
        target = cache_dir / f"{self.model_dir.name}-{digest.hexdigest()[:16]}.{suffix}.xml"
        if target.exists():
            return target
        cache_dir.mkdir(parents=True, exist_ok=True)
        logger.info("Converting %s for OpenVINO (%s) into %s", self.model_dir, suffix, target)
        model = _convert(self.model_dir)
        if quantize:
            model = self._quantize(model)
        # Written under a temporary name and renamed when complete: a crash mid-write never leaves a broken cache.
        partial = target.with_name(f"partial-{target.name}")
        openvino.save_model(model, str(partial))
        partial.with_suffix(".bin").rename(target.with_suffix(".bin"))
        partial.rename(target)
        return target

    def _quantize(self, model):
        import nncf

        texts = [line for line in CALIBRATION_TEXTS.read_text(encoding="utf-8").splitlines() if line.strip()]
        batches = [feeds for _, feeds in self._batches(self._token_ids(texts), CALIBRATION_BATCH_SIZE)]
        # TRANSFORMER keeps LayerNorm, Softmax and GELU in float, where int8 would cost accuracy.
        return nncf.quantize(
            model, nncf.Dataset(batches), model_type=nncf.ModelType.TRANSFORMER, subset_size=len(batches)
        )


def _weights_file(model_dir: Path) -> Path:
    for name in ("model.safetensors", "pytorch_model.bin"):
        if (model_dir / name).exists():
            return model_dir / name
    raise FileNotFoundError(f"{model_dir} holds no model.safetensors or pytorch_model.bin")


def _pooling_mode(model_dir: Path) -> str:
    config_path = model_dir / "1_Pooling" / "config.json"
    config = json.loads(config_path.read_text()) if config_path.exists() else {"pooling_mode_mean_tokens": True}
    if config.get("pooling_mode_mean_tokens"):
        return "mean"
    if config.get("pooling_mode_cls_token"):
        return "cls"
    raise ValueError(f"{model_dir}: only mean or CLS pooling can run on the OpenVINO backend")


def _convert(model_dir: Path):
    """The transformer plus sentence-transformers' pooling and normalisation, as one OpenVINO graph."""
    import openvino
    import torch
    from transformers import AutoModel

    transformer = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()
    pooling = _pooling_mode(model_dir)

    class SentenceVectors(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.transformer = transformer  # a submodule, so its weights convert as weights

        def forward(self, input_ids, attention_mask):
            tokens = self.transformer(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=torch.zeros_like(input_ids)
            ).last_hidden_state
            if pooling == "cls":
                pooled = tokens[:, 0]
            else:
                mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
                pooled = (tokens * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=-1)

    sample = {"input_ids": torch.ones((2, 8), dtype=torch.long), "attention_mask": torch.ones((2, 8), dtype=torch.long)}
    dynamic = [-1, -1]  # batch and tokens
    with torch.no_grad():
        return openvino.convert_model(
            SentenceVectors().eval(),
            example_input=sample,
            input=[(name, dynamic, openvino.Type.i64) for name in sample],
        )
