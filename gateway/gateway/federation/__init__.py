"""National sign-in (ÉduConnect for pupils, FIM for school staff) through OpenID Connect.

- ``settings``: each provider's settings from the environment, its scopes, and the claim names the platform
  reads (the one place to correct them);
- ``flow``: the pure rules of a sign-in attempt (state, nonce, PKCE verifier, purpose, who may finish it,
  which claims of a validated ID token are passed on);
- ``oidc``: the I/O: discovery document and JWKS (cached), the authorization URL and the code exchange with
  Authlib, ID tokens validated with joserfc;
- ``store``: the attempts kept in Redis, 10 minutes, single use.

The routes are in ``gateway/routes/federation.py``; the accounts themselves are identity's
(``identity.federated_sign_in``, ``identity.link_federated_identity``)."""
