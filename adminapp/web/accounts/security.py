"""Dashboard pages for your own account's security: the profile (name), two-factor sign-in
(set up with a QR code, recovery codes shown once, turn off), your browser sessions (sign one
out, or everywhere else), and sign-in's second step (the code after the password). Each view
calls the embedded SDK client; the API behind it enforces every rule."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import rotate_token
from django.shortcuts import render as render_template
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from adminapp.client import AuthenticationError, NotFoundError
from adminapp.web import render
from adminapp.web.client import sdk
from adminapp.web.flow import FORM_ERRORS, in_words, submit

SECURITY = "web/accounts/security.html"
SETUP = "web/accounts/two_factor_setup.html"
CODES = "web/accounts/recovery_codes.html"
LOGIN_CODE = "web/accounts/login_two_factor.html"
CHALLENGE_KEY = "adminapp_mfa_challenge"  # the sign-in waiting for its second step
NEXT_KEY = "adminapp_mfa_next"


# --- forms ----------------------------------------------------------------------------------
class ProfileForm(forms.Form):
    name = forms.CharField(required=False, max_length=150, label="Name")

    def sdk_arguments(self) -> dict:
        return {"name": self.cleaned_data.get("name", "")}


def _code_widget() -> forms.TextInput:
    return forms.TextInput(
        attrs={"autocomplete": "one-time-code", "inputmode": "text", "spellcheck": "false"}
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        required=False,
        max_length=64,
        label="Code",
        help_text="The 6-digit code from your authenticator app, or a recovery code.",
        widget=_code_widget(),
    )

    def sdk_arguments(self) -> dict:
        return {"code": self.cleaned_data.get("code", "")}


class TotpForm(CodeForm):
    code = forms.CharField(
        required=False,
        max_length=64,
        label="Code from the app",
        help_text="The 6-digit code your authenticator app shows now.",
        widget=_code_widget(),
    )


class DisableForm(forms.Form):
    code = forms.CharField(
        required=False,
        max_length=64,
        label="A current code or a recovery code",
        widget=_code_widget(),
    )
    password = forms.CharField(
        required=False,
        max_length=1024,
        label="…or your password",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def sdk_arguments(self) -> dict:
        data = self.cleaned_data
        return {"code": data.get("code", ""), "password": data.get("password", "")}


# --- sign-in's second step ------------------------------------------------------------------
def begin_second_step(request: HttpRequest, challenge: str, next_url: str) -> HttpResponse:
    """The password was right and two-factor is on: ask for the code next."""
    request.session[CHALLENGE_KEY] = challenge
    request.session[NEXT_KEY] = next_url
    return render.redirect(request, reverse("web:login_two_factor"))


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def login_two_factor(request: HttpRequest) -> HttpResponse:
    challenge = request.session.get(CHALLENGE_KEY)
    if not challenge:
        return render.redirect(request, reverse("web:login"))
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        try:
            signed_in = submit(
                form,
                lambda code: sdk(request).auth.login_two_factor(challenge=challenge, code=code),
            )
        except AuthenticationError as exc:
            if exc.code == "mfa_challenge_invalid":
                request.session.pop(CHALLENGE_KEY, None)
                messages.error(request, exc.message)
                return render.redirect(request, reverse("web:login"))
            form.add_error("code", exc.message)
            status = 401
        else:
            if signed_in.ok:
                next_url = request.session.pop(NEXT_KEY, "") or ""
                request.session.pop(CHALLENGE_KEY, None)
                rotate_token(request)
                if not url_has_allowed_host_and_scheme(
                    next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
                ):
                    next_url = ""
                return render.redirect(request, next_url or reverse("web:overview"))
            status = signed_in.status
    return render_template(request, LOGIN_CODE, {"form": form}, status=status)


# --- the Security page ----------------------------------------------------------------------
def _security(request: HttpRequest, status: int = 200, **forms_) -> HttpResponse:
    client = sdk(request)
    me = client.me.get()
    two_factor = client.me.two_factor()
    context = {
        "profile_form": forms_.get("profile_form") or ProfileForm(initial={"name": me.user.name}),
        "disable_form": forms_.get("disable_form") or DisableForm(),
        "regenerate_form": forms_.get("regenerate_form") or TotpForm(),
        "two_factor": two_factor,
        "sessions": client.me.sessions(),
        "email": me.user.email,
    }
    return render.page(request, SECURITY, context, status=status)


@require_http_methods(["GET", "POST"])
@render.dashboard_view
def security(request: HttpRequest) -> HttpResponse:
    """The page; a POST saves the profile's name."""
    if request.method == "POST":
        form = ProfileForm(request.POST)
        saved = submit(form, sdk(request).me.update_profile)
        if saved.ok:
            messages.success(request, "Your profile was saved.")
            return render.redirect(request, reverse("web:security"))
        return _security(request, saved.status, profile_form=form)
    return _security(request)


@require_POST
@render.dashboard_view
def two_factor_start(request: HttpRequest) -> HttpResponse:
    try:
        sdk(request).me.two_factor_setup()
    except FORM_ERRORS as exc:
        messages.error(request, in_words(exc))
        return render.redirect(request, reverse("web:security"))
    return render.redirect(request, reverse("web:two_factor_setup"))


@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
@render.dashboard_view
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    client = sdk(request)
    form = TotpForm(request.POST or None)
    status = 200
    if request.method == "POST":
        confirmed = submit(form, client.me.two_factor_confirm)
        if confirmed.ok:
            messages.success(request, "Two-factor sign-in is on.")
            context = {"codes": confirmed.result, "first": True}
            return render.no_store(render.page(request, CODES, context))
        status = confirmed.status
    try:
        pending = client.me.two_factor_pending()
    except NotFoundError:
        return render.redirect(request, reverse("web:security"))
    context = {"form": form, "setup": pending}
    return render.no_store(render.page(request, SETUP, context, status=status))


@sensitive_post_parameters("code", "password")
@require_POST
@render.dashboard_view
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    form = DisableForm(request.POST)
    disable = sdk(request).me.two_factor_disable
    done = submit(form, lambda **arguments: disable(**arguments) or True)  # answers nothing
    if done.ok:
        messages.success(request, "Two-factor sign-in is off.")
        return render.redirect(request, reverse("web:security"))
    return _security(request, done.status, disable_form=form)


@sensitive_post_parameters("code")
@require_POST
@render.dashboard_view
def recovery_codes(request: HttpRequest) -> HttpResponse:
    form = TotpForm(request.POST)
    made = submit(form, sdk(request).me.regenerate_recovery_codes)
    if made.ok:
        messages.success(request, "New recovery codes made; the old ones no longer work.")
        return render.no_store(render.page(request, CODES, {"codes": made.result}))
    return _security(request, made.status, regenerate_form=form)


@require_POST
@render.dashboard_view
def session_end(request: HttpRequest, session_id: str) -> HttpResponse:
    try:
        sdk(request).me.end_session(session_id)
    except (NotFoundError, *FORM_ERRORS) as exc:
        messages.error(request, in_words(exc))
    else:
        messages.success(request, "That session is signed out.")
    return render.redirect(request, reverse("web:security"))


@require_POST
@render.dashboard_view
def sessions_end_others(request: HttpRequest) -> HttpResponse:
    ended = sdk(request).me.end_other_sessions()
    noun = "session" if ended == 1 else "sessions"
    messages.success(request, f"Signed out everywhere else ({ended} {noun}).")
    return render.redirect(request, reverse("web:security"))
