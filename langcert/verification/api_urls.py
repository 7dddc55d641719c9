"""The machine API at /api/v1/: the OAuth2 token endpoint (client-credentials grant), the
django-ninja API (OpenAPI document at /api/v1/openapi.json, docs at /api/v1/docs) and a
JSON 404 for any other path.

API answers are in English unless the client asks for French with Accept-Language (the
site's default language is French, which a machine client did not choose).
"""

from functools import wraps

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path, re_path
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.views import TokenView

from langcert.core import ratelimit
from langcert.core.audit import client_ip
from langcert.verification.api import api, method_not_allowed_view, not_found_view
from langcert.verification.api_clients import OrganisationOAuth2Validator

TOKEN_REQUESTS_PER_MINUTE = 60


def api_language(request: HttpRequest) -> str:
    accepted = request.headers.get("Accept-Language", "")
    return "fr" if accepted.strip().lower().startswith("fr") else "en"


def in_api_language(view):
    """The view answers in the API's language; ninja's bare 405 gets the error shape."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        language = api_language(request)
        with translation.override(language):
            response = view(request, *args, **kwargs)
            if response.status_code == 405 and not response.get("Content-Type", "").startswith(
                    "application/json"):
                allowed = response.get("Allow", "")
                response = method_not_allowed_view(request)
                response["Allow"] = allowed
        response.headers.setdefault("Content-Language", language)
        return response

    return wrapped


class ApiTokenView(TokenView):
    """DOT's token endpoint with our validator (revoked or expired credentials and
    organisations without approved API access get no token), limited per address: each
    attempt checks a hashed secret, which is slow on purpose."""

    validator_class = OrganisationOAuth2Validator

    @classmethod
    def get_oauthlib_core(cls):
        # DOT caches the core on the class; keep ours apart from TokenView's.
        if "_oauthlib_core" not in cls.__dict__:
            cls._oauthlib_core = cls.get_oauthlib_backend_class()(cls.get_server())
        return cls._oauthlib_core

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        count = ratelimit.count_attempt("api-token", client_ip(request) or "", 60)
        if count > TOKEN_REQUESTS_PER_MINUTE:
            response = JsonResponse({"error": "slow_down",
                                     "error_description": "Too many token requests."},
                                    status=429)
            response["Retry-After"] = "60"
            return response
        return super().post(request, *args, **kwargs)


_patterns, _app, _namespace = api.urls
for _pattern in _patterns:
    _pattern.callback = in_api_language(_pattern.callback)

urlpatterns = [
    path("oauth/token/", csrf_exempt(ApiTokenView.as_view()), name="api_token"),
    path("", (_patterns, _app, _namespace)),
    re_path(r"^.*$", in_api_language(not_found_view), name="api_not_found"),
]
