"""Captioner backends: ``transformers`` (local), ``openai`` (served), ``ray.data.llm`` (optional)."""
