"""Keeps personal data out of application logs.

`PersonalDataFilter` masks e-mail addresses and phone numbers in a record's message,
exception text and stack before any handler formats it. It rewrites the record in place,
so handlers that see the record after it (on the same logger) get the masked text too.
"""

import logging
import re

EMAIL_MASK = "[email]"
PHONE_MASK = "[phone]"

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# International (+49…, 0049…) or national (0…) numbers with the usual separators. Bare
# digit runs without a leading 0 or + (ids, counts, timestamps) are left alone.
PHONE_RE = re.compile(r"(?<![\w+.])(?:\+|\(0|0)[\d \-/()]{5,}\d(?!\w|\.\d)")
MIN_PHONE_DIGITS = 7


def _phone_replace(match: re.Match) -> str:
    text = match.group(0)
    digits = sum(ch.isdigit() for ch in text)
    return PHONE_MASK if digits >= MIN_PHONE_DIGITS else text


def mask_personal_data(text: str) -> str:
    """The text with e-mail addresses and phone numbers replaced by placeholders."""
    if not text:
        return text
    text = EMAIL_RE.sub(EMAIL_MASK, text)
    return PHONE_RE.sub(_phone_replace, text)


class PersonalDataFilter(logging.Filter):
    """Logging filter (never drops a record) that masks contact data in it."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler to report
            return True
        masked = mask_personal_data(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personal_data(record.stack_info)
        return True
