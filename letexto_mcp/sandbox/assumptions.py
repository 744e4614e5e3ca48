"""Every choice the simulator makes where the LeTexto document is silent, in one place.

The vendor's document (shared/seed) and its examples repository fix the paths, the request
fields, the send/campaign response bodies and a few error texts. Everything below is an
assumption of this simulator; a client must parse the real API leniently and never depend on it.

1.  Auth is lenient: `Authorization: Bearer <key>` and `?token=<key>` are accepted on every
    endpoint (the real API expects one or the other per endpoint). Each request is logged with the
    form used (`bearer`, `query`, `both` or `none`) so tests can check the client used the
    documented one. A wrong or missing key answers 401 `Invalide username / password`.
2.  Errors use the vendor shape `{"statusCode", "message", "errors"}` (`errors`, not NestJS's
    `error`). `message` is a string for one problem and a list of strings (NestJS style) when
    several fields are wrong; each field contributes one message.
3.  The invalid-number text keeps the vendor's wording with a real line break:
    `to contains invalid phone number (s) : <num>. \\n Phone number must be in international format`.
    Campaigns say `contacts contains ...` and list every bad number, separated by `, `.
4.  A number is valid when it is digits only (no `+`, spaces or dashes), does not start with 0,
    and is `225` followed by exactly 10 digits for Côte d'Ivoire (so `225` + 8 or 9 digits, the
    old or 0-less forms, are rejected), or 8 to 15 digits in all for any other country code.
5.  `to` holds exactly one number: a comma-separated list is one invalid number.
6.  Requests are parsed like NestJS with its default body parsers: `application/json` bodies are
    parsed (an unparsable one answers 400 `Unexpected token X in JSON at position N`),
    `application/x-www-form-urlencoded` bodies are read as fields, and a body with any other or
    no Content-Type is ignored, so the request fails validation listing the missing fields.
    Unknown fields are ignored (a campaign given `sendAt` instead of `sentAt` goes out at once).
    An empty string in an optional field is validated, not treated as absent.
7.  Creates (every POST) answer 201, NestJS's default; reads and the legacy GET send answer 200.
8.  Ids of messages, campaigns and senders are 24 lowercase hex characters (MongoDB ObjectId-like)
    and always strings.
9.  Seeded accounts: the sandbox key (`SANDBOX_API_KEY`) with `initial_balance` credits, the
    approved sender `SMS INFO` and the sender `EN ATTENTE` that stays PENDING forever; and a sub-account
    (`SANDBOX_SUBACCOUNT_KEY`) with 250 credits and the approved sender `BOUTIQUE`.
10. Sender statuses are `PENDING` then `ACTIVE` (approved) after `sender_approval_delay` seconds of
    the simulator's clock; a name starting with `REJECT` becomes `REJECTED` instead.
    Names are 1 to 11 characters; a name already used by the account (case-insensitive) answers
    409 Conflict `sender already exists`. Create answers 201 with the same object as one item of
    the sender list.
11. Sending from a sender that the account does not own, or that is not ACTIVE, answers 400
    `Expéditeur non autorisé`. Sender names match exactly (case-sensitive).
12. The sender list is a bare JSON list of `{"id","name","status","createdAt","account"}`;
    `query` filters by case-insensitive substring, `status` by exact status, and
    `allAccounts=true` adds the senders of the account's sub-accounts. No pagination.
13. Balance is in SMS credits, one credit per part: `{"balance": 1000.0, "currency": "SMS"}`.
    Parts follow GSM 03.38 (GSM-7 160/153, UCS-2 70/67). A send or campaign costing more than the
    balance answers 400 `Solde insuffisant` and records nothing. Email campaigns cost no SMS credit.
14. Message statuses: `PENDING` until `sent_after` seconds after the send starts (its `sendAt`, if
    in the future, else its creation), then `SENT`, then at `delivered_after` `DELIVERED` — or
    `FAILED` for the numbers in `FAILING_TEST_NUMBERS`. A scheduled message stays `PENDING` (the
    only waiting status the vendor documents). Status answers
    `{"id","status","partCount","to","from","customData","sendAt","createdAt","updatedAt"}`;
    an unknown id, or one of another account, answers 404 `message not found`.
15. Delivery reports go to `dlrUrl` when a message becomes SENT and when it reaches its final
    status: POST with a JSON body `{"id","status","customData"}` (the default when `dlrMethod` is
    absent) or GET with the same as query parameters. Only hosts in `dlr_allow_hosts` (loopback by
    default) are contacted; others are recorded as refused. One attempt each, no retry.
16. SMS campaign: `{{field}}` placeholders (spaces inside the braces allowed) are filled from each
    contact; `{{numero}}` is the number. A placeholder a contact lacks answers 400 naming the
    contact and the field. `partCount` is the total of the parts of every rendered message, which
    is also what is debited. Duplicate numbers are allowed. Status: `SCHEDULED` while `sentAt` is in
    the future, then `CREATED` for `sent_after` seconds, `SENDING` until `delivered_after`, then
    `SENT`; the status body is `{"status","sender","id","label"}`; unknown → 404 `campaign not found`.
17. Email campaign: `from` and every recipient must look like an address (`x@y.z`); response
    `{"id","label","subject","from","recipientsCount","status":"Created"}`; status moves
    `Created` → `Sending` → `Sent` on the same clock, answered as
    `{"status","id","label","subject","from","recipientsCount"}`.
18. Dates are ISO-8601; a date without a zone is UTC; output dates are UTC with milliseconds
    (`2026-02-13T21:40:00.000Z`). A `sendAt`/`sentAt` in the past sends at once.
19. Unknown paths and wrong methods answer 404 `Cannot <METHOD> <path>` like NestJS.
20. Faults (not vendor behaviour, the simulator's test aid): `status`, `malformed`, `timeout` and
    `reset_before` answer without handling the request (nothing is sent or debited), and so does
    `latency` until its delay is over (it waits, then handles the request normally); `stall`,
    `truncated` and `reset_after` handle it fully first (a send is recorded and debited) — `stall`
    then holds the answer for its delay,
    `truncated` keeps the handler's status code (201 for a send) and cuts the JSON body in half.
    Every API request is logged in `state.requests` with the fault it met; `/_sandbox/*` is not.
    The log keeps the newest `request_log_limit` requests (10,000 by default) and counts the rest.
"""

