"""The page's words in English and French, chosen from the browser's Accept-Language.

Every text a person reads on the approval pages lives here, in both languages: a French-speaking
approver in Abidjan sees « Approuver » / « Refuser », anyone else English. Numbers follow the
language too (French: narrow no-break space between thousands, decimal comma).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"

_EN: dict[str, str] = {
    "app": "LeTexto MCP",
    "page_title": "Approve a send",
    "login_title": "Sign in to approve",
    "login_intro": "A send is waiting for a person's decision. Enter your approver key to see "
    "everything that will leave.",
    "approver_key": "Approver key",
    "sign_in": "Sign in",
    "wrong_key": "This is not an approver key. Check it and try again.",
    "client_key_title": "Client keys cannot approve",
    "client_key": "This key is an MCP client key or the LeTexto API key: such keys can never approve a "
    "send. Sign in with your own approver key.",
    "too_many_title": "Too many attempts",
    "too_many": "Too many failed sign-in attempts from this address. Wait {seconds} seconds, then try again.",
    "not_found_title": "No such approval",
    "not_found": "There is no approval at this address that you may see. It may have been removed.",
    "link_title": "This sign-in link cannot be used",
    "link": "The link is unknown, already used or expired. Ask the assistant to send the request again "
    "to get a new one.",
    "csrf_title": "Decision not taken",
    "csrf": "This form did not come from the approval page, or it is too old. Open the page again and "
    "decide there.",
    "not_allowed_title": "Not yours to decide",
    "not_allowed": "Your approver key does not cover the account this send belongs to.",
    "method_title": "Use the buttons",
    "method": "A decision is taken only with the Approve and Decline buttons of the approval page.",
    "unavailable_title": "Not ready",
    "unavailable": "The server is starting or stopping. Try again in a moment.",
    "bad_request_title": "Bad request",
    "bad_request": "This request could not be read.",
    "back_to_page": "Back to the approval page",
    "signed_in_as": "Signed in as {name}",
    "tool_send_sms": "SMS",
    "tool_create_sms_campaign": "SMS campaign",
    "tool_create_email_campaign": "Email campaign",
    "state_pending": "Waiting for your decision",
    "state_pending_until": "Decide before {when}. Nothing leaves until someone approves.",
    "state_approved": "Approved by {name} ({when})",
    "state_approved_note": "The assistant's next call with its confirmation token sends it, once.",
    "state_approved_expired": "Approved by {name} ({when}), but it was not sent before it expired: "
    "nothing was sent.",
    "state_declined": "Declined by {name} ({when})",
    "state_declined_note": "Nothing was sent.",
    "state_expired": "Expired: nobody decided in time. Nothing was sent and it can no longer be approved.",
    "state_sending": "Approved by {name} ({when}) and being sent",
    "state_sent": "Approved by {name} ({when}) and handed to LeTexto",
    "via_page": "on the page",
    "via_bot": "by a bot",
    "via_dialog": "in the assistant",
    "outcome": "Outcome",
    "letexto_ids": "LeTexto ids",
    "what_leaves": "What will leave",
    "what_left": "What this send holds",
    "label": "Label",
    "sender": "Sender",
    "schedule": "When",
    "now": "now, once approved",
    "recipients": "Recipients",
    "encoding": "Encoding",
    "parts": "SMS parts",
    "parts_value": "{total} in all, up to {max} per message",
    "credits": "Credits",
    "balance": "Balance",
    "balance_value": "{before} → {after} credits",
    "unknown": "unknown",
    "budget": "Today's budget",
    "budget_value": "{used} of {limit} parts used; {left} left after this send",
    "duplicates": "Duplicates merged",
    "subject": "Subject",
    "body": "Body",
    "body_frame": "The email body as it will be sent (no script runs, nothing remote loads)",
    "warnings": "Warnings",
    "rejected": "Left out ({count})",
    "rejected_intro": "These will not receive anything:",
    "row": "row {row}",
    "texts": "Texts ({count})",
    "texts_intro": "Every different text, in full, as it will arrive.",
    "texts_email": "Subjects ({count})",
    "gets_it_one": "sent to {count} recipient",
    "gets_it_other": "sent to {count} recipients",
    "recipients_list": "Recipients ({count})",
    "download_csv": "Download every recipient and text (CSV)",
    "previous": "Previous",
    "next": "Next",
    "page_of": "Page {page} of {pages}",
    "decision": "Your decision",
    "decision_hint": "Approve sends exactly what this page shows, once. Decline sends nothing.",
    "approve": "Approve",
    "decline": "Decline",
    "go_decide": "Go to the decision",
    # -- connecting an assistant (OAuth consent) and the connections page --
    "consent_title": "Connect an assistant",
    "consent_intro": "An application asks to use this LeTexto MCP server on your behalf.",
    "consent_app": "Application",
    "consent_redirect": "Returns to",
    "consent_account": "LeTexto account",
    "consent_account_server": "This server's account (key {masked})",
    "consent_account_yours": "The account of the LeTexto API key you enter below",
    "consent_scopes": "It will be allowed to",
    "consent_scope_letexto.read": "Read: preview messages, delivery statuses, the balance and the senders",
    "consent_scope_letexto.send": "Send: SMS, SMS and email campaigns, new senders — each send is still "
    "approved by a person",
    "consent_who": "Who you are",
    "consent_key": "Your connect key",
    "consent_key_hint": "A connect key or an approver key given to you by this server's operator.",
    "consent_letexto_key": "Your LeTexto API key",
    "consent_letexto_key_hint": "Entered once: it is kept encrypted for this connection only, never shown "
    "again, and forgotten when the connection is revoked.",
    "consent_signed_in": "You are signed in as {name}.",
    "consent_allow": "Allow",
    "consent_refuse": "Refuse",
    "consent_hint": "Allow gives this application access until you revoke it on the connections page.",
    "consent_expired_title": "This request has expired",
    "consent_expired": "This connection request is unknown or more than 10 minutes old. Start connecting "
    "again from the assistant.",
    "consent_wrong_key": "This key is not a connect or approver key. Check it and try again.",
    "consent_letexto_refused": "LeTexto did not accept this API key. Check it and try again.",
    "consent_letexto_unreachable": "LeTexto could not be reached to check this key. Try again in a moment.",
    "consent_missing_key": "Enter your key to allow the connection.",
    "connections_title": "Connected assistants",
    "connections_intro": "Applications allowed to use this server by OAuth. Revoking one stops its next "
    "call.",
    "connections_none": "No application is connected.",
    "connections_login": "Sign in to see the connections",
    "connections_login_intro": "Enter your approver key or connect key.",
    "connections_login_intro_tenant": "Enter your approver key, or the LeTexto API key of your account.",
    "connection_person": "Allowed by",
    "connection_since": "Since",
    "connection_scopes": "Scopes",
    "connection_id": "Connection",
    "revoke": "Revoke",
    "revoked_title": "Connection revoked",
    "revoked": "The connection {id} is revoked: its next call is refused.",
    "key": "Key",
}

_FR: dict[str, str] = {
    "app": "LeTexto MCP",
    "page_title": "Approuver un envoi",
    "login_title": "Connectez-vous pour approuver",
    "login_intro": "Un envoi attend la décision d'une personne. Saisissez votre clé d'approbateur pour "
    "voir tout ce qui partira.",
    "approver_key": "Clé d'approbateur",
    "sign_in": "Se connecter",
    "wrong_key": "Ce n'est pas une clé d'approbateur. Vérifiez-la et réessayez.",
    "client_key_title": "Une clé de client ne peut pas approuver",
    "client_key": "Cette clé est une clé de client MCP ou la clé d'API LeTexto : ces clés ne peuvent "
    "jamais approuver un envoi. Connectez-vous avec votre propre clé d'approbateur.",
    "too_many_title": "Trop de tentatives",
    "too_many": "Trop de tentatives de connexion échouées depuis cette adresse. Attendez {seconds} "
    "secondes, puis réessayez.",
    "not_found_title": "Approbation introuvable",
    "not_found": "Il n'y a pas ici d'approbation que vous puissiez voir. Elle a peut-être été supprimée.",
    "link_title": "Ce lien de connexion ne peut pas servir",
    "link": "Le lien est inconnu, déjà utilisé ou expiré. Demandez à l'assistant de refaire la demande "
    "pour en obtenir un nouveau.",
    "csrf_title": "Décision non prise en compte",
    "csrf": "Ce formulaire ne vient pas de la page d'approbation, ou il est trop ancien. Rouvrez la page "
    "et décidez-y.",
    "not_allowed_title": "Décision hors de votre portée",
    "not_allowed": "Votre clé d'approbateur ne couvre pas le compte de cet envoi.",
    "method_title": "Utilisez les boutons",
    "method": "Une décision ne se prend qu'avec les boutons Approuver et Refuser de la page d'approbation.",
    "unavailable_title": "Pas prêt",
    "unavailable": "Le serveur démarre ou s'arrête. Réessayez dans un instant.",
    "bad_request_title": "Requête invalide",
    "bad_request": "Cette requête n'a pas pu être lue.",
    "back_to_page": "Retour à la page d'approbation",
    "signed_in_as": "Connecté en tant que {name}",
    "tool_send_sms": "SMS",
    "tool_create_sms_campaign": "Campagne SMS",
    "tool_create_email_campaign": "Campagne e-mail",
    "state_pending": "En attente de votre décision",
    "state_pending_until": "Décidez avant {when}. Rien ne part tant que personne n'a approuvé.",
    "state_approved": "Approuvé par {name} ({when})",
    "state_approved_note": "Le prochain appel de l'assistant avec son jeton de confirmation l'envoie, "
    "une seule fois.",
    "state_approved_expired": "Approuvé par {name} ({when}), mais pas envoyé avant l'expiration : rien "
    "n'est parti.",
    "state_declined": "Refusé par {name} ({when})",
    "state_declined_note": "Rien n'a été envoyé.",
    "state_expired": "Expiré : personne n'a décidé à temps. Rien n'a été envoyé et l'envoi ne peut plus "
    "être approuvé.",
    "state_sending": "Approuvé par {name} ({when}), envoi en cours",
    "state_sent": "Approuvé par {name} ({when}) et remis à LeTexto",
    "via_page": "sur la page",
    "via_bot": "par un bot",
    "via_dialog": "dans l'assistant",
    "outcome": "Résultat",
    "letexto_ids": "Identifiants LeTexto",
    "what_leaves": "Ce qui partira",
    "what_left": "Contenu de cet envoi",
    "label": "Libellé",
    "sender": "Expéditeur",
    "schedule": "Quand",
    "now": "immédiatement, dès l'approbation",
    "recipients": "Destinataires",
    "encoding": "Encodage",
    "parts": "Parties SMS",
    "parts_value": "{total} au total, jusqu'à {max} par message",
    "credits": "Crédits",
    "balance": "Solde",
    "balance_value": "{before} → {after} crédits",
    "unknown": "inconnu",
    "budget": "Budget du jour",
    "budget_value": "{used} parties utilisées sur {limit} ; il en restera {left} après cet envoi",
    "duplicates": "Doublons fusionnés",
    "subject": "Objet",
    "body": "Corps",
    "body_frame": "Le corps de l'e-mail tel qu'il partira (aucun script ne s'exécute, rien de distant "
    "ne se charge)",
    "warnings": "Avertissements",
    "rejected": "Écartés ({count})",
    "rejected_intro": "Ceux-ci ne recevront rien :",
    "row": "ligne {row}",
    "texts": "Textes ({count})",
    "texts_intro": "Chaque texte différent, en entier, tel qu'il arrivera.",
    "texts_email": "Objets ({count})",
    "gets_it_one": "envoyé à {count} destinataire",
    "gets_it_other": "envoyé à {count} destinataires",
    "recipients_list": "Destinataires ({count})",
    "download_csv": "Télécharger tous les destinataires et textes (CSV)",
    "previous": "Précédent",
    "next": "Suivant",
    "page_of": "Page {page} sur {pages}",
    "decision": "Votre décision",
    "decision_hint": "Approuver envoie exactement ce que montre cette page, une seule fois. Refuser "
    "n'envoie rien.",
    "approve": "Approuver",
    "decline": "Refuser",
    "go_decide": "Aller à la décision",
    # -- connecter un assistant (consentement OAuth) et la page des connexions --
    "consent_title": "Connecter un assistant",
    "consent_intro": "Une application demande à utiliser ce serveur MCP LeTexto en votre nom.",
    "consent_app": "Application",
    "consent_redirect": "Retour vers",
    "consent_account": "Compte LeTexto",
    "consent_account_server": "Le compte de ce serveur (clé {masked})",
    "consent_account_yours": "Le compte de la clé d'API LeTexto que vous saisissez ci-dessous",
    "consent_scopes": "Elle pourra",
    "consent_scope_letexto.read": "Lire : prévisualiser des messages, les statuts de remise, le solde et "
    "les expéditeurs",
    "consent_scope_letexto.send": "Envoyer : SMS, campagnes SMS et e-mail, nouveaux expéditeurs — chaque "
    "envoi reste approuvé par une personne",
    "consent_who": "Qui vous êtes",
    "consent_key": "Votre clé de connexion",
    "consent_key_hint": "Une clé de connexion ou d'approbateur remise par l'exploitant de ce serveur.",
    "consent_letexto_key": "Votre clé d'API LeTexto",
    "consent_letexto_key_hint": "Saisie une seule fois : elle est gardée chiffrée pour cette seule "
    "connexion, jamais réaffichée, et oubliée quand la connexion est révoquée.",
    "consent_signed_in": "Vous êtes connecté en tant que {name}.",
    "consent_allow": "Autoriser",
    "consent_refuse": "Refuser",
    "consent_hint": "Autoriser donne accès à cette application jusqu'à ce que vous la révoquiez sur la page "
    "des connexions.",
    "consent_expired_title": "Cette demande a expiré",
    "consent_expired": "Cette demande de connexion est inconnue ou date de plus de 10 minutes. Relancez la "
    "connexion depuis l'assistant.",
    "consent_wrong_key": "Ce n'est pas une clé de connexion ou d'approbateur. Vérifiez-la et réessayez.",
    "consent_letexto_refused": "LeTexto n'a pas accepté cette clé d'API. Vérifiez-la et réessayez.",
    "consent_letexto_unreachable": "LeTexto n'a pas pu être joint pour vérifier cette clé. Réessayez dans "
    "un instant.",
    "consent_missing_key": "Saisissez votre clé pour autoriser la connexion.",
    "connections_title": "Assistants connectés",
    "connections_intro": "Les applications autorisées à utiliser ce serveur par OAuth. En révoquer une "
    "bloque son prochain appel.",
    "connections_none": "Aucune application n'est connectée.",
    "connections_login": "Connectez-vous pour voir les connexions",
    "connections_login_intro": "Saisissez votre clé d'approbateur ou de connexion.",
    "connections_login_intro_tenant": "Saisissez votre clé d'approbateur, ou la clé d'API LeTexto de votre "
    "compte.",
    "connection_person": "Autorisée par",
    "connection_since": "Depuis",
    "connection_scopes": "Droits",
    "connection_id": "Connexion",
    "revoke": "Révoquer",
    "revoked_title": "Connexion révoquée",
    "revoked": "La connexion {id} est révoquée : son prochain appel est refusé.",
    "key": "Clé",
}

CATALOGS: Mapping[str, Mapping[str, str]] = {"en": _EN, "fr": _FR}


def negotiate(accept_language: str | None) -> str:
    """The language to answer in: the supported one the browser prefers most (q-values), else English."""
    best, best_q = DEFAULT_LANGUAGE, 0.0
    for item in (accept_language or "").split(","):
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if not 0.0 < q <= 1.0:
            continue
        if primary in LANGUAGES and q > best_q:
            best, best_q = primary, q
    return best


@dataclass(frozen=True)
class Words:
    """One language's words, with the number format that goes with them."""

    lang: str

    def __call__(self, key: str, **values: object) -> str:
        text = CATALOGS[self.lang].get(key) or CATALOGS[DEFAULT_LANGUAGE][key]
        return text.format(**values) if values else text

    def plural(self, key: str, count: int) -> str:
        """`key_one` or `key_other` by the language's rule (French counts 0 and 1 as singular)."""
        one = count == 1 or (self.lang == "fr" and count == 0)
        return self(f"{key}_{'one' if one else 'other'}", count=self.number(count))

    def knows(self, key: str) -> bool:
        return key in CATALOGS[DEFAULT_LANGUAGE]

    def number(self, value: float | int | None) -> str:
        """`1 234,5` in French, `1,234.5` in English; integers without decimals."""
        if value is None:
            return self("unknown")
        whole = float(value).is_integer()
        text = f"{int(value):,}" if whole else f"{float(value):,.2f}".rstrip("0").rstrip(".")
        if self.lang == "fr":
            text = text.replace(",", "\u202f").replace(".", ",")
        return text
