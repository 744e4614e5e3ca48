"""Remote connectors: hosted assistants (Claude.ai, ChatGPT) connect by URL with OAuth 2.1.

The MCP authorization spec (2025-11-25) in two roles:
- resource server (`resource`): `/mcp` and `/api/v1` accept audience-bound Bearer access tokens beside
  the static client keys; a request without one gets 401 pointing at the protected-resource metadata;
- authorization server (`provider`, on the SDK's `OAuthAuthorizationServerProvider` and its routes):
  dynamic client registration, PKCE S256, the sign-in and consent page (`web.consent`), ES256 JWT access
  tokens with a JWKS, rotating refresh tokens, revocation; its state lives in the state store, so it
  works across replicas. Or, with LETEXTO_OAUTH_ISSUER, an outside issuer's tokens (`external`).

Imported only by the HTTP app when OAuth is configured.
"""
