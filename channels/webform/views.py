"""The public web form (/request/), its tracking page (/request/<token>/) and the widget script
(/widget.js). No login. See docs/architecture/webform-telephony.md, "Web form and widget".

The form's embed layout (?embed=1) is the only page another site may frame (CSP frame-ancestors
from OTKLIK_WEBFORM_FRAME_ANCESTORS); every other page keeps X-Frame-Options: DENY. Inside a
third-party frame browsers withhold our cookies, so the embed layout cannot use Django's cookie
CSRF check: it relies on the form's signed, short-lived submission token instead (the form has no
session to ride on). The hosted layout is CSRF-protected as usual."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET

from channels.webform.forms import TrackReplyForm, WebRequestForm
from channels.webform.services import (
    TooManyRequests,
    WebSubmission,
    track_inbound,
    track_token,
    webform_reply,
    webform_reply_throttle,
    webform_submit,
    webform_throttle,
)
from core.forms import form_add_service_errors
from core.http import client_ip
from intake.models import InboundMessage
from intake.services import inbound_process
from portal.forms import uploaded_files
from tickets.choices import ArticleKind, StatusCategory
from tickets.models import Article


def _layout(request: HttpRequest) -> dict[str, object]:
    """embed (the widget's frame) and lang (the page's or the browser's, ru/en) from the query."""
    embed = request.GET.get("embed") == "1"
    lang = request.GET.get("lang", "")[:2].lower()
    if lang in ("ru", "en"):
        translation.activate(lang)
        request.LANGUAGE_CODE = lang
    query = {k: v for k, v in (("embed", "1" if embed else ""), ("lang", lang if lang in ("ru", "en") else "")) if v}
    return {"embed": embed, "query": ("?" + urlencode(query)) if query else ""}


def _frameable(response: HttpResponse, *, embed: bool) -> HttpResponse:
    if embed:
        ancestors = " ".join(settings.OTKLIK_WEBFORM_FRAME_ANCESTORS) or "'none'"
        response["Content-Security-Policy"] = f"frame-ancestors {ancestors}"
        response.xframe_options_exempt = True  # type: ignore[attr-defined]
    return response


@csrf_exempt
def request_form(request: HttpRequest) -> HttpResponse:
    layout = _layout(request)
    view = _request_form if layout["embed"] else csrf_protect(_request_form)
    return _frameable(view(request, layout), embed=bool(layout["embed"]))


def _request_form(request: HttpRequest, layout: dict[str, object]) -> HttpResponse:
    form = WebRequestForm(request.POST.copy() if request.method == "POST" else None, request.FILES or None)
    if request.method != "POST":
        if request.GET.get("category", "").isdecimal():
            form.initial["category"] = int(request.GET["category"])
        return render(request, "channels/webform/form.html", {"form": form, **layout})
    try:
        webform_throttle(
            ip=client_ip(request), email=request.POST.get("email", ""), phone=request.POST.get("phone", "")
        )
    except TooManyRequests:
        response = render(request, "channels/webform/limited.html", layout, status=429)
        response["Retry-After"] = "3600"
        return response
    if not form.is_valid():
        return render(request, "channels/webform/form.html", {"form": form, **layout}, status=400)
    data = form.cleaned_data
    if data.get("website"):
        # The honeypot was filled: answer like a success, store nothing.
        return render(request, "channels/webform/received.html", {"inbound": None, **layout})
    category = data.get("category")
    inbound = webform_submit(
        submission=WebSubmission(
            submission_id=data["submission"],
            name=data["name"],
            email=data["email"],
            phone=data["phone"],
            message=data["message"],
            category_id=category.pk if category else None,
            site=data["site"],
            language=translation.get_language()[:2],
        ),
        files=data["attachments"],
    )
    # Processed here so that the client sees the number; the queued task finds it done (or retries
    # it, when processing failed: the submission is stored either way).
    inbound_process(inbound_id=inbound.pk)
    return redirect(reverse("webform:track", kwargs={"token": track_token(inbound)}) + str(layout["query"]))


@csrf_exempt
def request_track(request: HttpRequest, token: str) -> HttpResponse:
    """What became of a submission: its ticket's number, status and public conversation, and a
    reply form while the ticket is open. The token is the only key (see track_token)."""
    layout = _layout(request)
    inbound = track_inbound(token)
    if inbound is None:
        raise Http404
    view = _request_track if layout["embed"] else csrf_protect(_request_track)
    return _frameable(view(request, layout, token, inbound), embed=bool(layout["embed"]))


def _request_track(
    request: HttpRequest, layout: dict[str, object], token: str, inbound: InboundMessage
) -> HttpResponse:
    # A merged request is not followed into the one it was merged into: that may be another
    # person's (the form trusts a typed address), and this link must show nothing of theirs.
    ticket = inbound.ticket
    merged = ticket is not None and ticket.merged_into_id is not None
    form = TrackReplyForm(request.POST or None, request.FILES or None)
    status = 200
    can_reply = ticket is not None and not merged and ticket.status_category != StatusCategory.CLOSED
    if request.method == "POST" and ticket is not None and can_reply:
        try:
            webform_reply_throttle(ticket_id=ticket.pk)
        except TooManyRequests:
            response = render(request, "channels/webform/limited.html", layout, status=429)
            response["Retry-After"] = "3600"
            return response
        if form.is_valid():
            try:
                webform_reply(
                    ticket=ticket,
                    body=form.cleaned_data["body"],
                    attachments=uploaded_files(form.cleaned_data["attachments"]),
                )
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                url = reverse("webform:track", kwargs={"token": token}) + str(layout["query"])
                return redirect(url)
        status = 400
    articles = (
        Article.objects.filter(ticket=ticket, kind=ArticleKind.PUBLIC)
        .select_related("author_user", "author_contact")
        .prefetch_related("attachments")
        .order_by("id")
        if ticket is not None
        else Article.objects.none()
    )
    # In the widget's frame the visitor sees no address bar: the page spells its link out, to
    # open in a tab of its own (without the frame's layout).
    lang = request.GET.get("lang", "")[:2].lower()
    track_url = request.build_absolute_uri(
        reverse("webform:track", kwargs={"token": token}) + (f"?lang={lang}" if lang in ("ru", "en") else "")
    )
    context = {
        "track_url": track_url,
        "inbound": inbound,
        "ticket": ticket,
        "articles": articles,
        "form": form,
        "can_reply": can_reply,
        "merged": merged,
    }
    return render(request, "channels/webform/track.html", {**context, **layout}, status=status)


@lru_cache(maxsize=1)
def _widget_source() -> bytes:
    path = finders.find("js/widget.js")
    if not path:
        raise Http404
    return Path(str(path)).read_bytes()


@require_GET
def widget_js(request: HttpRequest) -> HttpResponse:
    """The embeddable widget: <script src="https://<install>/widget.js" data-lang="ru" async>."""
    response = HttpResponse(_widget_source(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=3600"
    response["Access-Control-Allow-Origin"] = "*"
    return response
