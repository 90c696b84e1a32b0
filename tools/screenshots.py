"""Screenshots of the main screens in both languages at desktop and phone width, for a human
to look at (`uv run python tools/screenshots.py --base http://127.0.0.1:8000 --out screenshots`).
Logs in as the demo users; needs a running `make run`."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
SIZES = {"desktop": (1440, 900), "phone": (390, 844)}


def login(page: Page, base: str, email: str, portal: bool) -> None:
    page.goto(f"{base}/portal/login/" if portal else f"{base}/accounts/login/")
    prefix = "password-" if portal else ""
    page.fill(f"input[name='{prefix}email']", email)
    page.fill(f"input[name='{prefix}password']", "demo")
    page.locator(f"form:has(input[name='{prefix}password']) button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")


def set_language(page: Page, base: str, language: str) -> None:
    page.goto(f"{base}/accounts/profile/")
    page.select_option("select[name=language]", language)
    page.locator("form:has(select[name=language]) button[type=submit]").click()
    page.wait_for_load_state("networkidle")


ASSIGN = """
from accounts.models import User
from tickets.models import Ticket
from tickets.services import ticket_assign
viewer = User.objects.get(email={email!r})
colleague = User.objects.filter(role="agent", is_active=True).exclude(pk=viewer.pk).first()
ticket = Ticket.objects.exclude(assignee=viewer).filter(status_category__in=["new", "open"]).order_by("-id").first()
ticket_assign(ticket=ticket, actor=colleague, assignee=viewer)
"""


def assign_a_ticket_to(email: str) -> None:
    """Through the services, in the database the server uses (same environment)."""
    code = ASSIGN.format(email=email)
    # The code is ours (a demo login from this file), not outside input.
    subprocess.run([sys.executable, "manage.py", "shell", "-c", code], check=True, capture_output=True)  # noqa: S603


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--out", default="screenshots")
    parser.add_argument("--only", default="", help="regex on screen names")
    parser.add_argument("--full-page", action="store_true", help="the whole page, not the first screen")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    agent_screens = [
        ("queue", "/tickets/?view=all_open"),
        ("ticket", None),
        ("new_ticket", "/tickets/new/"),
        ("search", "/tickets/search/?q=лифты"),
        ("companies", "/customers/companies/"),
        ("company", "first:/customers/companies/"),
        ("equipment", "/equipment/?q=Лифт"),
        ("unit", "first:/equipment/?q=Сплит"),
        ("intake_unit", "intake:/equipment/?q=Сплит"),
        ("contracts", "/contracts/"),
        ("contract", "first:/contracts/"),
        ("price_lists", "/contracts/price-lists/"),
        ("imports", "/imports/"),
        ("sla_policies", "/sla/policies/"),
        ("sla_policy", "first:/sla/policies/"),
        ("sla_calendar", "first:/sla/calendars/"),
        ("sla_report", "/sla/report/"),
        ("queue_sla", "/tickets/?view=all_open&sort=sla"),
        ("settings", "/tickets/settings/statuses/"),
        ("email_ticket", "first:/tickets/?view=all_open&channel=email"),
        ("mailboxes", "/channels/mailboxes/"),
        ("mailbox", "first-mailbox:/channels/mailboxes/"),
        ("failed_inbound", "/channels/inbound/failed/"),
        ("notice_templates", "/notifications/notices/"),
        ("notice_template", "first-row:/notifications/notices/"),
        ("busy_replies", "/notifications/notices/busy/"),
        ("busy_reply", "first-row:/notifications/notices/busy/"),
        ("company_notices", "company-notices:/customers/companies/"),
        ("whatsapp_numbers", "/channels/whatsapp/"),
        ("whatsapp_number", "first-whatsapp:/channels/whatsapp/"),
        ("whatsapp_ticket", "first:/tickets/?view=all_open&channel=whatsapp"),
        ("profile_notifications", "/accounts/profile/#notifications"),
        ("live_alert", "alert:/tickets/?view=all_open"),
        ("assignment_teams", "/automation/assignment/"),
        ("assignment_team", "link:/automation/assignment/ a[href*='/assignment/teams/']"),
        ("schedules", "/automation/assignment/agents/"),
        ("schedule", "link:/automation/assignment/agents/ table.list a[href*='/assignment/agents/']"),
        ("incidents", "/automation/incidents/"),
        ("incident_ticket", "link:/automation/incidents/ .incident-tickets a"),
        ("rules", "/automation/rules/"),
        ("rule", "first:/automation/rules/"),
        ("rule_try", "try:/automation/rules/"),
        ("rule_history", "rule-history:/tickets/?view=all_open&q="),
    ]
    portal_screens = [("portal_list", "/portal/"), ("portal_new", "/portal/new/"), ("portal_ticket", None)]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for language in ("ru", "en"):
            for size_name, (w, h) in SIZES.items():
                for who, screens, portal in (
                    ("admin@demo.local", agent_screens, False),
                    ("client@demo.local", portal_screens, True),
                ):
                    ctx = browser.new_context(viewport={"width": w, "height": h})
                    page = ctx.new_page()
                    login(page, args.base, who, portal)
                    set_language(page, args.base, language)
                    for name, path in screens:
                        if args.only and not re.search(args.only, name):
                            continue
                        if path and path.startswith("first-mailbox:"):
                            page.goto(args.base + path.partition(":")[2])
                            path = page.locator("a[href*='/channels/mailboxes/']").last.get_attribute("href") or "/"
                        if path and path.startswith("first-row:"):
                            # The first link in a settings table.
                            page.goto(args.base + path.partition(":")[2])
                            path = page.locator("table.list tbody a").first.get_attribute("href") or "/"
                        if path and path.startswith("company-notices:"):
                            page.goto(args.base + path.partition(":")[2])
                            company_href = page.locator("a.ticket-title").first.get_attribute("href") or "/"
                            company = company_href.strip("/").split("/")[-1]
                            path = f"/notifications/notices/company/{company}/"
                        if path and path.startswith("first-whatsapp:"):
                            # The first WhatsApp number's settings, or the empty form without one.
                            page.goto(args.base + path.partition(":")[2])
                            links = page.locator("table.list a[href*='/channels/whatsapp/']")
                            path = (
                                links.first.get_attribute("href") if links.count() else None
                            ) or "/channels/whatsapp/new/"
                        if path and path.startswith("link:"):
                            # "link:<list path> <css selector>": the first link the selector finds there.
                            list_path, _sep, selector = path.partition(":")[2].partition(" ")
                            page.goto(args.base + list_path)
                            path = page.locator(selector).first.get_attribute("href") or "/"
                        if path and path.startswith("try:"):
                            # The first rule's editor after "try it" (a POST: click the button).
                            page.goto(args.base + path.partition(":")[2])
                            page.goto(args.base + (page.locator("a.ticket-title").first.get_attribute("href") or "/"))
                            page.locator("button[name=try]").click()
                            page.wait_for_load_state("networkidle")
                            page.locator("#rule-trial").scroll_into_view_if_needed()
                            target = out / f"{name}-{language}-{size_name}.png"
                            page.screenshot(path=str(target), full_page=args.full_page)
                            print(target)
                            continue
                        if path and path.startswith("rule-history:"):
                            # A ticket a rule fired on, scrolled to its history.
                            page.goto(args.base + "/tickets/search/?q=затопило")
                            href = page.locator("a[href*='/tickets/']").filter(has_text="#").first.get_attribute("href")
                            page.goto(args.base + (href or "/"))
                            page.wait_for_load_state("networkidle")
                            page.locator(".history").first.scroll_into_view_if_needed()
                            target = out / f"{name}-{language}-{size_name}.png"
                            page.screenshot(path=str(target), full_page=args.full_page)
                            print(target)
                            continue
                        if path and path.startswith(("first:", "intake:")):
                            # The first entry of a list page (its first a.ticket-title link).
                            kind, _sep, list_path = path.partition(":")
                            page.goto(args.base + list_path)
                            href = page.locator("a.ticket-title").first.get_attribute("href") or "/"
                            path = href
                            if kind == "intake":
                                path = "/tickets/new/?equipment=" + href.strip("/").split("/")[-1]
                        if path and path.startswith("alert:"):
                            # A colleague assigns the viewer a ticket while the page is open: the
                            # alert pops up with the next poll.
                            page.goto(args.base + path.partition(":")[2])
                            page.wait_for_load_state("networkidle")
                            assign_a_ticket_to(who)
                            page.locator(".toast").last.wait_for(timeout=8000)
                            page.wait_for_timeout(400)
                            target = out / f"{name}-{language}-{size_name}.png"
                            page.screenshot(path=str(target), full_page=args.full_page)
                            print(target)
                            continue
                        if path is None:
                            page.goto(args.base + ("/portal/" if portal else "/tickets/?view=all_open"))
                            link = page.locator("a[href*='/tickets/']").filter(has_text="#").first
                            path = link.get_attribute("href") or "/"
                        page.goto(args.base + path)
                        page.wait_for_load_state("networkidle")
                        target = out / f"{name}-{language}-{size_name}.png"
                        page.screenshot(path=str(target), full_page=args.full_page)
                        print(target)
                    set_language(page, args.base, "ru")
                    ctx.close()
        browser.close()


if __name__ == "__main__":
    main()
