#!/usr/bin/python3
"""The authors' per-layer AMIG schedule in PyTorch: the baseline `npm run bench` compares with.

Our own Hugging Face-style model code (BERT/RoBERTa/XLM-R, GPT-2, LLaMA/Mistral/Qwen2/Qwen3) loads
a Hugging Face folder (config.json, model.safetensors or shards), and attributes P(object) to the
FFN neurons layer by layer as the authors' scripts do (repository heng840/AMIG, after Dai et al.'s
knowledge-neurons code); see /work/shared/SPEC-amig.md for the method:

  for each layer l:
    one clean pass, which reads the activation a at (l, t*) (a forward hook);
    AMIG only: a second clean pass, then one pass per prompt position j with token j replaced by
      the mask (masked LMs) or end-of-sequence token (causal LMs); the baseline is their mean;
    the m path points, in batches of `batch_size`, through the whole model with the tap at
      (l, t*) replaced by them (a forward hook), full-vocabulary logits, softmax, P(object),
      torch.autograd.grad with respect to the replaced activations, summed over the points;
    score = a * gradient sum / m.

No tokenizer: the caller sends token ids. Runs in float32 on the CPU with one thread per core.

  /usr/bin/python3 amig_baseline.py request.json   # one request from a file ('-': stdin)
  /usr/bin/python3 amig_baseline.py --serve        # one JSON request per stdin line, one reply
  /usr/bin/python3 amig_baseline.py --probe        # torch version, threads and BLAS library

A request: {"model": folder, "ids": [...], "slots": [{"position": t, "token_id": y}, ...],
"baseline_token": id, "method": "amig" | "ig" | "grad-x-act", "steps": 20, "batch_size": steps,
"tap": "post-activation" | "pre-activation" | "gate", "multi_token": "per-token" | "reference",
"score": "activation" | "difference", "repeats": 1}. Positions and token ids are 0-based.
The reply: {"layers", "units", "scores" (layers x units), "probability", "slot_probabilities",
"seconds" (one per repeat, excluding the load), "load_seconds", "torch", "threads",
"omp_wait_policy", "blas"}; a request that fails gets {"error": message}.
"""

import json
import math
import os
import struct
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

# ---------------------------------------------------------------------------------------------
# safetensors: an 8-byte little-endian header length N, N bytes of JSON, then the raw data.

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def read_safetensors(path):
    """Every tensor of one file, converted to float32."""
    tensors = {}
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        (n,) = struct.unpack("<Q", f.read(8))
        if 8 + n > size:
            raise ValueError(f"{path}: header length {n} exceeds the file size {size}; the file is damaged.")
        header = json.loads(f.read(n))
        header.pop("__metadata__", None)
        for name, entry in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
            dtype, shape, (begin, end) = entry["dtype"], entry["shape"], entry["data_offsets"]
            if dtype not in DTYPES:
                raise ValueError(f"{path}: tensor {name} has dtype {dtype}; only F32, F16 and BF16 load.")
            if 8 + n + end > size:
                raise ValueError(f"{path}: tensor {name} ends past the end of the file; it is truncated.")
            data = bytearray(end - begin)
            f.seek(8 + n + begin)
            f.readinto(data)
            count = math.prod(shape)
            flat = (
                torch.frombuffer(data, dtype=DTYPES[dtype]) if count else torch.empty(0, dtype=DTYPES[dtype])
            )
            tensors[name] = flat.reshape(shape).float()
    return tensors


def read_checkpoint(folder):
    single = os.path.join(folder, "model.safetensors")
    if os.path.exists(single):
        return read_safetensors(single)
    index = os.path.join(folder, "model.safetensors.index.json")
    if not os.path.exists(index):
        raise FileNotFoundError(f"{folder} has neither model.safetensors nor model.safetensors.index.json.")
    with open(index) as f:
        shards = sorted(set(json.load(f)["weight_map"].values()))
    tensors = {}
    for shard in shards:
        tensors.update(read_safetensors(os.path.join(folder, shard)))
    return tensors


