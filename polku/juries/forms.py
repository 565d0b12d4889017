from django import forms
from django.utils.translation import gettext_lazy as _

from polku.core.params import DATE_RANGE, BoundedModelChoiceField, BoundedModelMultipleChoiceField
from polku.juries.models import Draw, Jury, Response, Vote
from polku.organisations.models import Unit
from polku.paths.forms import DateInput
from polku.workshops.models import WorkshopDay


class JuryForm(forms.Form):
    question = forms.CharField(
        label=_("Question"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One question the jury answers, e.g. How should our reception work?"),
    )
    commissioner = forms.CharField(
        label=_("Commissioner"),
        max_length=200,
        help_text=_("Who owns the question and answers the recommendations (name and role)."),
    )
    commitment = forms.CharField(
        label=_("Commissioner's commitment"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example: I answer each recommendation in writing within 4 weeks."),
    )
    response_days = forms.IntegerField(
        label=_("Response time (days)"), min_value=1, max_value=365, initial=28
    )
    steering_group = forms.CharField(
        label=_("Steering group"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One member per line. The steering group guards impartiality."),
    )
    panel_size = forms.IntegerField(label=_("Panel size"), min_value=2, max_value=200, initial=12)
    max_per_team = forms.IntegerField(
        label=_("At most per team"),
        min_value=1,
        max_value=200,
        required=False,
        help_text=_("Leave empty for no limit. Needs a team column in the pool file."),
    )
    tally_visibility = forms.ChoiceField(
        label=_("Jurors see how the others voted"),
        choices=Jury.TallyVisibility.choices,
        initial=Jury.TallyVisibility.AFTER_VOTE,
        widget=forms.RadioSelect,
        required=False,
        help_text=_("Nobody sees the tally before giving their own view."),
    )
    sessions = BoundedModelMultipleChoiceField(
        label=_("Sessions (workshop days of the path)"),
        queryset=WorkshopDay.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, path, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sessions"].queryset = path.workshop_days.all()

    def clean_tally_visibility(self) -> str:
        return self.cleaned_data.get("tally_visibility") or Jury.TallyVisibility.AFTER_VOTE


class PoolImportForm(forms.Form):
    file = forms.FileField(
        label=_("Pool file (CSV or XLSX)"),
        help_text=_(
            "Columns: id, name, email, then one column per attribute (e.g. unit, role, shift, "
            "age band); optional team. Only people who volunteered."
        ),
    )


class AttributeValuesForm(forms.Form):
    text = forms.CharField(
        label=_("Allowed values"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "One attribute per line, e.g. shift: day, evening, night. Unit values are checked against the organisation's units."
        ),
    )


class ExclusionForm(forms.Form):
    pseudonym = forms.CharField(label=_("Pseudonym"), max_length=20)
    excluded = forms.BooleanField(label=_("Excluded"), required=False)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class DrawForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Source of the draw"),
        choices=Draw.InputKind.choices,
        widget=forms.RadioSelect,
        initial="dice",
    )
    digits = forms.CharField(
        label=_("Digits"),
        max_length=200,
        help_text=_(
            "Dice rolled in front of everyone, in order (e.g. 3 5 1 6 2), or the digits of a published value."
        ),
    )


class RedrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for a new draw"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "The reason is published in the audit log. The old commitment stays there too."
        ),
    )


class RecommendationForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Text"), required=False, widget=forms.Textarea(attrs={"rows": 8})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class VoteForm(forms.Form):
    level = forms.TypedChoiceField(
        label=_("Your view"), choices=Vote.Level.choices, coerce=int, widget=forms.RadioSelect
    )


class StatementForm(forms.Form):
    intro = forms.CharField(
        label=_("Introduction"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


class ResponseForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=Response.Decision.choices, widget=forms.RadioSelect
    )
    reasons = forms.CharField(label=_("Reasons"), widget=forms.Textarea(attrs={"rows": 4}))


class ActionForm(forms.Form):
    """An accepted recommendation becomes an experiment of the path that a unit owns."""

    title = forms.CharField(label=_("Action"), max_length=200)
    unit = BoundedModelChoiceField(
        label=_("Unit that owns it"), queryset=Unit.objects.none(), empty_label="—"
    )
    contact_email = forms.EmailField(
        label=_("Contact person's email"),
        help_text=_("Check-in reminders with a personal link go to this address."),
    )
    owner = forms.CharField(label=_("Who does it"), max_length=200, required=False)
    due_on = forms.DateField(
        validators=DATE_RANGE, label=_("First step on"), required=False, widget=DateInput()
    )

    def __init__(self, *args, path, **kwargs):
        super().__init__(*args, **kwargs)
        units = path.units.all() if path.units.exists() else path.organisation.units.all()
        self.fields["unit"].queryset = units.order_by("name")  # type: ignore[attr-defined]


class VerifyForm(forms.Form):
    file = forms.FileField(label=_("Lottery file (JSON)"))


class SignupForm(forms.Form):
    """Volunteer sign-up: only what the lottery and the invitation need."""

    name = forms.CharField(label=_("Name"), max_length=200)
    email = forms.EmailField(
        label=_("Email"), help_text=_("Only for the invitation if you are drawn.")
    )
    team = forms.CharField(label=_("Team"), max_length=120, required=False)

    def __init__(self, *args, attributes: dict[str, list[str]], ask_team: bool, **kwargs):
        super().__init__(*args, **kwargs)
        from polku.juries.templatetags.juries import attribute_label

        if not ask_team:
            del self.fields["team"]
        self.attribute_fields = []
        for index, (attribute, values) in enumerate(attributes.items()):
            key = f"attr_{index}"
            self.fields[key] = forms.ChoiceField(
                label=attribute_label(attribute).capitalize(),
                choices=[("", "—"), *((v, v) for v in values)],
            )
            self.attribute_fields.append((key, attribute))
        self.fields["consent"] = forms.BooleanField(
            label=_(
                "I volunteer for the jury lottery. My name and email are used only to invite me if I am drawn."
            )
        )

    def features(self) -> dict[str, str]:
        return {attribute: self.cleaned_data[key] for key, attribute in self.attribute_fields}
