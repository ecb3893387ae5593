"""detect-secrets plugin equivalent to misar-scan's built-in rules (SPEC §1).

Used by bench/run.sh as `detect-secrets scan --all-files -p bench/peers/misar_detect_secrets.py`
with every built-in plugin disabled, so it looks for Misar keys only.
"""
import re

from detect_secrets.plugins.base import RegexBasedDetector


class MisarKeyDetector(RegexBasedDetector):
    """Misar API keys: msk_/ask_/mdk_ + 20-128 base62, not glued to a word."""

    secret_type = "Misar API key"

    denylist = [
        re.compile(r"(?:^|[^A-Za-z0-9_])((?:msk|ask|mdk)_[A-Za-z0-9]{20,128})(?![A-Za-z0-9])"),
    ]
