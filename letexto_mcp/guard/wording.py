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


NOT_AN_APPROVAL_TOKEN = (
    "this confirmation_token is not one a person's approval gave: under LETEXTO_SEND_POLICY=approve a "
    "person approves each send on the approval page or in your client's dialog. Call again without "
    "confirmation_token to get the page"
)
NO_PERSON_REACHABLE = (
    "refused: LETEXTO_SEND_POLICY=approve needs a person to approve each send, and none can be reached "
    "from here (this client shows no approval dialog, and no approval page is served with an approver "
    "who can sign in). Set LETEXTO_APPROVER_KEYS (people who approve on the page), or choose another "
    "LETEXTO_SEND_POLICY (confirm: the caller approves with a token)"
)


class ApprovalRefusal:
    """Why a token naming an approval record cannot send."""

    UNKNOWN = (
        "the confirmation_token names no approval of yours (unknown, or another caller's); call again "
        "without confirmation_token to get a new approval page"
    )
    REQUEST_CHANGED = (
        "the request changed since it was approved (a recipient, the text, the sender, the time, "
        "allow_duplicate or the idempotency_key): the approval covers the exact request only. Call "
        "again without confirmation_token to have the new request approved"
    )
    ALREADY_USED = (
        "this approval was already used (each approves one send): do not send again blindly; check the "
        "status of the first send, or call again without confirmation_token for a new approval"
    )
    EXPIRED = (
        "the approval expired before it was used (LETEXTO_CONFIRMATION_TTL_SECONDS); call again without "
        "confirmation_token for a new approval page"
    )


def approval_page(tool: str, url: str, *, opened: bool) -> str:
    where = (
        f"an approval page opened on the user's screen ({url})"
        if opened
        else f"a person must approve it on the approval page: {url}"
    )
    return (
        f"nothing was sent yet: {where}. Tell the user what is waiting for their approval; once they "
        f"have approved it there, call {tool} again with exactly the same arguments plus this "
        "confirmation_token (it names the approval; it does not approve anything by itself)"
    )


def approval_pending(url: str | None) -> str:
    where = f" ({url})" if url else ""
    return (
        f"nothing was sent: the approval page{where} has not been decided yet. Ask the user to approve or "
        "decline it there, then call again with the same arguments and confirmation_token"
    )


def declined_on_page(by: str | None) -> str:
    who = f" ({by})" if by else ""
    return f"a person{who} declined this send on the approval page: nothing was sent. Do not send it again"


LEASE_LAPSED = (
    "the server that was sending this stopped before LeTexto answered (its lease lapsed): the outcome "
    "is unknown. Check the message statuses and the balance before sending again"
)