# ---------------------------------------------------------------------------------------------
# Shared pieces.

ACTIVATIONS = {
    "gelu": nn.GELU,  # erf GELU
    "relu": nn.ReLU,
    "silu": nn.SiLU,
}


class NewGELU(nn.Module):
    """GPT-2's tanh approximation of GELU, written out as Hugging Face's NewGELUActivation."""

    def forward(self, x):
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def activation(name):
    if name in ("gelu_new", "gelu_pytorch_tanh"):
        return NewGELU()
    if name not in ACTIVATIONS:
        raise ValueError(f"activation {name} is not implemented (gelu, gelu_new, relu, silu are).")
    return ACTIVATIONS[name]()


def attend(q, k, v, causal):
    """softmax(q k^T / sqrt(d) + mask) v over [B, heads, T, d], as the eager attention does."""
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    if causal:
        T = q.shape[-2]
        future = torch.ones(T, T, dtype=torch.bool).triu(1)
        scores = scores.masked_fill(future, torch.finfo(scores.dtype).min)
    return scores.softmax(-1) @ v


def split_heads(x, heads):
    B, T, _ = x.shape
    return x.view(B, T, heads, -1).transpose(1, 2)


def merge_heads(x):
    B, _, T, _ = x.shape
    return x.transpose(1, 2).reshape(B, T, -1)


# ---------------------------------------------------------------------------------------------
# BERT family (BERT, mBERT, RoBERTa, XLM-R, CamemBERT): post-LayerNorm blocks, masked-LM head.


class BertEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.roberta = c["model_type"] != "bert"
        self.padding_idx = c.get("pad_token_id", 1 if self.roberta else 0)
        H = c["hidden_size"]
        self.word_embeddings = nn.Embedding(c["vocab_size"], H)
        self.position_embeddings = nn.Embedding(c.get("max_position_embeddings", 512), H)
        self.token_type_embeddings = nn.Embedding(c["type_vocab_size"], H) if c["type_vocab_size"] else None
        self.LayerNorm = nn.LayerNorm(H, eps=c.get("layer_norm_eps", 1e-12))

    def forward(self, ids):
        if self.roberta:
            # RoBERTa numbers non-padding tokens from padding_idx + 1.
            real = ids.ne(self.padding_idx).long()
            positions = torch.cumsum(real, dim=1) * real + self.padding_idx
        else:
            positions = torch.arange(ids.shape[1]).expand_as(ids)
        e = self.word_embeddings(ids) + self.position_embeddings(positions)
        if self.token_type_embeddings is not None:
            e = e + self.token_type_embeddings(torch.zeros_like(ids))
        return self.LayerNorm(e)


class BertSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        H = c["hidden_size"]
        self.heads = c["num_attention_heads"]
        self.query, self.key, self.value = nn.Linear(H, H), nn.Linear(H, H), nn.Linear(H, H)

    def forward(self, x):
        q, k, v = (split_heads(p(x), self.heads) for p in (self.query, self.key, self.value))
        return merge_heads(attend(q, k, v, causal=False))


class BertSelfOutput(nn.Module):
    def __init__(self, c):
        super().__init__()
        H = c["hidden_size"]
        self.dense = nn.Linear(H, H)
        self.LayerNorm = nn.LayerNorm(H, eps=c.get("layer_norm_eps", 1e-12))

    def forward(self, context, x):
        return self.LayerNorm(self.dense(context) + x)


class BertAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = BertSelfAttention(c)
        self.output = BertSelfOutput(c)

    def forward(self, x):
        return self.output(self.self(x), x)


class BertIntermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["intermediate_size"])
        self.intermediate_act_fn = activation(c.get("hidden_act", "gelu"))

    def forward(self, x):
        return self.intermediate_act_fn(self.dense(x))


class BertOutput(nn.Module):
    def __init__(self, c):
        super().__init__()
        H = c["hidden_size"]
        self.dense = nn.Linear(c["intermediate_size"], H)
        self.LayerNorm = nn.LayerNorm(H, eps=c.get("layer_norm_eps", 1e-12))

    def forward(self, act, x):
        return self.LayerNorm(self.dense(act) + x)


class BertLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = BertAttention(c)
        self.intermediate = BertIntermediate(c)
        self.output = BertOutput(c)

    def forward(self, x):
        h1 = self.attention(x)  # h1 = LN(x + Attn(x))
        return self.output(self.intermediate(h1), h1)  # LN(h1 + FFN(h1))


class BertEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList(BertLayer(c) for _ in range(c["num_hidden_layers"]))


class BertModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = BertEmbeddings(c)
        self.encoder = BertEncoder(c)

    def forward(self, ids):
        h = self.embeddings(ids)
        for block in self.encoder.layer:
            h = block(h)
        return h


class BertPredictionHeadTransform(nn.Module):
    def __init__(self, c):
        super().__init__()
        H = c["hidden_size"]
        self.dense = nn.Linear(H, H)
        self.transform_act_fn = activation(c.get("hidden_act", "gelu"))
        self.LayerNorm = nn.LayerNorm(H, eps=c.get("layer_norm_eps", 1e-12))

    def forward(self, h):
        return self.LayerNorm(self.transform_act_fn(self.dense(h)))


class BertLMPredictionHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.transform = BertPredictionHeadTransform(c)
        self.decoder = nn.Linear(c["hidden_size"], c["vocab_size"], bias=False)
        self.bias = nn.Parameter(torch.zeros(c["vocab_size"]))

    def forward(self, h):
        return self.decoder(self.transform(h)) + self.bias


class BertOnlyMLMHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.predictions = BertLMPredictionHead(c)


class RobertaLMHead(nn.Module):
    """RoBERTa's head applies erf GELU whatever hidden_act says."""

    def __init__(self, c):
        super().__init__()
        H = c["hidden_size"]
        self.dense = nn.Linear(H, H)
        self.layer_norm = nn.LayerNorm(H, eps=c.get("layer_norm_eps", 1e-12))
        self.decoder = nn.Linear(H, c["vocab_size"], bias=False)
        self.bias = nn.Parameter(torch.zeros(c["vocab_size"]))

    def forward(self, h):
        return self.decoder(self.layer_norm(F.gelu(self.dense(h)))) + self.bias


class BertForMaskedLM(nn.Module):
    causal = False

    def __init__(self, c):
        super().__init__()
        self.prefix = "bert" if c["model_type"] == "bert" else "roberta"
        setattr(self, self.prefix, BertModel(c))
        if self.prefix == "bert":
            self.cls = BertOnlyMLMHead(c)
        else:
            self.lm_head = RobertaLMHead(c)

    @property
    def head_weight(self):
        """The decoder weight, the word embeddings' when tied."""
        return f"{'cls.predictions' if self.prefix == 'bert' else 'lm_head'}.decoder.weight"

    @property
    def body(self):
        return getattr(self, self.prefix)

    @property
    def head(self):
        return self.cls.predictions if self.prefix == "bert" else self.lm_head

    def tie_weights(self):
        self.head.decoder.weight = self.body.embeddings.word_embeddings.weight

    def blocks(self):
        return self.body.encoder.layer

    def tap_module(self, layer, tap):
        """(module, 'input' | 'output') whose tensor is the tapped activation."""
        block = self.blocks()[layer]
        if tap == "post-activation":
            return block.output.dense, "input"
        if tap == "pre-activation":
            return block.intermediate.dense, "output"
        raise ValueError(f"tap {tap} is not defined for BERT models (post-activation, pre-activation).")

    def forward(self, ids):
        return self.head(self.body(ids))  # logits at every position, as Hugging Face computes them


# ---------------------------------------------------------------------------------------------
# GPT-2 family (GPT-2, mGPT): pre-LayerNorm blocks, causal attention, tied LM head.


