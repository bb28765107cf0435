"""The authorization endpoint (OIDC Core §3.1.2), as a pipeline.

1. The client and the redirect URI are checked first. Until both are trusted nothing is redirected: the person sees
   an error page (RFC 6749 §4.1.2.1; an unregistered ``redirect_uri`` is never redirected to).
2. authlib's grant validates the rest (response_type, scope, PKCE, nonce, prompt); our ``authorize_params`` reads
   what authlib leaves to us (max_age, claims, acr, id_token_hint). Every error from here on goes to the client.
3. The login policy (``idp.interaction.checks``) decides whether the person must see a page. If so, the request is
   parked as an interaction and the browser goes to the login page; ``prompt=none`` answers ``login_required``
   instead. An essential acr that no available method can reach answers ``unmet_authentication_requirements``.
4. Otherwise authlib issues the code, and the response is delivered by ``query`` or ``form_post``, with ``iss``
   (RFC 9207) in every response, errors included.

``resume`` runs the same pipeline on a finished interaction's stored parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from authlib.oauth2.rfc6749 import InvalidRequestError, OAuth2Error

from idp.accounts import terms
from idp.audit import record
from idp.authn import sessions
from idp.authn.levels import reachable
from idp.interaction import service as interactions
from idp.interaction.checks import LoginRequirements, Situation, evaluate
from idp.models import Interaction
from idp.protocol.authorize_params import UnmetAuthenticationRequirements, parse_requirements
from idp.protocol.context import ProtocolContext
from idp.protocol.oauth_client import OAuthClient
from idp.protocol.requests import HttpRequest, IdpOAuth2Request
from idp.protocol.responses import ProtocolResponse
from idp.protocol.scopes import SCOPES_SUPPORTED
from idp.protocol.server import IdpAuthorizationServer, build_server
from idp.protocol.subject import AuthenticatedSubject

RESPONSE_MODES = ("query", "form_post")
#: Reasons a fresh authentication for this very request settles.
_SETTLED_BY_LOGIN = {"no_session", "prompt_login", "max_age", "id_token_hint_mismatch"}


@dataclass(frozen=True)
class BrowserState:
    session_cookie: str | None = None
    interaction_cookie: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True)
class ErrorPage:
    """Shown to the person, never redirected: the client or its redirect URI cannot be trusted."""

    reason: str  # unknown_client | invalid_redirect_uri | interaction_unavailable


@dataclass(frozen=True)
class GoToLogin:
    uid: str
    binding_cookie: str


@dataclass(frozen=True)
class FormPost:
    """OAuth 2.0 Form Post Response Mode: an auto-submitting form to the redirect URI."""

    action: str
    fields: dict[str, str]


Outcome = ProtocolResponse | FormPost | ErrorPage | GoToLogin


def authorize(ctx: ProtocolContext, http: HttpRequest, browser: BrowserState) -> Outcome:
    return _Pipeline(ctx, IdpOAuth2Request(http, ctx.issuer), browser).run(None)


def resume(ctx: ProtocolContext, uid: str, browser: BrowserState, http: HttpRequest) -> Outcome:
    try:
        row = interactions.load(ctx.session, ctx.settings, uid, browser.interaction_cookie)
    except interactions.InteractionUnavailable:
        return ErrorPage("interaction_unavailable")
    if row.result is None:
        return GoToLogin(row.uid, browser.interaction_cookie or "")
    stored = HttpRequest(method="GET", path="/authorize", headers=http.headers, query=list(row.params.items()),
                         client_ip=http.client_ip)
    outcome = _Pipeline(ctx, IdpOAuth2Request(stored, ctx.issuer), browser).run(row)
    if not isinstance(outcome, GoToLogin):
        interactions.consume(ctx.session, row)
    return outcome


class _Pipeline:
    def __init__(self, ctx: ProtocolContext, request: IdpOAuth2Request, browser: BrowserState) -> None:
        self.ctx, self.request, self.browser = ctx, request, browser
        self.data: dict[str, Any] = dict(request.payload.data)
        self.server: IdpAuthorizationServer = build_server(ctx)

    def run(self, resumed: Interaction | None) -> Outcome:
        client = self.server.query_client(self.data.get("client_id") or "")
        if client is None:
            return ErrorPage("unknown_client")
        redirect_uri = self.data.get("redirect_uri")
        if not redirect_uri or not client.check_redirect_uri(redirect_uri) or len(self.request.payload.datalist.get("redirect_uri", [])) > 1:
            return ErrorPage("invalid_redirect_uri")
        self.client, self.redirect_uri = client, redirect_uri
        self.mode = self.data.get("response_mode") or "query"
        try:
            if self.mode not in RESPONSE_MODES:
                self.mode = "query"
                raise InvalidRequestError("response_mode must be query or form_post")
            return self._decide(resumed)
        except OAuth2Error as error:
            self._audit("authorization.refused", outcome="failure", details={"error": error.error})
            return self._deliver({"error": error.error, **({"error_description": error.description} if error.description else {})})

    def _decide(self, resumed: Interaction | None) -> Outcome:
        if not self.data.get("response_type"):
            raise InvalidRequestError("response_type is required")  # authlib would say unsupported_response_type
        requirements, _claims = parse_requirements(self.data, self.client, self.ctx)
        live = sessions.load(self.ctx.session, self.ctx.settings, self.browser.session_cookie, now=self.ctx.clock.now())
        if resumed is not None and (live is None or str(live.account.id) != (resumed.result or {}).get("account_id")):
            live = None  # the session that finished the interaction is gone: start again
        subject = _subject(live) if live else None
        grant = self.server.get_consent_grant(self.request, end_user=subject)
        fresh = resumed is not None and live is not None
        pending = live is not None and terms.pending(self.ctx.session, self.ctx.settings, live.account.id)
        reasons = evaluate(Situation(requirements, live, self.ctx.clock.now(), fresh=fresh, terms_pending=pending))
        reasons = self._settle_acr(reasons, requirements, resumed is not None)
        if reasons:
            if "none" in requirements.prompts:
                raise _prompt_none_error(reasons)
            if resumed is not None:
                # The login did not hold (session ended meanwhile), or a later step remains (terms): same
                # interaction, its remaining reasons; the login pages show the step they call for.
                resumed.result, resumed.reasons = None, reasons
                return GoToLogin(resumed.uid, self.browser.interaction_cookie or "")
            return self._park(reasons, requirements)
        assert subject is not None
        self.request.scope = _allowed_scope(self.client, self.data.get("scope") or "")
        answer = self.server.create_authorization_response(self.request, grant_user=subject, grant=grant)
        return self._deliver_code(answer, subject)

    def _settle_acr(self, reasons: list[str], requirements: LoginRequirements, resumed: bool) -> list[str]:
        """Step-up is offered when a method can reach the level; otherwise, or after a login that did not reach
        it, an essential acr is an error and a voluntary one is let go (OIDC Core §3.1.2.1: acr_values is a wish)."""
        if requirements.acr and requirements.acr_essential and not reachable(requirements.acr):
            raise UnmetAuthenticationRequirements("the requested authentication level cannot be reached here")
        if "acr_not_satisfied" not in reasons:
            return reasons
        if resumed or not reachable(requirements.acr or ""):
            if requirements.acr_essential:
                raise UnmetAuthenticationRequirements("the requested authentication level was not reached")
            return [r for r in reasons if r != "acr_not_satisfied"]
        return reasons

    def _park(self, reasons: list[str], requirements: LoginRequirements) -> GoToLogin:
        row, binding = interactions.begin(
            self.ctx.session,
            self.ctx.settings,
            client_row_id=self.client.row.id,
            params={k: v for k, v in self.data.items()},
            reasons=reasons,
            binding_cookie=self.browser.interaction_cookie,
            now=self.ctx.clock.now(),
        )
        # The login pages ask for a code when the level asked for needs one, even where codes are not required.
        row.state = {"wanted_acr": requirements.acr} if requirements.acr else {}
        return GoToLogin(row.uid, binding)

    def _deliver_code(self, answer: ProtocolResponse, subject: AuthenticatedSubject) -> Outcome:
        location = answer.header("Location") or ""
        params = dict(parse_qsl(urlsplit(location).query))
        if "code" not in params:  # authlib refused at the last step: pass its error on
            return self._deliver({k: v for k, v in params.items() if k in ("error", "error_description")})
        self._audit("authorization.granted", account_id=subject.account.id, details={"acr": subject.acr})
        return self._deliver({"code": params["code"]})

    def _deliver(self, params: dict[str, str]) -> Outcome:
        state = self.data.get("state")
        payload = {**params, **({"state": state} if state else {}), "iss": self.ctx.issuer}
        if self.mode == "form_post":
            return FormPost(self.redirect_uri, payload)
        # RFC 6749 §3.1.2: a query component of the registered URI is kept.
        separator = "&" if urlsplit(self.redirect_uri).query else "?"
        target = self.redirect_uri + separator + urlencode(payload)
        return ProtocolResponse(302, "", [("Location", target), ("Cache-Control", "no-store")])

    def _audit(self, event: str, *, outcome: str = "success", account_id: Any = None, details: dict[str, Any] | None = None) -> None:
        record(self.ctx.session, event, context=self.ctx.audit, outcome=outcome, account_id=account_id,
               client_id=self.client.client_id, details=details)


def _subject(live: sessions.LiveSession) -> AuthenticatedSubject:
    row = live.row
    return AuthenticatedSubject(live.account, row.id, row.sid, row.acr, tuple(row.amr), row.auth_time)


def _allowed_scope(client: OAuthClient, requested: str) -> str:
    """RFC 6749 §3.3: the issued scope may be narrower; unknown or unregistered scopes are left out."""
    return client.get_allowed_scope(" ".join(s for s in requested.split() if s in SCOPES_SUPPORTED))


def _prompt_none_error(reasons: list[str]) -> OAuth2Error:
    # OIDC Core §3.1.2.6: login_required when the End-User must authenticate, interaction_required otherwise.
    if set(reasons) & _SETTLED_BY_LOGIN or "acr_not_satisfied" in reasons:
        error = OAuth2Error("the End-User must authenticate")
        error.error = "login_required"
    else:
        error = OAuth2Error("the End-User must interact with the server")
        error.error = "interaction_required"
    return error
