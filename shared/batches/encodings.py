"""Text encodings real exports come in: UTF-8 with or without BOM, UTF-16 from Excel's "Unicode text", and
Windows-1252 (or Mac Roman) CSV from Excel in Québec. Decoded text is checked for mojibake (text converted
twice,
"Ã©" for "é") and for replacement characters: we fail with a clear message rather than store either.
"""

from __future__ import annotations

import codecs
import re

from shared.batches.problems import file_problem

# Single-byte encodings Excel writes in Québec, and UTF-16 when a BOM says so. Detection is restricted to
# them:
# an unrestricted detector happily calls French cp1252 text "cp1250" or "cp1257".
_CANDIDATES = ["cp1252", "mac_roman"]
# "Ã©", "Ã¨", "Ã‰", "Ã§"... (UTF-8 read as cp1252 or latin-1), and "â€™" / "â€œ" (typographic quotes
# likewise).
_MOJIBAKE = re.compile(
    r"Ã[\u0080-\u00bf\u2018-\u203a\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u02c6\u02dc]|â€[\u0080-\u00bf\u2018-\u203a™œ]|Â[\u00a0-\u00bf]"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def decode_text(data: bytes, declared_charset: str | None = None) -> tuple[str, str]:
    """The text of `data` and the encoding it was read with; BatchRejected when it cannot be trusted."""
    if data.startswith(codecs.BOM_UTF8):
        return _checked(_strict(data[len(codecs.BOM_UTF8) :], "utf-8")), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _checked(_strict(data, "utf-16")), "utf-16"
    try:
        return _checked(data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass
    declared = (declared_charset or "").strip().lower().replace("_", "-")
    if declared in ("windows-1252", "cp1252", "iso-8859-1", "latin-1", "latin1", "iso-8859-15"):
        try:
            return _checked(data.decode("cp1252")), "cp1252"
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:4096]:
        raise file_problem("encoding_undetected")
    from charset_normalizer import from_bytes  # lazy: only non-UTF-8 files pay for the detector

    best = from_bytes(data, cp_isolation=_CANDIDATES).best()
    if best is None:
        raise file_problem("encoding_undetected")
    return _checked(str(best)), best.encoding


def _strict(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise file_problem("encoding_undetected") from error


def _checked(text: str) -> str:
    found = _MOJIBAKE.search(text)
    if found:
        start = max(0, found.start() - 12)
        raise file_problem("mojibake_detected", value=text[start : found.end() + 12].replace("\n", " "))
    if "\ufffd" in text:
        index = text.index("\ufffd")
        raise file_problem(
            "mojibake_detected", value=text[max(0, index - 12) : index + 12].replace("\n", " ")
        )
    if _CONTROL.search(text):
        raise file_problem(
            "malformed_file", detail="caractères de contrôle / control characters (binary data?)"
        )
    return text
