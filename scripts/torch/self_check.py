#!/usr/bin/python3
"""Checks of amig_baseline.py that need no other implementation (run with Debian's python3):

  /usr/bin/python3 scripts/torch/self_check.py

`npm run bench` proves the BERT and GPT-2 code against the engine on the same weights. Until the
engine implements the LLaMA family, that family is checked here only against this directory's own
means: tiny random Llama (llama3 and linear RoPE scaling, GQA, biases), Mistral, Qwen2 and Qwen3
(q/k norm, head_dim apart from hidden / heads) folders, stored as F32, BF16 and sharded F16, are
run through
  - an independent float64 forward pass written from the equations (per-head loops, RoPE as a
    complex rotation of the pairs (i, i + d/2), llama3 frequencies by scalar arithmetic);
  - the tapped coefficient silu(gate x) * up x and gate silu(gate x) against that pass;
and, with tiny BERT, RoBERTa and GPT-2 folders too,
  - autograd dP/d(tap) against central finite differences (float64), for every tap mode;
  - IG completeness: sum over units of (a - 0) * mean gradient = P(a) - P(0) up to O(1/m);
  - causality: a path row edited at t* leaves every earlier position's logits unchanged;
  - AMIG scores in float32 against float64.
Prints one line per check and exits 1 if any fails.
"""

import cmath
import json
import math
import os
import struct
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import amig_baseline as ab  # noqa: E402

FAILURES = []


def check(name, ok, detail):
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
    if not ok:
        FAILURES.append(name)


# ---------------------------------------------------------------------------------------------
# Tiny random folders.

STORE = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def write_safetensors(path, tensors, dtype):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        data = tensors[name].to(STORE[dtype]).contiguous()
        raw = data.view(torch.int16 if dtype != "F32" else torch.int32).numpy().tobytes()
        header[name] = {
            "dtype": dtype,
            "shape": list(data.shape),
            "data_offsets": [offset, offset + len(raw)],
        }
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def write_folder(folder, config, tensors, dtype="F32", shards=1):
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f)
    if shards == 1:
        write_safetensors(os.path.join(folder, "model.safetensors"), tensors, dtype)
        return
    names = sorted(tensors)
    weight_map = {}
    for s in range(shards):
        file = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
        part = names[s::shards]
        write_safetensors(os.path.join(folder, file), {n: tensors[n] for n in part}, dtype)
        weight_map.update({n: file for n in part})
    with open(os.path.join(folder, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {}, "weight_map": weight_map}, f)


def random_tensors(config, seed, std=0.3):
    """Every parameter of the model class, random, named as save_pretrained names them."""
    torch.manual_seed(seed)
    config = ab.with_defaults(config)
    model = ab.FAMILIES[config["model_type"]](config)
    out = {}
    for name, p in model.named_parameters():
        if config["tie_word_embeddings"] and name == model.head_weight:
            continue
        norm = (
            name.endswith("norm.weight")
            or "LayerNorm.weight" in name
            or name.endswith(("ln_1.weight", "ln_2.weight", "ln_f.weight"))
        )
        out[name] = (1.0 if norm else 0.0) + std * torch.randn(p.shape)
    return out


def rounded(tensors, dtype):
    """The float32 values a reader must return for tensors stored as `dtype`."""
    return {n: t.to(STORE[dtype]).float() for n, t in tensors.items()}


LLAMA_BASE = {
    "vocab_size": 50,
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 48,
    "rms_norm_eps": 1e-6,
}

