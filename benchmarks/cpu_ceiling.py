"""What this CPU can do for the embedding model, and where the int8 model spends its time.

    .venv/bin/python benchmarks/cpu_ceiling.py [--chunks 200]

Prints one table: matrix-product throughput at the model's shapes (fp32 numpy, bf16 torch, int8 ONNX Runtime
MatMulInteger), the work per ~200-token chunk, the embedding rate that would follow at each peak, and an ONNX
Runtime profile of kb's int8 model over ~200-token SQuAD chunks, by operator type. It explains the embedding
rate bench.py reports; it does not replace it.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

M, K, N = 2048, 384, 1536  # 2,048 token rows through a 384 -> 1,536 feed-forward layer
LAYERS, HIDDEN, FFN = 6, 384, 1536


def rate(fn, ops: float, repeat: int = 40) -> float:
    for _ in range(3):
        fn()
    started = time.perf_counter()
    for _ in range(repeat):
        fn()
    return ops * repeat / (time.perf_counter() - started) / 1e9


def int8_matmul() -> float:
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    weights = np.random.default_rng(0).integers(-127, 127, (K, N)).astype(np.int8)
    graph = helper.make_graph([helper.make_node("MatMulInteger", ["A", "B"], ["Y"])], "g",
                              [helper.make_tensor_value_info("A", TensorProto.UINT8, [M, K])],
                              [helper.make_tensor_value_info("Y", TensorProto.INT32, [M, N])],
                              [numpy_helper.from_array(weights, "B")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    a = np.random.default_rng(1).integers(0, 255, (M, K)).astype(np.uint8)
    return rate(lambda: session.run(None, {"A": a}), 2 * M * K * N)


def profile(chunks: int) -> tuple[dict[str, float], float]:
    import onnxruntime as ort

    from bench import sample_chunks
    from kb.embedding import Embedder

    texts, _ = sample_chunks(chunks)
    embedder = Embedder(backend="onnx-int8", device="cpu")
    encoder = embedder._encoder
    options = ort.SessionOptions()
    options.enable_profiling = True
    options.intra_op_num_threads = 1
    options.profile_file_prefix = os.path.join(tempfile.mkdtemp(), "kb")
    session = ort.InferenceSession(str(encoder.path), options, providers=["CPUExecutionProvider"])
    tokens = 0
    for begin in range(0, len(texts), 2):
        feeds, encodings = encoder._feeds(texts[begin : begin + 2])
        tokens += int(feeds["attention_mask"].sum())
        session.run(["embedding"], feeds)
    events = json.loads(Path(session.end_profiling()).read_text())
    by_op: dict[str, float] = collections.Counter()
    for event in events:
        if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
            by_op[event["args"]["op_name"]] += event["dur"] / 1e6
    return dict(by_op), tokens / len(texts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=200)
    args = parser.parse_args()
    import torch

    a32 = np.random.default_rng(2).random((M, K), dtype=np.float32)
    b32 = np.random.default_rng(3).random((K, N), dtype=np.float32)
    fp32 = rate(lambda: a32 @ b32, 2 * M * K * N)
    abf, bbf = torch.from_numpy(a32).bfloat16(), torch.from_numpy(b32).bfloat16()
    bf16 = rate(lambda: abf @ bbf, 2 * M * K * N)
    int8 = int8_matmul()
    by_op, tokens = profile(args.chunks)
    per_token = 2 * LAYERS * (4 * HIDDEN * HIDDEN + 2 * HIDDEN * FFN)  # projections + feed-forward, multiply-adds x2
    attention = 2 * LAYERS * 2 * tokens * HIDDEN  # scores and weighted values
    gop = (per_token + attention) * tokens / 1e9
    print(f"kb CPU ceiling | {os.cpu_count()} CPUs | {time.strftime('%Y-%m-%d %H:%M')}")
    print("| what | figure | chunks/s if the whole model ran at it |")
    print("|---|---|---|")
    print(f"| work per chunk ({tokens:.0f} tokens) | {gop:.2f} GOP | |")
    for label, value in (("fp32 matrix product (numpy)", fp32), ("bf16 matrix product (torch)", bf16),
                         ("int8 matrix product (ONNX Runtime MatMulInteger)", int8)):
        print(f"| {label}, {M}x{K}x{N} | {value:.0f} GOP/s | {value / gop:.0f} |")
    total = sum(by_op.values())
    print(f"| int8 model, one thread, {args.chunks} chunks | {total:.1f} s of kernels | "
          f"{args.chunks / total:.0f} per core |")
    for op, seconds in sorted(by_op.items(), key=lambda kv: -kv[1])[:6]:
        print(f"| - {op} | {100 * seconds / total:.0f}% | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
