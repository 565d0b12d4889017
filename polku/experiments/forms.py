from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from polku.core.params import DATE_RANGE, BoundedModelChoiceField, BoundedModelMultipleChoiceField
from polku.experiments.models import Experiment, MeasureType
from polku.experiments.services import clean_value

TEXTAREA = forms.Textarea(attrs={"rows": 3})


class ExperimentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    unit = BoundedModelChoiceField(label=_("Unit"), queryset=None, required=False)
    topic_title = forms.CharField(
        label=_("Topic it answers"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"list": "topic-options"}),
    )
    builds_on = forms.CharField(
        label=_("What already works that it builds on"), required=False, widget=TEXTAREA
    )
    what_we_try = forms.CharField(label=_("What we try"), required=False, widget=TEXTAREA)
    who = forms.CharField(label=_("Who does it"), required=False, widget=TEXTAREA)
    first_step = forms.CharField(label=_("First step"), required=False, widget=TEXTAREA)
    first_step_on = forms.DateField(
        validators=DATE_RANGE,
        label=_("Date of the first step"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    duration_weeks = forms.IntegerField(
        label=_("Duration (weeks)"), required=False, min_value=1, max_value=104
    )
    support_needed = forms.CharField(label=_("Support needed"), required=False, widget=TEXTAREA)
    contact_email = forms.EmailField(
        label=_("Contact email for check-ins"),
        required=False,
        help_text=_("Reminders with a personal check-in link go to this address."),
    )

    def __init__(self, *args, units, measure_types, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.measure_types = list(measure_types)
        for mt in self.measure_types:
            label = _("Target: %(name)s") % {"name": mt.name}
            if mt.unit_label:
                label = f"{label} ({mt.unit_label})"
            self.fields[f"target_{mt.pk}"] = forms.DecimalField(
                label=label,
                required=False,
                min_value=0,
                max_digits=12,
                decimal_places=2,
                localize=True,
            )

    def targets(self) -> dict[MeasureType, object]:
        return {
            mt: self.cleaned_data[f"target_{mt.pk}"]
            for mt in self.measure_types
            if self.cleaned_data.get(f"target_{mt.pk}") is not None
        }

    def plan(self) -> dict:
        data = dict(self.cleaned_data)
        for key in list(data):
            if key.startswith("target_") or key == "unit":
                data.pop(key)
        return data


class CheckInForm(forms.Form):
    what_we_did = forms.CharField(
        label=_("What did we do?"), required=False, widget=TEXTAREA, max_length=4000
    )
    what_helped = forms.CharField(
        label=_("What helped?"), required=False, widget=TEXTAREA, max_length=4000
    )
    obstacles = forms.CharField(
        label=_("What got in the way?"), required=False, widget=TEXTAREA, max_length=4000
    )
    needs_support = forms.BooleanField(label=_("We need support"), required=False)
    support_request = forms.CharField(
        label=_("What kind of support?"), required=False, widget=TEXTAREA, max_length=2000
    )
    shareable = forms.BooleanField(
        label=_("Other units may read our learnings"), required=False, initial=True
    )

    def __init__(self, *args, measures, **kwargs):
        super().__init__(*args, **kwargs)
        self.measures = list(measures)
        new_fields = {}
        for m in self.measures:
            mt = m.measure_type
            label = mt.name
            if mt.kind == MeasureType.Kind.YES_NO:
                new_fields[f"measure_{m.pk}"] = forms.TypedChoiceField(
                    label=label,
                    required=False,
                    choices=[("", "–"), ("1", _("yes")), ("0", _("no"))],
                )
                continue
            attrs = {"inputmode": "decimal" if mt.kind == "money" else "numeric"}
            help_text = (
                _("Since the last check-in. Target %(target)s %(unit)s in total.")
                if mt.kind in ("count", "money")
                else _("The situation now. Target %(target)s %(unit)s.")
            ) % {"target": f"{m.target.normalize():f}", "unit": mt.unit_label}
            new_fields[f"measure_{m.pk}"] = forms.CharField(
                label=f"{label} ({mt.unit_label})" if mt.unit_label else label,
                required=False,
                max_length=20,
                help_text=help_text,
                widget=forms.TextInput(attrs=attrs),
            )
        # Numbers first: they are what the follow-up workshop reads.
        self.fields = {**new_fields, **self.fields}

    def clean(self):
        cleaned = super().clean()
        for m in self.measures:
            name = f"measure_{m.pk}"
            try:
                clean_value(m.measure_type, cleaned.get(name))
            except ValidationError as exc:
                self.add_error(name, exc)
        return cleaned

    def values(self) -> dict[int, object]:
        return {m.pk: self.cleaned_data.get(f"measure_{m.pk}") for m in self.measures}

    def data_for_service(self) -> dict:
        return {
            k: self.cleaned_data[k]
            for k in (
                "what_we_did",
                "what_helped",
                "obstacles",
                "needs_support",
                "support_request",
                "shareable",
            )
        }


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=Experiment.Decision.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(label=_("Why?"), required=False, widget=TEXTAREA, max_length=4000)
    next_round_first_step_on = forms.DateField(
        validators=DATE_RANGE,
        label=_("Next round: date of the first step"),
        required=False,
        help_text=_("When continuing or adapting, the next round starts with the same targets."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    scale_to_units = BoundedModelMultipleChoiceField(
        label=_("Scale to these units"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scale_to_units"].queryset = units


class AdoptForm(forms.Form):
    unit = BoundedModelChoiceField(label=_("Into which unit?"), queryset=None)
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    first_step_on = forms.DateField(
        validators=DATE_RANGE,
        label=_("Date of the first step"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    contact_email = forms.EmailField(label=_("Contact email for check-ins"), required=False)

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units


class MeasureTypeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=MeasureType.Kind.choices)
    unit_label = forms.CharField(
        label=_("Unit"),
        max_length=30,
        required=False,
        help_text=_("For example: young people, €, events."),
    )


class ReportForm(forms.Form):
    summary = forms.CharField(
        label=_("What came of it?"), required=False, widget=TEXTAREA, max_length=4000
    )


class MemberForm(forms.Form):
    nickname = forms.CharField(label=_("Nickname"), max_length=80)
    email = forms.EmailField(
        label=_("Email (optional)"),
        required=False,
        help_text=_("Only with the person's consent: for the team's check-in reminders."),
    )
    consent = forms.BooleanField(
        label=_("The person agreed that the email is saved"), required=False
    )

    def clean(self):
        data = super().clean()
        if data.get("email") and not data.get("consent"):
            self.add_error(
                "consent", _("An email address can be saved only with the person's consent.")
            )
        return data
