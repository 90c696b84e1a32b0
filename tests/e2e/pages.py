"""What every browser journey does on the way in."""

from typing import Any


def log_in(page: Any, url: str, email: str, password: str, prefix: str = "") -> None:
    """Sign in on the login page at `url` (the staff's or the portal's; `prefix`: the form's field
    prefix, "password-" on the portal's) and wait for the page it leads to."""
    page.goto(url)
    page.fill(f"input[name='{prefix}email']", email)
    page.fill(f"input[name='{prefix}password']", password)
    page.locator(f"form:has(input[name='{prefix}password']) button[type=submit]").click()
    page.wait_for_load_state("networkidle")
