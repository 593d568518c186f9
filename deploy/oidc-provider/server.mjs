// A local OpenID Connect provider standing in for ÉduConnect and FIM (development and tests only).
//
// One process, two issuers (one per federation) on one port:
//   http://<host>:<port>/educonnect   discovery: /educonnect/.well-known/openid-configuration
//   http://<host>:<port>/fim          discovery: /fim/.well-known/openid-configuration
// Built on the certified `oidc-provider` package: authorization code flow, PKCE required (S256),
// auto-consent (ÉduConnect shows no consent page), claims of the requested scopes also in the ID token
// (`conformIdTokenClaims: false`), RP-initiated logout. The login page lists the demo identities of
// `identities.json` (or OIDC_IDENTITIES_FILE): choose one.
//
// Environment:
//   OIDC_HOST (127.0.0.1), OIDC_PORT (8090), OIDC_PUBLIC_URL (http://OIDC_HOST:OIDC_PORT)
//   OIDC_CLIENTS: JSON {"educonnect": [client...], "fim": [client...]} (oidc-provider client metadata);
//     default: one client per federation, `stages-web` / `dev-secret-<federation>`, whose redirect URIs are
//     OIDC_REDIRECT_URIS (comma-separated; default the local web front end's callbacks)
//   OIDC_CODE_TTL: life of an authorization code in seconds (60)
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import Provider from 'oidc-provider';

const here = dirname(fileURLToPath(import.meta.url));
const HOST = process.env.OIDC_HOST || '127.0.0.1';
const PORT = Number(process.env.OIDC_PORT || 8090);
const PUBLIC_URL = (process.env.OIDC_PUBLIC_URL || `http://${HOST}:${PORT}`).replace(/\/$/, '');
const CODE_TTL = Number(process.env.OIDC_CODE_TTL || 60);
const identities = JSON.parse(readFileSync(process.env.OIDC_IDENTITIES_FILE || join(here, 'identities.json'), 'utf8'));

// Scopes and the claims each one releases, per federation (the real names).
const FEDERATIONS = {
  educonnect: {
    title: 'ÉduConnect (simulation locale)',
    claims: {
      openid: ['sub'],
      profile: ['given_name', 'family_name'],
      'ect.scope.cnx': ['FrEduCtId', 'FrEduCtPersonAffiliation'],
      'ect.scope.stage': ['FrEduCtEleveINE', 'FrEduCtEleveUAI', 'FrEduCtEleveNiveau', 'FrEduCtEleveClasse',
        'FrEduCtDateNaissance'],
    },
    acr: 'eleve',
  },
  fim: {
    title: 'Guichet agents de l\'Éducation nationale (FIM, simulation locale)',
    claims: {
      openid: ['sub'],
      profile: ['given_name', 'family_name'],
      email: ['email'],
      stage: ['FrEduFonctAdm', 'rne', 'FrEduRne', 'FrEduRneResp'],
    },
    acr: undefined,
  },
};

