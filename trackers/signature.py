"""Webhook signatures: GitHub's ``X-Hub-Signature-256`` and Jira's ``X-Hub-Signature``.

Both are ``sha256=<hex>``: the HMAC-SHA256 of the raw request body, keyed with the secret set
on the webhook (GitHub: "Validating webhook deliveries"; Jira Cloud admin webhooks with a
secret and Jira Data Center: "Securing your webhook", the WebSub ``method=signature`` form).
The body must be checked as received, before any JSON parsing, and compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac

from pydantic import SecretStr

from intake.tracker import WebhookRejected

GITHUB_HEADER = "X-Hub-Signature-256"
JIRA_HEADER = "X-Hub-Signature"
_PREFIX = "sha256="


def sign(secret: str, body: bytes) -> str:
    """The header value a sender with ``secret`` puts on ``body``."""
    return _PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: SecretStr | None, body: bytes, header: str | None) -> None:
    """Raise ``WebhookRejected`` unless ``header`` is the signature of ``body``. Without a
    configured secret every delivery is refused: an unsigned webhook could close any ask."""
    if secret is None or not secret.get_secret_value():
        raise WebhookRejected("no webhook secret is configured")
    if not header:
        raise WebhookRejected("signature missing")
    algorithm, _, digest = header.strip().partition("=")
    if algorithm.lower() != "sha256" or not digest:
        raise WebhookRejected("signature is not sha256=<hex>")
    expected = sign(secret.get_secret_value(), body)
    if not hmac.compare_digest(expected.encode(), (_PREFIX + digest.lower()).encode()):
        raise WebhookRejected("signature does not match")
