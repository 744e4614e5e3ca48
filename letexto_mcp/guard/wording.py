"""Every sentence the send guard says to the assistant or the user, in one place.

The pipeline decides; this module words the decision. A message says what happened and what to
do next, names the setting that changes a limit, and never contains a secret (callers pass only
counts, ids and redacted error texts).
"""

from __future__ import annotations

DUPLICATE_SETTING = "LETEXTO_DUPLICATE_WINDOW_SECONDS"

SENDING_DETAIL = (
    "the request is leaving for LeTexto and no answer has come back yet; if this entry stays "
    "'sending', the server stopped before LeTexto answered: the outcome is unknown, check the "
    "message statuses and the balance before sending again"
)
DRY_RUN = (
    "dry run (LETEXTO_SEND_POLICY=dry-run): nothing was sent; this preview shows what a real send would do"
)
STORE_UNAVAILABLE = (
    "state store unavailable: nothing was sent. The server cannot record this send (and so cannot "
    "promise it goes once), so it refused it; check LETEXTO_STATE_URL and the database, then try again"
)
AUDIT_UNAVAILABLE = (
    "the audit log could not be written: nothing was sent. Every send is recorded before it leaves; "
    "check LETEXTO_STATE_URL and the disk or database, then try again"
)


def _plural(count: int | float, word: str) -> str:
    return f"{count:g} {word}{'' if count == 1 else 's'}"


def ago(seconds: float) -> str:
    return f"{max(0.0, seconds):.0f} s ago"


def idempotency_key_too_long(length: int, limit: int) -> str:
    return f"refused: idempotency_key is {length} characters long; use at most {limit} (a UUID is ideal)"


def declined(cancelled: bool) -> str:
    return f"the user {'cancelled' if cancelled else 'declined'} this send: nothing was sent"


def confirmation_required(tool: str, ttl_seconds: float) -> str:
    return (
        "nothing was sent yet: show this preview to the user; if they approve, call "
        f"{tool} again with exactly the same arguments plus this confirmation_token "
        f"(valid {ttl_seconds / 60:.0f} min, once)"
    )


def token_refused(reason: str) -> str:
    return f"refused: {reason}"


def sent(status: str, recipients: int, parts: int, ids: list[str]) -> str:
    shown = f"; LeTexto id{'s' if len(ids) > 1 else ''}: {', '.join(ids[:5])}" if ids else ""
    return (
        f"{status}: {_plural(recipients, 'recipient')}, {_plural(parts, 'SMS part')}{shown}. Nothing more to "
        "do; follow delivery with the status tools, and do not send it again"
    )


def outcome_unknown(reason: str) -> str:
    return (
        f"outcome unknown: the request may have reached LeTexto but no answer came back ({reason}). "
        "Do not resend blindly: check the balance and recent message statuses first. The same "
        "request is blocked until someone decides; pass allow_duplicate=true to send it again on purpose"
    )


INTERRUPTED = "the send was interrupted before LeTexto answered"


def not_sent(reason: str) -> str:
    return (
        f"failed: LeTexto did not send it ({reason}); nothing was spent from the daily budget. Fix the "
        "cause and try again (the same idempotency_key may be reused)"
    )


def stopped_before_sending(reason: str) -> str:
    return f"stopped before sending: {reason}"


def sent_within_window(age: float, ref: str | None, window: float) -> str:
    shown = f" (LeTexto {ref})" if ref else ""
    return (
        f"not sent again: the same messages went to the same recipients {ago(age)}{shown}, within "
        f"{DUPLICATE_SETTING} ({window:.0f} s). If it must really go twice, call again with "
        "allow_duplicate=true; to make retries safe, pass an idempotency_key"
    )


def unresolved_duplicate(age: float, in_flight: bool) -> str:
    what = "is still in progress" if in_flight else "has an unknown outcome"
    return (
        f"not sent: an identical send started {ago(age)} {what}, so it may already have reached the "
        "recipients. Check its status and the balance first; to send it anyway, call again with "
        "allow_duplicate=true"
    )


KEY_REUSED = (
    "refused: idempotency_key already used for another request; use a new idempotency_key for a new "
    "send, or repeat the first request exactly to get its result"
)


def key_in_progress(age: float) -> str:
    return (
        f"a send with this idempotency_key started {ago(age)} and is still in progress; nothing was "
        "sent again. Call again in a moment to get its result"
    )


def key_outcome_unknown(age: float) -> str:
    return (
        f"a send with this idempotency_key started {ago(age)} and its outcome is unknown; nothing was "
        "sent again. Check the balance and message statuses before deciding; to send anyway, use a new "
        "idempotency_key with allow_duplicate=true"
    )


def key_failed(detail: str) -> str:
    return (
        f"the send with this idempotency_key failed earlier ({detail}); nothing was sent again. Use a new "
        "idempotency_key to try again"
    )


def key_done(age: float, status: str) -> str:
    return (
        f"already done with this idempotency_key {ago(age)} (status {status}); "
        "this is the first result, nothing was sent again"
    )