class Conv1D(nn.Module):
    """GPT-2's linear layer: the weight is stored [in, out]."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(n_in, n_out))
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        return torch.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight).view(*x.shape[:-1], -1)


class GPT2Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        H = c["n_embd"]
        self.heads = c["n_head"]
        self.c_attn = Conv1D(H, 3 * H)
        self.c_proj = Conv1D(H, H)

    def forward(self, x):
        q, k, v = (split_heads(t, self.heads) for t in self.c_attn(x).split(x.shape[-1], dim=2))
        return self.c_proj(merge_heads(attend(q, k, v, causal=True)))


class GPT2MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        H = c["n_embd"]
        inner = c.get("n_inner") or 4 * H
        self.c_fc = Conv1D(H, inner)
        self.c_proj = Conv1D(inner, H)
        self.act = activation(c.get("activation_function", "gelu_new"))

    def forward(self, x):
        return self.c_proj(self.act(self.c_fc(x)))


class GPT2Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        H, eps = c["n_embd"], c.get("layer_norm_epsilon", 1e-5)
        self.ln_1 = nn.LayerNorm(H, eps=eps)
        self.attn = GPT2Attention(c)
        self.ln_2 = nn.LayerNorm(H, eps=eps)
        self.mlp = GPT2MLP(c)

    def forward(self, x):
        h1 = x + self.attn(self.ln_1(x))
        return h1 + self.mlp(self.ln_2(h1))


class GPT2Model(nn.Module):
    def __init__(self, c):
        super().__init__()
        H = c["n_embd"]
        self.wte = nn.Embedding(c["vocab_size"], H)
        self.wpe = nn.Embedding(c.get("n_positions", 1024), H)
        self.h = nn.ModuleList(GPT2Block(c) for _ in range(c["n_layer"]))
        self.ln_f = nn.LayerNorm(H, eps=c.get("layer_norm_epsilon", 1e-5))

    def forward(self, ids):
        h = self.wte(ids) + self.wpe(torch.arange(ids.shape[1]).expand_as(ids))
        for block in self.h:
            h = block(h)
        return self.ln_f(h)


class GPT2LMHeadModel(nn.Module):
    causal = True
    prefix = "transformer"
    head_weight = "lm_head.weight"

    def __init__(self, c):
        super().__init__()
        self.transformer = GPT2Model(c)
        self.lm_head = nn.Linear(c["n_embd"], c["vocab_size"], bias=False)

    def tie_weights(self):
        self.lm_head.weight = self.transformer.wte.weight

    def blocks(self):
        return self.transformer.h

    def tap_module(self, layer, tap):
        mlp = self.blocks()[layer].mlp
        if tap == "post-activation":
            return mlp.c_proj, "input"
        if tap == "pre-activation":
            return mlp.c_fc, "output"  # where the authors' code taps GPT models
        raise ValueError(f"tap {tap} is not defined for GPT-2 models (post-activation, pre-activation).")

    def forward(self, ids):
        return self.lm_head(self.transformer(ids))


# ---------------------------------------------------------------------------------------------
# LLaMA family (Llama, Mistral, Qwen2, Qwen3): RMSNorm, rotary positions, grouped-query
# attention, gated FFN down(silu(gate x) * up x) whose neurons are the coefficients.


class RMSNorm(nn.Module):
    def __init__(self, size, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(size))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def rope_inverse_frequencies(c, head_dim):
    """inv_freq of the default, linear and llama3 rope types, as transformers computes them."""
    theta = c.get("rope_theta", 10000.0)
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))
    scaling = c.get("rope_scaling") or {}
    kind = scaling.get("rope_type", scaling.get("type", "default"))
    if kind == "default":
        return inv_freq
    if kind == "linear":
        return inv_freq / scaling["factor"]
    if kind == "llama3":
        factor = scaling["factor"]
        low, high = scaling["low_freq_factor"], scaling["high_freq_factor"]
        old = scaling["original_max_position_embeddings"]
        wavelen = 2 * math.pi / inv_freq
        scaled = torch.where(wavelen > old / low, inv_freq / factor, inv_freq)
        smooth = (old / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        medium = ~(wavelen < old / high) & ~(wavelen > old / low)
        return torch.where(medium, smoothed, scaled)
    raise ValueError(f"rope_scaling type {kind} is not implemented (default, linear, llama3 are).")


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


class LlamaAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        H = c["hidden_size"]
        self.heads = c["num_attention_heads"]
        self.kv_heads = c.get("num_key_value_heads") or self.heads
        self.head_dim = c.get("head_dim") or H // self.heads
        qkv_bias = c["model_type"] == "qwen2" or c.get("attention_bias", False)
        self.q_proj = nn.Linear(H, self.heads * self.head_dim, bias=qkv_bias)
        self.k_proj = nn.Linear(H, self.kv_heads * self.head_dim, bias=qkv_bias)
        self.v_proj = nn.Linear(H, self.kv_heads * self.head_dim, bias=qkv_bias)
        o_bias = c.get("attention_bias", False) and c["model_type"] != "qwen2"
        self.o_proj = nn.Linear(self.heads * self.head_dim, H, bias=o_bias)
        if c["model_type"] == "qwen3":  # per-head RMSNorm of queries and keys, before the rotation
            self.q_norm = RMSNorm(self.head_dim, c.get("rms_norm_eps", 1e-6))
            self.k_norm = RMSNorm(self.head_dim, c.get("rms_norm_eps", 1e-6))
        self.register_buffer("inv_freq", rope_inverse_frequencies(c, self.head_dim), persistent=False)

    def forward(self, x):
        q = split_heads(self.q_proj(x), self.heads)
        k = split_heads(self.k_proj(x), self.kv_heads)
        v = split_heads(self.v_proj(x), self.kv_heads)
        if hasattr(self, "q_norm"):
            q, k = self.q_norm(q), self.k_norm(k)
        angles = torch.arange(x.shape[1]).float()[:, None] * self.inv_freq[None, :]
        emb = torch.cat((angles, angles), dim=-1)
        cos, sin = emb.cos(), emb.sin()
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        group = self.heads // self.kv_heads  # each key/value head serves `group` query heads
        k = k.repeat_interleave(group, dim=1)
        v = v.repeat_interleave(group, dim=1)
        return self.o_proj(merge_heads(attend(q, k, v, causal=True)))


class LlamaMLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        H, inner, bias = c["hidden_size"], c["intermediate_size"], c.get("mlp_bias", False)
        self.gate_proj = nn.Linear(H, inner, bias=bias)
        self.up_proj = nn.Linear(H, inner, bias=bias)
        self.down_proj = nn.Linear(inner, H, bias=bias)
        self.act_fn = activation(c.get("hidden_act", "silu"))

    def forward(self, x):
        return self.down_proj(self.act_fn(self.gate_proj(x)) * self.up_proj(x))


class LlamaDecoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        H, eps = c["hidden_size"], c.get("rms_norm_eps", 1e-6)
        self.input_layernorm = RMSNorm(H, eps)
        self.self_attn = LlamaAttention(c)
        self.post_attention_layernorm = RMSNorm(H, eps)
        self.mlp = LlamaMLP(c)

    def forward(self, x):
        h1 = x + self.self_attn(self.input_layernorm(x))
        return h1 + self.mlp(self.post_attention_layernorm(h1))


class LlamaModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        H = c["hidden_size"]
        self.embed_tokens = nn.Embedding(c["vocab_size"], H)
        self.layers = nn.ModuleList(LlamaDecoderLayer(c) for _ in range(c["num_hidden_layers"]))
        self.norm = RMSNorm(H, c.get("rms_norm_eps", 1e-6))

    def forward(self, ids):
        h = self.embed_tokens(ids)
        for block in self.layers:
            h = block(h)
        return self.norm(h)


class LlamaForCausalLM(nn.Module):
    causal = True
    prefix = "model"
    head_weight = "lm_head.weight"

    def __init__(self, c):
        super().__init__()
        self.model = LlamaModel(c)
        self.lm_head = nn.Linear(c["hidden_size"], c["vocab_size"], bias=False)
        # Sliding-window attention is not implemented; it changes nothing on prompts within it.
        windowed = c["model_type"] == "mistral" or c.get("use_sliding_window", False)
        self.window = c.get("sliding_window") if windowed else None

    def tie_weights(self):
        self.lm_head.weight = self.model.embed_tokens.weight

    def blocks(self):
        return self.model.layers

    def tap_module(self, layer, tap):
        mlp = self.blocks()[layer].mlp
        if tap == "post-activation":
            return mlp.down_proj, "input"  # the coefficient silu(gate x) * up x
        if tap == "gate":
            return mlp.act_fn, "output"  # silu(gate x) alone; up x is still multiplied after it
        raise ValueError(f"tap {tap} is not defined for LLaMA-family models (post-activation, gate).")

    def forward(self, ids):
        if self.window and ids.shape[1] > self.window:
            raise ValueError(
                f"the prompt has {ids.shape[1]} tokens, more than the sliding window {self.window}."
            )
        return self.lm_head(self.model(ids))


# ---------------------------------------------------------------------------------------------
# Loading a folder.

FAMILIES = {
    "bert": BertForMaskedLM,
    "roberta": BertForMaskedLM,
    "xlm-roberta": BertForMaskedLM,
    "camembert": BertForMaskedLM,
    "gpt2": GPT2LMHeadModel,
    "llama": LlamaForCausalLM,
    "mistral": LlamaForCausalLM,
    "qwen2": LlamaForCausalLM,
    "qwen3": LlamaForCausalLM,
}

BERT_TYPES = ("bert", "roberta", "xlm-roberta", "camembert")


def with_defaults(c):
    """Fields a config omits take the defaults transformers gives them."""
    c = dict(c)
    if c["model_type"] in BERT_TYPES:
        c.setdefault("type_vocab_size", 2)
    # BERT-family and GPT-2 configs tie the LM head to the word embeddings unless they say not to;
    # LLaMA-family configs do not tie unless they say so.
    c.setdefault("tie_word_embeddings", c["model_type"] in BERT_TYPES + ("gpt2",))
    return c


def load_model(folder):
    with open(os.path.join(folder, "config.json")) as f:
        config = with_defaults(json.load(f))
    kind = config.get("model_type")
    if kind not in FAMILIES:
        raise ValueError(f"model_type {kind} is not implemented here; supported: {', '.join(FAMILIES)}.")
    model = FAMILIES[kind](config)
    stored = read_checkpoint(folder)
    # Tensors may be saved with or without the body's prefix (bert., roberta., transformer., model.);
    # stored tensors no parameter asks for (pooler, NSP head, GPT-2's mask buffers) are ignored.
    prefix = model.prefix + "."
    by_name = {}
    for name, t in stored.items():
        if name.endswith("LayerNorm.gamma"):
            name = name[: -len("gamma")] + "weight"
        elif name.endswith("LayerNorm.beta"):
            name = name[: -len("beta")] + "bias"
        by_name[name] = t
    tied = config["tie_word_embeddings"]
    own = dict(model.named_parameters())
    missing = []
    for name, param in own.items():
        if name == model.head_weight and tied:
            continue
        candidates = [name, name[len(prefix) :]] if name.startswith(prefix) else [name]
        if name.endswith("predictions.bias") or name == "lm_head.bias":
            candidates.append(name.replace(".bias", ".decoder.bias"))
        found = next((by_name[n] for n in candidates if n in by_name), None)
        if found is None:
            missing.append(name)
            continue
        if tuple(found.shape) != tuple(param.shape):
            raise ValueError(
                f"{folder}: tensor {name} has shape {list(found.shape)} but config.json implies "
                f"{list(param.shape)}; the checkpoint and config.json do not belong together."
            )
        param.data = found
    if missing:
        raise ValueError(
            f"{folder}: the checkpoint lacks {len(missing)} tensor(s), e.g. {', '.join(missing[:3])}."
        )
    if tied:
        model.tie_weights()
    model.eval()
    return model, config


# ---------------------------------------------------------------------------------------------
# The authors' per-layer schedule.


class Tap:
    """A forward hook on one layer's FFN activation at one position: reads it, or replaces it."""

    def __init__(self, model, layer, tap, position):
        module, where = model.tap_module(layer, tap)
        self.position = position
        self.found = None
        self.replacement = None
        if where == "input":
            self.handle = module.register_forward_pre_hook(lambda m, args: (self.edit(args[0]),))
        else:
            self.handle = module.register_forward_hook(lambda m, args, out: self.edit(out))

    def edit(self, x):
        self.found = x[:, self.position, :]
        if self.replacement is None:
            return x
        x = x.clone()
        x[:, self.position, :] = self.replacement
        return x

    def remove(self):
        self.handle.remove()


