"""Tool `text_stats`, in Python: counts the words, lines and characters of a text."""

import re
from collections import Counter

from asterbot_tool import ToolError, export, tool


@tool
def text_stats(text: str, top: int = 3, pattern: str = "") -> dict:
    """Counts the words, lines and characters of a text, and names its most
    frequent words (`top` of them, 3 by default), counting only the words
    that match the regular expression `pattern` if one is given."""
    if top < 0:
        raise ToolError("`top` must be 0 or more")
    words = [w.strip(".,;:!?\"'()").lower() for w in text.split()]
    words = [w for w in words if w and (not pattern or re.fullmatch(pattern, w))]
    return {
        "words": len(words),
        "lines": len(text.splitlines()),
        "characters": len(text),
        # `most_common()` without a count sorts; with one it would import
        # `heapq` at run time, which the component does not carry (only
        # what is imported while it is built is in it).
        "most_frequent": [w for w, _ in Counter(words).most_common()[:top]],
    }


Tools = export(text_stats)
