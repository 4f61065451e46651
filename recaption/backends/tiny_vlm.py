"""A tiny randomly initialised vision-language model, for tests and ``--param models=test-tiny``.

A LLaVA built from a tiny CLIP vision tower and a tiny Llama, with a word-level tokenizer, an
image processor and a chat template built in code: nothing is downloaded. Its weights are random
(seeded, so every worker builds the same model), so its captions are word salad; it exists to run
the real transformers code path (processor, batched ``generate``, decoding) in seconds on a CPU.
"""

from __future__ import annotations

from typing import Any

TINY_VLM_CONFIG: dict[str, Any] = {
    "seed": 0,
    "image_size": 32,
    "patch_size": 8,
    "vision_hidden": 32,
    "text_hidden": 64,
    "layers": 2,
}

# Real words, so that the random model's output reads as text and goes through hygiene as such.
_WORD_LINES = (
    "a an the of on in with and near under over two three small large red blue green white",
    "black brown yellow dog cat bird horse car bus boat tree trees house street road beach",
    "sea sky mountain field grass flower flowers man woman child people group person table",
    "chair room window door book phone cup plate food bread fruit apple sitting standing",
    "walking running holding looking playing parked old new wooden stone city park water",
    "snow sunset night day photo picture image shows is are",
)
_WORDS = [word for line in _WORD_LINES for word in line.split()]
_SPECIALS = ["<pad>", "<s>", "</s>", "<unk>", "<image>", "USER:", "ASSISTANT:"]
_PUNCT = [".", ",", "!", "?"]

CHAT_TEMPLATE = (
    "{% for m in messages %}{% if m['role'] == 'user' %}USER: "
    "{% for c in m['content'] %}{% if c['type'] == 'image' %}<image> "
    "{% else %}{{ c['text'] }} {% endif %}{% endfor %}{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}ASSISTANT:{% endif %}"
)


def build_tokenizer():
    """A word-level tokenizer over a fixed English vocabulary, wrapped for transformers."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {w: i for i, w in enumerate(_SPECIALS + _PUNCT + _WORDS)}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation()])
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        unk_token="<unk>",
        padding_side="left",
    )
    tokenizer.add_special_tokens({"additional_special_tokens": ["<image>"]})
    return tokenizer


def build_tiny_vlm(config: dict[str, Any] | None = None):
    """Return ``(model, processor)``: a seeded random LLaVA and its processor, both built in code."""
    import torch
    from transformers import (
        CLIPImageProcessor,
        CLIPVisionConfig,
        LlamaConfig,
        LlavaConfig,
        LlavaForConditionalGeneration,
        LlavaProcessor,
    )

    cfg = {**TINY_VLM_CONFIG, **(config or {})}
    tokenizer = build_tokenizer()
    size, patch = cfg["image_size"], cfg["patch_size"]
    image_processor = CLIPImageProcessor(size={"shortest_edge": size}, crop_size={"height": size, "width": size})
    processor = LlavaProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        patch_size=patch,
        vision_feature_select_strategy="default",
        chat_template=CHAT_TEMPLATE,
        image_token="<image>",
        num_additional_image_tokens=1,  # the CLIP class token, dropped by the "default" strategy
    )
    vision = CLIPVisionConfig(
        hidden_size=cfg["vision_hidden"],
        intermediate_size=2 * cfg["vision_hidden"],
        num_hidden_layers=cfg["layers"],
        num_attention_heads=2,
        image_size=size,
        patch_size=patch,
        projection_dim=cfg["vision_hidden"],
    )
    text = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=cfg["text_hidden"],
        intermediate_size=2 * cfg["text_hidden"],
        num_hidden_layers=cfg["layers"],
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    llava = LlavaConfig(
        vision_config=vision,
        text_config=text,
        image_token_index=tokenizer.convert_tokens_to_ids("<image>"),
        vision_feature_select_strategy="default",
        vision_feature_layer=-1,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg["seed"])
        model = LlavaForConditionalGeneration(llava).eval()
    gen = model.generation_config
    gen.bos_token_id, gen.eos_token_id = tokenizer.bos_token_id, tokenizer.eos_token_id
    gen.pad_token_id = tokenizer.pad_token_id
    # A random model happily emits control tokens; a trained one would not.
    gen.suppress_tokens = [tokenizer.convert_tokens_to_ids(t) for t in _SPECIALS if t != "</s>"]
    return model, processor
