import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from polku.core.params import DATE_RANGE, DATETIME_RANGE, BoundedModelMultipleChoiceField
from polku.organisations.models import Organisation, Unit
from polku.paths.path_templates import TEMPLATES
from polku.workshops.models import WorkshopDay


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class UnitsField(BoundedModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple


class PathCreateForm(forms.Form):
    template = forms.ChoiceField(
        label=_("Template"),
        choices=[(t.key, t.name) for t in TEMPLATES.values()],
        widget=forms.RadioSelect,
        initial="half_year",
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    goal = forms.CharField(
        label=_("Goal"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What should be different when the path ends?"),
    )
    starts_on = forms.DateField(
        label=_("First workshop day"), widget=DateInput(), validators=DATE_RANGE
    )
    units = UnitsField(label=_("Participating units"), queryset=Unit.objects.none(), required=False)

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["units"].queryset = organisation.units.order_by("name")
        self.fields["starts_on"].initial = dt.date.today() + dt.timedelta(days=14)


class PathEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    goal = forms.CharField(
        label=_("Goal"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    starts_on = forms.DateField(label=_("Starts on"), widget=DateInput(), validators=DATE_RANGE)
    ends_on = forms.DateField(label=_("Ends on"), widget=DateInput(), validators=DATE_RANGE)
    followup_until = forms.DateField(
        label=_("Check-ins until"), widget=DateInput(), required=False, validators=DATE_RANGE
    )
    checkin_interval_days = forms.IntegerField(
        label=_("Check-in interval (days)"), min_value=1, max_value=365
    )
    units = UnitsField(label=_("Participating units"), queryset=Unit.objects.none(), required=False)

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["units"].queryset = organisation.units.order_by("name")

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("The path cannot end before it starts."))
        return data


class WorkshopDayForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    starts_at = forms.DateTimeField(
        label=_("Starts"), widget=DateTimeInput(), validators=DATETIME_RANGE
    )
    ends_at = forms.DateTimeField(
        label=_("Ends"), widget=DateTimeInput(), validators=DATETIME_RANGE
    )
    mode = forms.ChoiceField(label=_("Mode"), choices=WorkshopDay.Mode.choices)
    place = forms.CharField(label=_("Place"), max_length=300, required=False)
    video_link = forms.URLField(label=_("Video link"), required=False, assume_scheme="https")

    def clean(self):
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", _("The workshop day must end after it starts."))
        mode = data.get("mode")
        if mode in (WorkshopDay.Mode.REMOTE, WorkshopDay.Mode.HYBRID) and not data.get(
            "video_link"
        ):
            self.add_error("video_link", _("A remote or hybrid workshop needs a video link."))
        if mode in (WorkshopDay.Mode.IN_PERSON, WorkshopDay.Mode.HYBRID) and not data.get("place"):
            self.add_error("place", _("An in-person or hybrid workshop needs a place."))
        return data


class AgendaSlotForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    activity_type = forms.ChoiceField(label=_("Activity"), required=False)
    duration_minutes = forms.IntegerField(
        label=_("Duration (min)"), min_value=1, max_value=600, initial=30
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from polku.workshops.activity_types import activity_type_choices

        self.fields["activity_type"].choices = [
            ("", _("— no live activity —")),
            *activity_type_choices(),
        ]