def read_activation(model, ids, layer, tap, position):
    """One forward pass of the prompt: (logits [T, V], the activation at (layer, position) [F])."""
    hook = Tap(model, layer, tap, position)
    try:
        logits = model(ids[None, :])
    finally:
        hook.remove()
    return logits[0], hook.found[0]


def path_points(model, ids, layer, tap, slot, baseline_token, method, steps, a, causal):
    """The m points where gradients are taken, and the baseline (None: zero or none)."""
    if method == "grad-x-act":
        return a[None, :].clone(), None
    if method == "ig":
        # Dai et al.: zero baseline, k/(m-1) for k = 0..m-1 (one point: the activation itself).
        alphas = torch.linspace(0, 1, steps) if steps > 1 else torch.ones(1)
        return a[None, :] * alphas[:, None], None
    # AMIG (the authors' scaled_input): a second clean pass, then each position in turn replaced
    # by the baseline token; each variant's path b_j + k (a - b_j) / m, averaged over j.
    _, original = read_activation(model, ids, layer, tap, slot["position"])
    varied = slot["position"] + 1 if causal else len(ids)  # later positions cannot reach a causal tap
    paths, baselines = [], []
    k = torch.arange(steps, dtype=torch.float32)[:, None]
    for j in range(varied):
        replaced = ids.clone()
        replaced[j] = baseline_token
        _, b = read_activation(model, replaced, layer, tap, slot["position"])
        paths.append(b[None, :] + k * ((original - b) / steps)[None, :])
        baselines.append(b)
    return torch.stack(paths).mean(0), torch.stack(baselines).mean(0)


