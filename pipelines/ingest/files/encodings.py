"""Text encodings of CSV exports: detect them, check them, transcode to UTF-8.

Exports arrive as UTF-8 (with or without a byte-order mark), as GB18030/GBK
from Chinese-language systems, and as Windows-1252, ISO-8859-1 (latin-1) or
DOS code page 850 from older Western European tools. Detection works like
this:

1. A byte-order mark decides: ``EF BB BF`` is ``utf-8-sig``, ``FF FE`` or
   ``FE FF`` is ``utf-16``. Without one, a start with a NUL in every other byte (and in no
   other) is ``utf-16-le`` or ``utf-16-be`` (:func:`utf16_without_bom`).
2. A file whose every byte decodes as UTF-8 is ``utf-8`` (plain ASCII too).
3. Otherwise the lines holding non-ASCII bytes (up to about 1 MB of them) are
   decoded with each of ``gb18030``, ``cp1252``, ``latin-1`` and ``cp850``:

   * ``gb18030`` wins when the text decodes to Chinese characters built from
     two non-ASCII bytes each. Western text often decodes "successfully" as
     GB18030 too, but there each accented byte swallows the ASCII letter after
     it, so it is never taken for Chinese.
   * Between ``cp1252`` and ``cp850`` each non-ASCII character is scored in
     its context: an accented letter inside a word scores high, a symbol
     between two letters (``Berguvsv„gen``), box-drawing characters, an
     upper-case letter after a lower-case one (``CafÚ``) score low. The best
     average wins; when both read equally well charset-normalizer breaks the
     tie and the note says the choice was a guess.
   * ``latin-1`` reads every byte; it differs from ``cp1252`` only in bytes
     0x80-0x9F (control characters in latin-1, which score low, and five of
     them undefined in cp1252). So an ISO-8859-1 file is read as ``cp1252``
     when that decodes it identically, and as ``latin-1`` when one of those
     five bytes would make ``cp1252`` fail: never as ``cp850`` by elimination.

4. The note reports the confidence of the choice: *high* (byte-order mark,
   valid UTF-8 with non-ASCII text, Chinese text, or the other candidates
   read clearly worse), *medium* (they read slightly worse) or *low* (a
   guess between candidates that read equally well: check accented letters).

5. A file whose non-ASCII lines are partly valid UTF-8 (with multi-byte
   characters) and partly not is *mixed*: its codec is reported as
   ``utf-8+<legacy>`` (e.g. ``utf-8+cp1252``), each line is read in UTF-8
   when it is valid UTF-8 and in the legacy encoding otherwise, and the note
   says so with the first line of each, so no name is silently garbled.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

import charset_normalizer

from pipelines.core import refusals
from pipelines.core.errors import FileRejected

#: Bytes read at a time when scanning or transcoding.
CHUNK = 1 << 20
#: Most bytes of non-ASCII lines examined when guessing a legacy encoding.
SAMPLE_LIMIT = 1 << 20
#: Bytes looked at to tell UTF-16 without a byte-order mark.
UTF16_PROBE = 4096
#: Legacy encodings detection chooses from, besides UTF-8 and UTF-16.
CANDIDATES = ("gb18030", "cp1252", "latin-1", "cp850")
#: Codec name of a file mixing UTF-8 lines with lines in a legacy encoding.
MIXED = "utf-8+"
#: Declared names that are read with a superset codec.
_SUPERSETS = {"gbk": "gb18030", "gb2312": "gb18030", "ascii": "utf-8", "iso8859-1": "latin-1"}

Opener = Callable[[], BinaryIO]

_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_NON_ASCII_LINE = re.compile(rb"[^\n]*[\x80-\xff][^\n]*")
# Lower-case letters frequent in Western European languages, then rarer ones.
_COMMON_LETTERS = frozenset("àáâäåæçèéêëíîïñóôöøùúûüßœ")
_OTHER_LETTERS = frozenset("ãõìòýÿÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝŒŠšŽž")
_COMMON_SYMBOLS = frozenset("€£¥¢°§©®™“”„‘’‚«»–—…•·±×¿¡ºª½¼¾²³")
# Symbols that may legitimately sit between two letters (don’t, l·l, A–Z).
_WORD_JOINERS = frozenset("’‘–—·")


class NotText(Exception):
    """The file holds binary data (NUL bytes), so it is no text export."""


@dataclass(frozen=True)
class Detection:
    encoding: str
    note: str
    confidence: str = "high"  # "high" | "medium" | "low" (module doc, point 4)


def normalise_encoding(name: str) -> str:
    """Python codec name for a declared encoding (``GBK`` reads as ``gb18030``).

    Raises ``LookupError`` for a name Python does not know.
    """
    codec = codecs.lookup(name.strip()).name
    return _SUPERSETS.get(codec, codec)


def utf16_without_bom(head: bytes) -> str | None:
    """``utf-16-le`` or ``utf-16-be`` when ``head`` (the file's first bytes) is UTF-16 text
    written without a byte-order mark: a NUL in every other byte (most of the text is Latin
    script, whose characters have a zero high byte) and none in the others, and it decodes."""
    head = head[: len(head) // 2 * 2]
    if len(head) < 4:
        return None
    even, odd = head[0::2], head[1::2]
    for codec, zeros, chars in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if chars.count(0) == 0 and zeros.count(0) >= 0.5 * len(zeros):
            try:
                head[:-2].decode(codec)  # the last character may be cut in two
            except UnicodeDecodeError:
                continue
            return codec
    return None


def _bom_encoding(head: bytes) -> str | None:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return None


def _cut_safely(data: bytes, limit: int) -> bytes:
    """At most ``limit`` bytes, cut after a byte no multi-byte sequence contains."""
    if len(data) <= limit:
        return data
    cut = max(data.rfind(bytes([b]), 0, limit) for b in b" ,;\t|\"'\r")
    return data[: cut + 1] if cut >= 0 else b""


@dataclass
class _Scan:
    utf8_ok: bool = True
    #: Whole lines holding non-ASCII bytes (at most ~1 MB): (1-based line number, bytes).
    lines: list[tuple[int, bytes]] = field(default_factory=list)

    @property
    def sample(self) -> bytes:
        return b"".join(line + b"\n" for _, line in self.lines)


def _scan(open_stream: Opener) -> _Scan:
    """Whether the stream is valid UTF-8, and its lines holding non-ASCII bytes (~1 MB)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    found = _Scan()
    size = 0
    carry = b""
    line_no = 1  # of the first line of the next block
    with open_stream() as fh:
        chunk = fh.read(CHUNK)
        if b"\x00" in chunk[:8192]:
            raise NotText
        while True:
            if found.utf8_ok:
                try:
                    decoder.decode(chunk, final=not chunk)
                except UnicodeDecodeError:
                    found.utf8_ok = False
            if size < SAMPLE_LIMIT:
                data = carry + chunk
                end = data.rfind(b"\n") + 1 if chunk else len(data)
                if len(data) - end > SAMPLE_LIMIT:  # one line longer than the sample
                    end = len(data)
                block, carry = data[:end], data[end:]
                if not block.isascii():
                    for line in _NON_ASCII_LINE.finditer(block):
                        room = SAMPLE_LIMIT - size
                        if room <= 0:
                            break
                        kept = _cut_safely(line.group(), room)
                        found.lines.append((line_no + block.count(b"\n", 0, line.start()), kept))
                        size += len(kept) + 1
                line_no += block.count(b"\n")
            if not chunk or (not found.utf8_ok and size >= SAMPLE_LIMIT):
                return found
            chunk = fh.read(CHUNK)


def _looks_chinese(text: str) -> bool:
    """Mostly CJK characters, each from two non-ASCII bytes (as real GB text is)."""
    chars = _NON_ASCII.findall(text)
    if not chars:
        return False
    cjk = sum(
        1
        for c in chars
        if "\u3400" <= c <= "\u9fff"
        or "\uf900" <= c <= "\ufaff"
        or "\u3000" <= c <= "\u303f"
        or "\uff00" <= c <= "\uffef"
    )
    paired = sum(1 for c in chars if min(c.encode("gb18030")) >= 0x80)
    return cjk >= 0.6 * len(chars) and paired >= 0.9 * len(chars)


def _char_score(c: str, before: str, after: str) -> int:
    """How plausible one non-ASCII character is in Western text, given its neighbours."""
    category = unicodedata.category(c)
    inside_word = before.isalpha() and after.isalpha()
    if category.startswith("L"):
        if not (before.isalpha() or after.isalpha()):
            return 0  # a letter standing alone proves little
        score = 2 if c in _COMMON_LETTERS else 1 if c in _OTHER_LETTERS else 0
        if c.isupper() and before.islower():
            score -= 3  # "CafÚ"
        if c.islower() and after.isupper():
            score -= 3  # "ôHello"
        return score
    if category.startswith("Z"):  # a no-break space
        return -3 if inside_word else 0
    if category.startswith("C") or "\u2500" <= c <= "\u259f":
        return -3  # control or box-drawing characters
    if inside_word and c not in _WORD_JOINERS:
        return -3  # "Berguvsv„gen", "M³ller"
    return 1 if c in _COMMON_SYMBOLS else -1


def plausibility(text: str) -> float:
    """Average :func:`_char_score` over the non-ASCII characters of ``text``."""
    scores = [
        _char_score(
            m.group(), text[m.start() - 1 : m.start()] or " ", text[m.end() : m.end() + 1] or " "
        )
        for m in _NON_ASCII.finditer(text)
    ]
    return sum(scores) / len(scores) if scores else 0.0


def _choose_legacy(sample: bytes) -> tuple[str, str, str]:
    """(encoding, reason, confidence) among :data:`CANDIDATES` for non-UTF-8 bytes."""
    decoded: dict[str, str] = {}
    for encoding in CANDIDATES:
        try:
            text = sample.decode(encoding)
        except UnicodeDecodeError:
            continue
        if text not in decoded.values():  # latin-1 reads like cp1252 without bytes 0x80-0x9F
            decoded[encoding] = text
    if "gb18030" in decoded and _looks_chinese(decoded["gb18030"]):
        return "gb18030", "Chinese text", "high"
    western = {e: plausibility(t) for e, t in decoded.items() if e != "gb18030"}
    if len(western) == 1:
        (only,) = western
        tried = ", ".join(CANDIDATES)
        return only, f"the only candidate that decodes it ({tried} tried)", "medium"
    ranked = sorted(western, key=western.get, reverse=True)
    best, second = ranked[0], ranked[1]
    margin = western[best] - western[second]
    if margin >= 0.05:
        confidence = "high" if margin >= 0.5 and western[best] > 0 else "medium"
        return best, f"accented letters read correctly, {second} gives odd symbols", confidence
    matches = charset_normalizer.from_bytes(sample, cp_isolation=ranked)
    guess = matches.best()
    pick = guess.encoding if guess is not None and guess.encoding in western else "cp1252"
    return pick, f"{best} and {second} read equally well, a guess: check accented letters", "low"


def _utf8_lines(scan: _Scan, legacy: str) -> tuple[list[int], list[int]]:
    """(numbers of the non-ASCII lines that read as UTF-8, of those that do not), for a file
    that is not valid UTF-8 as a whole. A line counts as UTF-8 when it is valid UTF-8 and
    reads better so than in the Western ``legacy`` encoding ("é", not "Ã©")."""
    utf8, other = [], []
    for line_no, line in scan.lines:
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            other.append(line_no)
            continue
        as_legacy = line.decode(legacy, errors="replace")
        (utf8 if plausibility(text) > plausibility(as_legacy) else other).append(line_no)
    return utf8, other


def detect_encoding(open_stream: Opener) -> Detection:
    """Detect the encoding of the byte stream ``open_stream()`` returns (see module doc).

    Raises :class:`NotText` for binary content.
    """
    with open_stream() as fh:
        head = fh.read(4)
    bom = _bom_encoding(head)
    if bom is not None:
        return Detection(bom, f"encoding {bom} (detected from the byte-order mark)")
    with open_stream() as fh:
        start = fh.read(UTF16_PROBE)
    wide = utf16_without_bom(start)
    if wide is not None:
        return Detection(
            wide,
            f"encoding {wide} (detected: UTF-16 without a byte-order mark, NUL bytes "
            "between the characters)",
        )
    scan = _scan(open_stream)
    if scan.utf8_ok:
        plain = ", plain ASCII" if not scan.lines else ""
        return Detection("utf-8", f"encoding utf-8 (detected, confidence high{plain})")
    encoding, reason, confidence = _choose_legacy(scan.sample)
    if encoding != "gb18030":
        utf8, other = _utf8_lines(scan, encoding)
        if utf8 and other:
            legacy_only = b"".join(line + b"\n" for n, line in scan.lines if n in set(other))
            encoding, reason, confidence = _choose_legacy(legacy_only)
            return Detection(
                MIXED + encoding,
                f"mixed encodings: {len(utf8)} non-ASCII line(s) in UTF-8 (first: line "
                f"{utf8[0]}), {len(other)} in {encoding} (first: line {other[0]}; {reason}); "
                "each line is read in its own encoding: check the names on those lines, "
                "and re-export the file in one encoding (UTF-8)",
                "low",
            )
    return Detection(
        encoding, f"encoding {encoding} (detected, confidence {confidence}: {reason})", confidence
    )


def resolve(open_stream: Opener, file_name: str, declared: str | None) -> tuple[str, bool, str]:
    """(codec, detected?, note) for a CSV stream: the declared encoding, else detected.

    A declared ``utf-8`` becomes ``utf-8-sig`` when the file starts with a BOM,
    so the mark never ends up in the first header, and ``utf-16`` when it starts with a
    UTF-16 one (unambiguous: reading it as UTF-8 could only fail). Raises
    :class:`FileRejected` for binary content or an unknown encoding name.
    """
    if declared is None:
        try:
            found = detect_encoding(open_stream)
        except NotText as exc:
            raise FileRejected(
                file_name,
                "is not a text file (it contains binary data)",
                "re-export the file as CSV UTF-8 (comma-separated) with one header row",
                reason=refusals.BINARY,
            ) from exc
        return found.encoding, True, found.note
    try:
        encoding = normalise_encoding(declared)
    except LookupError as exc:
        raise FileRejected(
            file_name,
            f"cannot be read: the profile's encoding '{declared}' is unknown",
            f"set encoding: to one of utf-8, {', '.join(CANDIDATES)} in the profile",
            reason=refusals.UNKNOWN_ENCODING,
        ) from exc
    if encoding == "utf-8":
        with open_stream() as fh:
            bom = _bom_encoding(fh.read(4))
        if bom == "utf-8-sig":
            encoding = "utf-8-sig"
        elif bom == "utf-16":  # the mark is unambiguous: Excel's "Unicode Text", for one
            return (
                bom,
                True,
                "encoding utf-16 (the profile says utf-8; the file's byte-order mark says "
                "utf-16, and the mark wins)",
            )
    return encoding, False, f"encoding {encoding} (set in the profile)"


def _decode_chunks(
    open_stream: Opener, file_name: str, encoding: str, sink: Callable[[str], object] | None
) -> None:
    if encoding.startswith(MIXED):
        _decode_lines(open_stream, file_name, encoding.removeprefix(MIXED), sink)
        return
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset = 0
    with open_stream() as fh:
        while True:
            chunk = fh.read(CHUNK)
            pending = len(decoder.getstate()[0])
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                bad = offset - pending + exc.start
                raise _not_valid(open_stream, file_name, encoding, bad) from exc
            if sink is not None and text:
                sink(text)
            if not chunk:
                return
            offset += len(chunk)


def _decode_lines(
    open_stream: Opener, file_name: str, legacy: str, sink: Callable[[str], object] | None
) -> None:
    """A mixed file, line by line: UTF-8 where the line is valid UTF-8 and reads better so,
    else ``legacy``; a line that is neither rejects the file, naming the line."""
    carry = b""
    line_no = 0
    with open_stream() as fh:
        while True:
            chunk = fh.read(CHUNK)
            data = carry + chunk
            end = data.rfind(b"\n") + 1 if chunk else len(data)
            block, carry = data[:end], data[end:]
            parts = []
            for line in block.splitlines(keepends=True):
                line_no += 1
                parts.append(_mixed_line(line, line_no, file_name, legacy))
            if sink is not None and parts:
                sink("".join(parts))
            if not chunk:
                return


def _mixed_line(line: bytes, line_no: int, file_name: str, legacy: str) -> str:
    if line.isascii():
        return line.decode("ascii")
    try:
        as_legacy = line.decode(legacy)
    except UnicodeDecodeError:
        as_legacy = None
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and (as_legacy is None or plausibility(text) > plausibility(as_legacy)):
        return text
    if as_legacy is None:
        raise FileRejected(
            file_name,
            f"mixes encodings, and line {line_no} is neither UTF-8 nor {legacy} text",
            "re-export the file in one encoding (CSV UTF-8)",
            reason=refusals.BAD_ENCODING,
        )
    return as_legacy


def _not_valid(open_stream: Opener, file_name: str, encoding: str, offset: int) -> FileRejected:
    try:
        likely = detect_encoding(open_stream).encoding
    except NotText:
        likely = "utf-8"
    other = (
        f"set encoding: {likely} in the profile"
        if likely != encoding
        else ("set encoding: in the profile to the encoding it was saved in")
    )
    return FileRejected(
        file_name,
        f"is not valid {encoding} text (first bad byte at offset {offset})",
        f"re-export as UTF-8 or {other}",
        reason=refusals.BAD_ENCODING,
    )


def check_decodes(open_stream: Opener, file_name: str, encoding: str) -> None:
    """Reject the file (:class:`FileRejected`) unless it is all valid ``encoding``."""
    _decode_chunks(open_stream, file_name, encoding, None)


def transcode(open_stream: Opener, file_name: str, encoding: str, out: BinaryIO) -> None:
    """Write the stream as UTF-8 (without BOM) to ``out``, one chunk at a time.

    Rejects the file (:class:`FileRejected`) at the first byte that is not
    valid ``encoding``, naming its offset.
    """
    _decode_chunks(open_stream, file_name, encoding, lambda text: out.write(text.encode("utf-8")))