LLAMA_CASES = [
    (
        "llama, GQA 4:2, llama3 RoPE, untied, F32",
        {
            **LLAMA_BASE,
            "model_type": "llama",
            "num_key_value_heads": 2,
            "rope_theta": 500000.0,
            "rope_scaling": {
                "rope_type": "llama3",
                "factor": 8.0,
                "low_freq_factor": 1.0,
                "high_freq_factor": 4.0,
                "original_max_position_embeddings": 8192,
            },
            "tie_word_embeddings": False,
        },
        "F32",
        1,
    ),
    (
        "llama, linear RoPE, attention and MLP biases, tied, BF16",
        {
            **LLAMA_BASE,
            "model_type": "llama",
            "rope_scaling": {"type": "linear", "factor": 2.0},
            "attention_bias": True,
            "mlp_bias": True,
            "tie_word_embeddings": True,
        },
        "BF16",
        1,
    ),
    (
        "mistral, GQA 4:1, sliding window, sharded F16",
        {
            **LLAMA_BASE,
            "model_type": "mistral",
            "num_key_value_heads": 1,
            "sliding_window": 4096,
            "rope_theta": 1e6,
        },
        "F16",
        2,
    ),
    (
        "qwen2, q/k/v biases, tied, F32",
        {**LLAMA_BASE, "model_type": "qwen2", "num_key_value_heads": 2, "tie_word_embeddings": True},
        "F32",
        1,
    ),
    (
        "qwen3, q/k norm, head_dim 16, untied, F32",
        {**LLAMA_BASE, "model_type": "qwen3", "num_key_value_heads": 2, "head_dim": 16, "rope_theta": 1e6},
        "F32",
        1,
    ),
]

OTHER_CASES = [
    (
        "bert",
        {
            "model_type": "bert",
            "vocab_size": 40,
            "hidden_size": 16,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "intermediate_size": 24,
            "max_position_embeddings": 16,
            "type_vocab_size": 2,
        },
        "F32",
        1,
    ),
    (
        "roberta, untied",
        {
            "model_type": "roberta",
            "vocab_size": 40,
            "hidden_size": 16,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "intermediate_size": 24,
            "max_position_embeddings": 20,
            "type_vocab_size": 1,
            "pad_token_id": 1,
            "layer_norm_eps": 1e-5,
            "tie_word_embeddings": False,
        },
        "F32",
        1,
    ),
    (
        "gpt2",
        {"model_type": "gpt2", "vocab_size": 40, "n_embd": 16, "n_layer": 2, "n_head": 2, "n_positions": 16},
        "F32",
        1,
    ),
]


# ---------------------------------------------------------------------------------------------
# An independent float64 LLaMA-family forward pass, from the equations and the stored tensors.


