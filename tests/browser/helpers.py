"""What browser tests do on a page: sign in, wait for htmx to settle."""

from __future__ import annotations


def sign_in(page, email: str, password: str) -> None:
    page.goto("/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")


def wait_htmx_idle(page) -> None:
    """No htmx request in flight and no swap still settling. A toast can show before htmx
    has swapped and settled the element it answered for; act on the page only after this."""
    # A function, not an expression: Playwright evaluates a bare expression with eval(),
    # which the page's Content-Security-Policy refuses.
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
    )
