# LLM intent-based change evaluation