function defaultClients(name) {
  const uris = (process.env.OIDC_REDIRECT_URIS
    || 'http://127.0.0.1:8080/connexion/educonnect/retour,http://127.0.0.1:8080/connexion/agents/retour,'
      + 'http://localhost:8080/connexion/educonnect/retour,http://localhost:8080/connexion/agents/retour')
    .split(',').map((u) => u.trim()).filter(Boolean);
  const logoutUris = (process.env.OIDC_POST_LOGOUT_REDIRECT_URIS || 'http://127.0.0.1:8080/,http://localhost:8080/')
    .split(',').map((u) => u.trim()).filter(Boolean);
  return [{
    client_id: 'stages-web',
    client_secret: `dev-secret-${name}`,
    redirect_uris: uris,
    post_logout_redirect_uris: logoutUris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }];
}
const configuredClients = process.env.OIDC_CLIENTS ? JSON.parse(process.env.OIDC_CLIENTS) : {};

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => ({
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
}[c]));

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}
fieldset{border:1px solid #999;padding:1rem}label{display:block;margin:.5rem 0}
button{margin-top:1rem;padding:.5rem 1rem;font-size:1rem}</style></head>
<body><main>${body}</main></body></html>`;
}

function build(name) {
  const federation = FEDERATIONS[name];
  const people = identities[name] || [];
  const byId = new Map(people.map((p) => [p.id, p]));
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: `${name}-${randomBytes(4).toString('hex')}`, use: 'sig', alg: 'RS256' };
  const claimsConfig = { ...federation.claims };
  const scopes = Object.keys(federation.claims);
  const provider = new Provider(`${PUBLIC_URL}/${name}`, {
    clients: configuredClients[name] || defaultClients(name),
    jwks: { keys: [jwk] },
    // both issuers share one origin: cookies of their own; SameSite=Lax (plain HTTP on this machine: Chromium
    // refuses SameSite=None without Secure)
    cookies: {
      keys: [randomBytes(32).toString('hex')],
      names: { session: `_session_${name}`, interaction: `_interaction_${name}`, resume: `_interaction_resume_${name}` },
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    claims: claimsConfig,
    scopes,
    acrValues: federation.acr ? [federation.acr] : [],
    conformIdTokenClaims: false,
    pkce: { methods: ['S256'], required: () => true },
    responseTypes: ['code'],
    ttl: { AuthorizationCode: CODE_TTL, IdToken: 3600, AccessToken: 3600, Interaction: 600, Session: 3600, Grant: 3600 },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        // no confirmation page: the platform already asked the person (the form posts itself)
        async logoutSource(ctx, form) {
          ctx.body = page('Déconnexion', `<h1>Déconnexion de ${escapeHtml(federation.title)}</h1>${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes">Me déconnecter</button>
<script>(function(f){var i=document.createElement('input');i.type='hidden';i.name='logout';i.value='yes';f.appendChild(i);f.submit();})(document.getElementById('op.logoutForm'));</script>`);
        },
      },
    },
    interactions: { url: (ctx, interaction) => `/${name}/interaction/${interaction.uid}` },
    async findAccount(ctx, id) {
      const person = byId.get(id);
      if (!person) return undefined;
      return { accountId: id, async claims() { return { sub: id, ...person.claims }; } };
    },
    // Auto-consent: every scope and claim asked for is granted (ÉduConnect and FIM ask no consent).
    async loadExistingGrant(ctx) {
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope(ctx.oidc.requestParamScopes ? [...ctx.oidc.requestParamScopes].join(' ') : 'openid');
      grant.addOIDCClaims(Object.values(federation.claims).flat());
      await grant.save();
      return grant;
    },
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = page('Erreur', `<h1>Erreur du fournisseur d'identité</h1><p>${escapeHtml(out.error)} : ${escapeHtml(out.error_description || '')}</p>`);
    },
  });
  provider.proxy = true;
  const callback = provider.callback();

  async function interaction(req, res, uid, action) {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) throw new Error('interaction mismatch');
    if (req.method === 'POST' && action === 'login') {
      const form = new URLSearchParams(await readBody(req));
      const accountId = form.get('account');
      if (!byId.has(accountId)) {
        res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' });
        res.end(page('Identité inconnue', '<h1>Identité inconnue</h1><p>Choisissez une des identités proposées.</p>'));
        return;
      }
      const result = { login: { accountId, ...(federation.acr ? { acr: federation.acr } : {}) } };
      await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
      return;
    }
    const choices = people.map((p, i) => `<label><input type="radio" name="account" value="${escapeHtml(p.id)}"${i === 0 ? ' checked' : ''}> ${escapeHtml(p.label)}</label>`).join('\n');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(page(federation.title, `<h1>${escapeHtml(federation.title)}</h1>
<p>Identités de démonstration : choisissez la personne qui se connecte.</p>
<form method="post" action="/${name}/interaction/${escapeHtml(uid)}/login">
<fieldset><legend>Se connecter en tant que</legend>
${choices}
</fieldset>
<button type="submit">Se connecter</button>
</form>`));
  }

  return { provider, callback, interaction };
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => { data += chunk; if (data.length > 10000) req.destroy(); });
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

const mounted = Object.fromEntries(Object.keys(FEDERATIONS).map((name) => [name, build(name)]));

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, PUBLIC_URL);
    if (url.pathname === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'ok', issuers: Object.keys(mounted).map((n) => `${PUBLIC_URL}/${n}`) }));
      return;
    }
    const [, name, ...rest] = url.pathname.split('/');
    const fed = mounted[name];
    if (!fed) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('Introuvable');
      return;
    }
    if (rest[0] === 'interaction' && rest[1]) {
      await fed.interaction(req, res, rest[1], rest[2]);
      return;
    }
    // mounted under /<federation>: the provider sees the rest of the path (originalUrl keeps the mount)
    req.originalUrl = req.url;
    req.url = req.url.slice(name.length + 1) || '/';
    fed.callback(req, res);
  } catch (err) {
    console.error(err);
    if (!res.headersSent) {
      res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' });
      res.end(page('Erreur', `<h1>Erreur</h1><p>${escapeHtml(err.message)}</p>`));
    }
  }
});

server.listen(PORT, HOST, () => {
  const port = server.address().port;
  console.log(JSON.stringify({ listening: `http://${HOST}:${port}`, issuers: Object.keys(mounted).map((n) => `${PUBLIC_URL}/${n}`) }));
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
