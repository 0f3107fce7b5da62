from kb.answer.extractive import ABSTAIN_TEXT, ExtractiveAnswerer, answer_contains

__all__ = ["ABSTAIN_TEXT", "ExtractiveAnswerer", "answer_contains"]