def layer_scores(model, ids, layer, slot, req):
    """One layer's scores for one object token, and P(token) from the layer's clean pass."""
    tap, steps, batch = req["tap"], req["steps"], req["batch_size"]
    logits, a = read_activation(model, ids, layer, tap, slot["position"])
    probability = logits[slot["position"]].softmax(-1)[slot["token_id"]].item()
    a = a.detach()
    points, baseline = path_points(
        model, ids, layer, tap, slot, req.get("baseline_token"), req["method"], steps, a, model.causal
    )
    points = points.detach().requires_grad_(True)
    grad_sum = torch.zeros_like(a)
    hook = Tap(model, layer, tap, slot["position"])
    try:
        for chunk in points.split(batch):
            hook.replacement = chunk
            logits = model(ids[None, :].expand(chunk.shape[0], -1))  # every position, full vocabulary
            probs = F.softmax(logits[:, slot["position"], :], dim=-1)
            (grad,) = torch.autograd.grad(probs[:, slot["token_id"]].sum(), chunk)
            grad_sum += grad.sum(0)
    finally:
        hook.remove()
    weight = a
    if req["score"] == "difference":
        weight = a - (baseline if baseline is not None else torch.zeros_like(a))
    return weight * grad_sum / points.shape[0], probability


def attribute(model, req):
    ids = torch.tensor(req["ids"], dtype=torch.long)
    layers = len(model.blocks())
    per_slot = []
    for slot in req["slots"]:
        rows, probability = [], None
        for layer in range(layers):
            scores, probability = layer_scores(model, ids, layer, slot, req)
            rows.append(scores)
        per_slot.append((torch.stack(rows), probability))
    # Per-token maps are averaged; the reference mode (one slot, several targets) sums them.
    total = torch.stack([s for s, _ in per_slot]).sum(0)
    if req["multi_token"] != "reference":
        total = total / len(per_slot)
    probabilities = [p for _, p in per_slot]
    return total, probabilities