def reference_inverse_frequencies(c, head_dim):
    theta = c.get("rope_theta", 10000.0)
    scaling = c.get("rope_scaling") or {}
    kind = scaling.get("rope_type", scaling.get("type", "default"))
    out = []
    for i in range(head_dim // 2):
        f = theta ** (-2 * i / head_dim)
        if kind == "linear":
            f /= scaling["factor"]
        elif kind == "llama3":
            wavelength = 2 * math.pi / f
            old, low, high = (
                scaling["original_max_position_embeddings"],
                scaling["low_freq_factor"],
                scaling["high_freq_factor"],
            )
            if wavelength > old / low:  # low frequencies: interpolated
                f /= scaling["factor"]
            elif wavelength >= old / high:  # between: a blend of both
                s = (old / wavelength - low) / (high - low)
                f = (1 - s) * f / scaling["factor"] + s * f
        out.append(f)
    return out


def reference_forward(c, w, ids):
    """(logits [T, V], per layer: (coefficient [T, F], gate [T, F])) in float64."""
    w = {n[len("model.") :] if n.startswith("model.") else n: t.double() for n, t in w.items()}
    H, heads = c["hidden_size"], c["num_attention_heads"]
    kv = c.get("num_key_value_heads") or heads
    d = c.get("head_dim") or H // heads
    eps = c.get("rms_norm_eps", 1e-6)
    T = len(ids)
    freqs = reference_inverse_frequencies(c, d)

    def rms(x, g):
        return g * x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps)

    def linear(x, name):
        y = x @ w[f"{name}.weight"].T
        return y + w[f"{name}.bias"] if f"{name}.bias" in w else y

    def rotate(v, pos):  # pairs (i, i + d/2) as the complex numbers v_i + j v_{i+d/2}
        out = v.clone()
        for i, f in enumerate(freqs):
            z = complex(float(v[i]), float(v[i + d // 2])) * cmath.exp(1j * pos * f)
            out[i], out[i + d // 2] = z.real, z.imag
        return out

    x = w["embed_tokens.weight"][ids]
    taps = []
    for l in range(c["num_hidden_layers"]):
        p = f"layers.{l}."
        h = rms(x, w[p + "input_layernorm.weight"])
        q, k, v = (linear(h, p + f"self_attn.{n}_proj") for n in "qkv")
        context = torch.zeros(T, heads * d, dtype=torch.float64)
        for head in range(heads):
            g = head // (heads // kv)
            qh, kh, vh = q[:, head * d : (head + 1) * d], k[:, g * d : (g + 1) * d], v[:, g * d : (g + 1) * d]
            if c["model_type"] == "qwen3":
                qh, kh = rms(qh, w[p + "self_attn.q_norm.weight"]), rms(kh, w[p + "self_attn.k_norm.weight"])
            qh = torch.stack([rotate(qh[t], t) for t in range(T)])
            kh = torch.stack([rotate(kh[t], t) for t in range(T)])
            for t in range(T):
                s = torch.tensor(
                    [float(qh[t] @ kh[u]) / math.sqrt(d) for u in range(t + 1)], dtype=torch.float64
                )
                a = torch.exp(s - s.max())
                context[t, head * d : (head + 1) * d] = (a / a.sum()) @ vh[: t + 1]
        x = x + linear(context, p + "self_attn.o_proj")
        h2 = rms(x, w[p + "post_attention_layernorm.weight"])
        gate = linear(h2, p + "mlp.gate_proj")
        silu = gate / (1 + torch.exp(-gate))
        coefficient = silu * linear(h2, p + "mlp.up_proj")
        taps.append((coefficient, silu))
        x = x + linear(coefficient, p + "mlp.down_proj")
    x = rms(x, w["norm.weight"])
    head = w.get("lm_head.weight", w["embed_tokens.weight"])
    return x @ head.T, taps


# ---------------------------------------------------------------------------------------------
# Checks on one folder.


def probability(model, ids, layer, tap, position, token, x):
    """P(token) at `position` with the tap at (layer, position) replaced by rows x [B, F]."""
    hook = ab.Tap(model, layer, tap, position)
    hook.replacement = x
    try:
        logits = model(ids[None, :].expand(x.shape[0], -1))
    finally:
        hook.remove()
    return logits[:, position, :].softmax(-1)[:, token], logits


def check_gradients(label, model64, ids, taps, position, token):
    worst = 0.0
    for layer in (0, len(model64.blocks()) - 1):
        for tap in taps:
            _, a = ab.read_activation(model64, ids, layer, tap, position)
            x = a.detach()[None, :].clone().requires_grad_(True)
            p, _ = probability(model64, ids, layer, tap, position, token, x)
            (g,) = torch.autograd.grad(p.sum(), x)
            for unit in range(0, x.shape[1], max(1, x.shape[1] // 5)):
                e = torch.zeros_like(x)
                e[0, unit] = 1e-6
                with torch.no_grad():
                    up = probability(model64, ids, layer, tap, position, token, x + e)[0]
                    down = probability(model64, ids, layer, tap, position, token, x - e)[0]
                fd = float((up - down) / 2e-6)
                worst = max(worst, abs(fd - float(g[0, unit])) / max(1e-8, abs(fd)))
    check(
        f"{label}: dP/d(tap) vs finite differences ({', '.join(taps)})",
        worst < 1e-5,
        f"worst relative error {worst:.1e}",
    )


def check_completeness(label, model64, ids, position, token, baseline_token):
    steps = 400
    req = ab.normalise(
        {
            "model": "",
            "ids": ids.tolist(),
            "slots": [{"position": position, "token_id": token}],
            "method": "ig",
            "steps": steps,
            "score": "difference",
            "baseline_token": baseline_token,
        }
    )
    scores, _ = ab.attribute(model64, req)
    worst = 0.0
    for layer in range(scores.shape[0]):
        _, a = ab.read_activation(model64, ids, layer, "post-activation", position)
        with torch.no_grad():
            pa, _ = probability(model64, ids, layer, "post-activation", position, token, a[None, :])
            p0, _ = probability(
                model64, ids, layer, "post-activation", position, token, torch.zeros_like(a)[None, :]
            )
        change = float(pa - p0)
        worst = max(worst, abs(float(scores[layer].sum()) - change) / abs(change))
    check(
        f"{label}: IG completeness, m = {steps}",
        worst < 5e-3,
        f"worst |sum - (P(a) - P(0))| / |P(a) - P(0)| {worst:.1e}",
    )


def check_causality(label, model64, ids, position, token):
    with torch.no_grad():
        clean = model64(ids[None, :])[0]
        _, a = ab.read_activation(model64, ids, 0, "post-activation", position)
        _, edited = probability(model64, ids, 0, "post-activation", position, token, 3 * a[None, :] + 1)
    before = float((edited[0, :position] - clean[:position]).abs().max())
    after = float((edited[0, position:] - clean[position:]).abs().max())
    check(
        f"{label}: an edit at t* leaves earlier positions alone",
        before == 0.0 and after > 0,
        f"change before t* {before:.1e}, from t* on {after:.1e}",
    )


def check_precision(label, model32, model64, ids, position, token, baseline_token, tap):
    req = ab.normalise(
        {
            "model": "",
            "ids": ids.tolist(),
            "slots": [{"position": position, "token_id": token}],
            "baseline_token": baseline_token,
            "steps": 20,
            "tap": tap,
        }
    )
    s32, _ = ab.attribute(model32, req)
    s64, _ = ab.attribute(model64, req)
    diff = float((s32.double() - s64).abs().max() / s64.abs().max())
    check(f"{label}: AMIG float32 vs float64 ({tap})", diff < 1e-4, f"max |diff| / max |score| {diff:.1e}")


def check_folder(label, config, dtype, shards, root, seed):
    folder = os.path.join(root, f"case{seed}")
    os.mkdir(folder)
    tensors = random_tensors(config, seed)
    write_folder(folder, config, tensors, dtype, shards)
    model32, _ = ab.load_model(folder)
    model64, _ = ab.load_model(folder)
    model64.double()
    V = config["vocab_size"]
    ids = torch.tensor([(7 * i + 3) % V for i in range(7)])
    causal = model32.causal
    position = 4 if causal else 3  # a causal slot before the end, to test causality
    if not causal:
        ids[position] = 4  # the mask token of the tiny masked-LM cases
    baseline_token = 4 if not causal else 0
    token = int(model64(ids[None, :])[0, position].argmax())  # the model's own prediction: P not tiny
    llama = config["model_type"] in ("llama", "mistral", "qwen2", "qwen3")

    if llama:
        with torch.no_grad():
            ref_logits, ref_taps = reference_forward(config, rounded(tensors, dtype), ids.tolist())
            logits32 = model32(ids[None, :])[0].double()
        diff = float((logits32 - ref_logits).abs().max() / ref_logits.abs().max())
        check(
            f"{label}: logits vs the float64 reference", diff < 1e-5, f"max |diff| / max |logit| {diff:.1e}"
        )
        worst = 0.0
        for layer, (coefficient, gate) in enumerate(ref_taps):
            for tap, want in (("post-activation", coefficient), ("gate", gate)):
                _, got = ab.read_activation(model64, ids, layer, tap, position)
                worst = max(worst, float((got - want[position]).abs().max() / want[position].abs().max()))
        check(
            f"{label}: taps silu(gate x) * up x and silu(gate x) vs the reference",
            worst < 1e-8,
            f"max relative difference {worst:.1e}",
        )
    taps = ("post-activation", "gate") if llama else ("post-activation", "pre-activation")
    check_gradients(label, model64, ids, taps, position, token)
    check_completeness(label, model64, ids, position, token, baseline_token)
    if causal:
        check_causality(label, model64, ids, position, token)
    for tap in taps:
        check_precision(label, model32, model64, ids, position, token, baseline_token, tap)


def main():
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as root:
        for seed, (label, config, dtype, shards) in enumerate(LLAMA_CASES + OTHER_CASES):
            check_folder(label, config, dtype, shards, root, seed)
    print(f"\n{len(FAILURES)} failed" if FAILURES else "\nall checks passed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