from __future__ import annotations

from typing import Final

APPROVED_SENDER_STATUS: Final = "ACTIVE"
PENDING_SENDER_STATUS: Final = "PENDING"
REJECTED_SENDER_STATUS: Final = "REJECTED"
REJECTED_SENDER_PREFIX: Final = "REJECT"
"""A new sender whose name starts with this (case-insensitive) is rejected instead of approved."""

SEEDED_PENDING_SENDER: Final = "EN ATTENTE"
"""A sender of the sandbox account that never gets approved, to exercise the PENDING error."""

SUBACCOUNT_NAME: Final = "Sous-compte sandbox"
SUBACCOUNT_BALANCE: Final = 250.0
SUBACCOUNT_SENDER: Final = "BOUTIQUE"
MAIN_ACCOUNT_NAME: Final = "Compte sandbox"

FAILING_TEST_NUMBERS: Final = frozenset({"2250100000099", "2250500000099", "2250700000099"})
"""Numbers whose messages end FAILED instead of DELIVERED (one per Ivorian mobile prefix)."""

CI_COUNTRY_CODE: Final = "225"
CI_NATIONAL_DIGITS: Final = 10
OTHER_MIN_DIGITS: Final = 8
OTHER_MAX_DIGITS: Final = 15

SENDER_MAX_LENGTH: Final = 11
BALANCE_CURRENCY: Final = "SMS"
DEFAULT_DLR_METHOD: Final = "POST"
DLR_TIMEOUT_SECONDS: Final = 5.0

MESSAGE_STATUSES: Final = ("PENDING", "SENT", "DELIVERED", "FAILED")
SMS_CAMPAIGN_STATUSES: Final = ("SCHEDULED", "CREATED", "SENDING", "SENT")
EMAIL_CAMPAIGN_STATUSES: Final = ("Created", "Sending", "Sent")

CREATED_HTTP_STATUS: Final = 201
SENDER_EXISTS_HTTP_STATUS: Final = 409
UNAUTHORIZED_SENDER_HTTP_STATUS: Final = 400
INSUFFICIENT_BALANCE_HTTP_STATUS: Final = 400

MSG_UNAUTHORIZED: Final = "Invalide username / password"
MSG_SENDER_NOT_ALLOWED: Final = "Expéditeur non autorisé"
MSG_INSUFFICIENT_BALANCE: Final = "Solde insuffisant"
MSG_SENDER_EXISTS: Final = "sender already exists"
MSG_CAMPAIGN_NOT_FOUND: Final = "campaign not found"
MSG_MESSAGE_NOT_FOUND: Final = "message not found"
MSG_PHONE_FORMAT: Final = "Phone number must be in international format"