# ---------------------------------------------------------------------------------------------
# Requests.

METHODS = ("amig", "ig", "grad-x-act")


def normalise(req):
    req = dict(req)
    for key in ("model", "ids", "slots"):
        if key not in req:
            raise ValueError(f"the request lacks '{key}'.")
    req.setdefault("method", "amig")
    if req["method"] not in METHODS:
        raise ValueError(f"method {req['method']} is unknown; use one of {', '.join(METHODS)}.")
    if req["method"] == "grad-x-act":
        req["steps"] = req["batch_size"] = 1  # one point: the activation itself
    req.setdefault("steps", 20)
    req.setdefault("batch_size", req["steps"])
    if req["steps"] % req["batch_size"]:
        raise ValueError(
            f"steps {req['steps']} is not a multiple of batch_size {req['batch_size']} (the authors assert it)."
        )
    if req["method"] == "amig" and "baseline_token" not in req:
        raise ValueError("AMIG needs 'baseline_token' (the mask or end-of-sequence token id).")
    req.setdefault("tap", "post-activation")
    req.setdefault("multi_token", "per-token")
    req.setdefault("score", "activation")
    req.setdefault("repeats", 1)
    return req


def blas_libraries():
    """The BLAS libraries this process has mapped (after a matrix product has run)."""
    torch.ones(64, 64) @ torch.ones(64, 64)
    with open("/proc/self/maps") as f:
        paths = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
    return sorted(os.path.realpath(p) for p in paths)


