from typing import Any

from rest_framework import renderers


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """DRF's browsable API without its filter form, which needs a `queryset` on the view: ours
    ask a selector per request instead, and their filters are listed at /api/docs/."""

    def get_filter_form(self, data: Any, view: Any, request: Any) -> None:
        return None
