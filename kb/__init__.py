"""kb: cited answers from a folder of documents, offline.

    from kb import KnowledgeBase
    kb = KnowledgeBase("seeds", "index")
    kb.build()
    print(kb.ask("Who analyzed the letter published by Osechkin?").answer)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from kb.knowledge_base import KnowledgeBase
    from kb.types import Answer, BuildReport, Citation, Passage


def __getattr__(name: str) -> Any:
    # Lazy: `kb --help` and `kb config` should not pay for importing torch.
    if name == "KnowledgeBase":
        from kb.knowledge_base import KnowledgeBase

        return KnowledgeBase
    if name in ("Answer", "BuildReport", "Citation", "Passage", "SourceDocument"):
        import kb.types

        return getattr(kb.types, name)
    raise AttributeError(name)


__all__ = ["KnowledgeBase", "Answer", "BuildReport", "Citation", "Passage", "__version__"]
