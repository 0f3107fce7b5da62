"""Adapters that let other ecosystems use a KnowledgeBase (LangChain). Imported lazily: optional at runtime."""
