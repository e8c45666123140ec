"""HF transformers' BitNetForCausalLM as the GPU baseline (issue 6): bf16, random weights of a named shape, batch 1.
Prefill tokens/s at 512 tokens; decode tokens/s for 64 tokens after a 128-token prompt (greedy, KV cache).
Usage: python3 bench/device/hf-baseline.py 2b4t  -> one JSON line on stdout."""
import json
import sys
import time

import torch
from transformers import BitNetConfig, BitNetForCausalLM

SHAPES = {
    "2b4t": dict(hidden_size=2560, num_hidden_layers=30, num_attention_heads=20, num_key_value_heads=5, intermediate_size=6912, vocab_size=128256),
    "700m": dict(hidden_size=1536, num_hidden_layers=24, num_attention_heads=16, num_key_value_heads=16, intermediate_size=4096, vocab_size=32002),
}
shape = sys.argv[1] if len(sys.argv) > 1 else "2b4t"
config = BitNetConfig(**SHAPES[shape], max_position_embeddings=4096, hidden_act="relu2", tie_word_embeddings=True)
torch.manual_seed(0)
with torch.device("cuda"):
    model = BitNetForCausalLM(config).to(torch.bfloat16).eval()


def sync():
    torch.cuda.synchronize()


with torch.no_grad():
    ids = torch.randint(0, config.vocab_size, (1, 512), device="cuda")
    model(ids)  # warm-up
    sync()
    times = []
    for _ in range(3):
        t = time.perf_counter()
        model(ids)
        sync()
        times.append(time.perf_counter() - t)
    prefill = 512 / sorted(times)[1]
    prompt = ids[:, :128]
    model.generate(prompt, max_new_tokens=8, do_sample=False, min_new_tokens=8)
    sync()
    rates = []
    for _ in range(3):
        t = time.perf_counter()
        first = model.generate(prompt, max_new_tokens=1, do_sample=False, min_new_tokens=1)
        sync()
        t1 = time.perf_counter()
        model.generate(prompt, max_new_tokens=65, do_sample=False, min_new_tokens=65)
        sync()
        t2 = time.perf_counter()
        rates.append(64 / ((t2 - t1) - (t1 - t)))
    decode = sorted(rates)[1]
print(json.dumps({"shape": shape, "dtype": "bfloat16", "prefillTokens": 512, "prefillTokensPerSecond": prefill, "decodeTokens": 64, "decodeTokensPerSecond": decode, "device": torch.cuda.get_device_name(), "transformers": __import__("transformers").__version__, "torch": torch.__version__}))