def environment():
    libraries = blas_libraries()
    if any("openblas" in p for p in libraries):
        kind = "openblas"
    elif any("mkl" in p for p in libraries):
        kind = "mkl"
    elif any("/blas/" in p or p.endswith("libblas.so.3") for p in libraries):
        kind = "reference"
    else:
        kind = "builtin" if not libraries else "unknown"
    return {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "blas": {"kind": kind, "libraries": libraries},
    }


class Server:
    def __init__(self):
        self.models = {}

    def model(self, folder):
        if folder not in self.models:
            t0 = time.perf_counter()
            model, _ = load_model(folder)
            self.models = {folder: (model, time.perf_counter() - t0)}  # one model at a time
        return self.models[folder]

    def handle(self, raw):
        req = normalise(raw)
        model, load_seconds = self.model(req["model"])
        seconds, scores, probabilities = [], None, None
        for _ in range(req["repeats"]):
            t0 = time.perf_counter()
            scores, probabilities = attribute(model, req)
            seconds.append(time.perf_counter() - t0)
        return {
            "layers": scores.shape[0],
            "units": scores.shape[1],
            "scores": scores.tolist(),
            "probability": math.prod(probabilities),
            "slot_probabilities": probabilities,
            "seconds": seconds,
            "load_seconds": load_seconds,
            **environment(),
        }


def main(argv):
    torch.set_num_threads(len(os.sched_getaffinity(0)))
    if argv == ["--probe"]:
        print(json.dumps(environment()))
        return 0
    server = Server()
    if argv == ["--serve"]:
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                reply = server.handle(json.loads(line))
            except Exception as e:  # the reply names the problem; the server keeps serving
                reply = {"error": f"{type(e).__name__}: {e}"}
            print(json.dumps(reply), flush=True)
        return 0
    if len(argv) != 1 or argv[0].startswith("--"):
        print(__doc__, file=sys.stderr)
        return 2
    if argv[0] == "-":
        text = sys.stdin.read()
    else:
        with open(argv[0]) as f:
            text = f.read()
    try:
        reply = server.handle(json.loads(text))
    except (ValueError, OSError, IndexError) as e:
        print(f"amig_baseline.py: {e}", file=sys.stderr)
        return 1
    print(json.dumps(reply))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
