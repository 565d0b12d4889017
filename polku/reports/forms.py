from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from polku.core.params import DATE_RANGE
from polku.reports.models import ShareLink
from polku.reports.summary import SUMMARY_SECTIONS, section_label

LANGUAGE_CHOICES = [("fi", "suomi"), ("sv", "svenska"), ("en", "English")]


class ShareLinkForm(forms.Form):
    label = forms.CharField(
        label=_("Name of the link"), max_length=120, help_text=_("For whom, e.g. “Board”.")
    )
    sections = forms.MultipleChoiceField(
        label=_("What the link shows"),
        choices=ShareLink.Section.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[ShareLink.Section.GOAL, ShareLink.Section.RESULTS],
    )
    expires_on = forms.DateField(
        validators=DATE_RANGE,
        label=pgettext_lazy("share link", "Valid until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty for a link that works until you revoke it."),
    )


class ReportLanguageForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language of the report"), choices=LANGUAGE_CHOICES, initial="fi"
    )


class SummaryForm(forms.Form):
    intro = forms.CharField(
        label=_("Introduction"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    next_steps = forms.CharField(
        label=_("Next steps"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    hidden_sections = forms.MultipleChoiceField(
        label=_("Leave out of the summary"),
        required=False,
        choices=[],
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hidden_sections"].choices = [
            (key, section_label(key)) for key in SUMMARY_SECTIONS
        ]


class OrganisationDeleteForm(forms.Form):
    confirm_slug = forms.CharField(
        label=_("Type the organisation's short name to confirm"),
        max_length=60,
    )
