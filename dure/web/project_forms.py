"""Forms of the manager's pages: project settings, members and item uploads."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from dure.projects.models import ProjectRole, ProjectVisibility

#: an item file larger than this is refused before it is read (the API takes bigger bodies)
MAX_ITEM_FILE_BYTES = 50 * 1024 * 1024


class ProjectForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("Description"), max_length=20_000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    guideline = forms.CharField(
        label=_("Guideline (Markdown)"),
        max_length=500_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
    )
    price_per_item = forms.IntegerField(label=_("Price per item (KRW)"), min_value=0, max_value=100_000_000)
    review_price = forms.IntegerField(label=_("Review price (KRW)"), min_value=0, max_value=100_000_000)
    overlap = forms.IntegerField(
        label=_("Overlap"),
        min_value=1,
        max_value=20,
        help_text=_("How many different people answer each item."),
    )
    max_rework_rounds = forms.IntegerField(
        label=_("Rework rounds"),
        min_value=0,
        max_value=20,
        help_text=_("Rejections after which the item goes to someone else."),
    )
    lease_minutes = forms.IntegerField(
        label=_("Time per item (minutes)"),
        min_value=1,
        max_value=7 * 24 * 60,
        help_text=_("An item not submitted in this time goes back to the queue."),
    )
    rework_hours = forms.IntegerField(
        label=_("Time for rework (hours)"),
        required=False,
        min_value=1,
        max_value=30 * 24,
        help_text=_("A rejected item waits this long for its worker's fix, then goes to someone else."),
    )
    second_review_percent = forms.IntegerField(
        label=_("2nd review sample (%)"),
        min_value=0,
        max_value=100,
        required=False,
        help_text=_(
            "This share of approved answers is reviewed again by a different reviewer before it is final."
        ),
    )
    second_review_new_reviewer_decisions = forms.IntegerField(
        label=_("2nd review for new reviewers"),
        min_value=0,
        max_value=1_000_000,
        required=False,
        help_text=_(
            "Every approval by a reviewer with fewer decisions than this is reviewed again (0: off)."
        ),
    )
    visibility = forms.ChoiceField(
        label=_("Who may find it"),
        required=False,
        choices=ProjectVisibility.choices,
        initial=ProjectVisibility.PRIVATE,
        help_text=_("Open projects are recommended to every eligible worker, who may join them."),
    )
    language = forms.ChoiceField(
        label=_("Language of the data"),
        required=False,
        choices=[
            ("", _("Any")),
            ("ko", _("Korean")),
            ("en", _("English")),
            ("ja", _("Japanese")),
            ("zh", _("Chinese")),
        ],
    )

    def __init__(
        self, *args: object, organizations: list[tuple[int, str]] | None = None, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if organizations and len(organizations) > 1:
            self.fields["organization"] = forms.TypedChoiceField(
                label=_("Organization"), choices=organizations, coerce=int
            )

    def project_fields(self) -> dict[str, object]:
        data = self.cleaned_data
        return {
            "description": data["description"],
            "guideline": data["guideline"],
            "price_per_item": data["price_per_item"],
            "review_price": data["review_price"],
            "overlap": data["overlap"],
            "max_rework_rounds": data["max_rework_rounds"],
            "lease_seconds": data["lease_minutes"] * 60,
            "second_review_rate": (data.get("second_review_percent") or 0) / 100,
            "second_review_new_reviewer_decisions": data.get("second_review_new_reviewer_decisions") or 0,
            "visibility": data.get("visibility") or ProjectVisibility.PRIVATE,
            "language": data.get("language") or "",
        } | ({"rework_hours": data["rework_hours"]} if data.get("rework_hours") else {})


class MemberForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=ProjectRole.choices, initial=ProjectRole.WORKER)


class ItemUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Items file"),
        help_text=_("A JSON array, JSON Lines (.jsonl) or CSV with a header row."),
    )
