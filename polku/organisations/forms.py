from django import forms
from django.utils.translation import gettext_lazy as _

from polku.core.params import BoundedModelChoiceField
from polku.organisations.models import Membership, Organisation, Unit
from polku.organisations.rules import grantable_roles
from polku.organisations.services import CSV_HELP


class OrganisationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class UnitForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    code = forms.CharField(
        label=_("Code"),
        max_length=40,
        help_text=_("A short identifier, unique within the organisation (used in CSV import)."),
    )
    parent = BoundedModelChoiceField(
        label=_("Parent unit"), queryset=Unit.objects.none(), required=False
    )
    kind = forms.ChoiceField(label=_("Level"), choices=Unit.Kind.choices, initial=Unit.Kind.LOCAL)

    def __init__(self, *args, organisation: Organisation, exclude: Unit | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        qs = organisation.units.order_by("name")
        if exclude is not None:
            qs = qs.exclude(pk=exclude.pk)
        self.fields["parent"].queryset = qs


class UnitImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"), help_text=CSV_HELP)
    valid_rows_only = forms.BooleanField(
        label=_("Import the valid rows even if some rows have errors"),
        required=False,
        help_text=_("By default nothing is imported from a file with errors."),
    )


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)
    unit = BoundedModelChoiceField(
        label=_("Unit"),
        queryset=Unit.objects.none(),
        required=False,
        help_text=_("Required for a unit contact."),
    )

    def __init__(self, *args, organisation: Organisation, inviter: Membership | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = organisation.units.order_by("name")
        allowed = set(grantable_roles(inviter))
        self.fields["role"].choices = [c for c in Membership.Role.choices if c[0] in allowed]

    def clean(self):
        data = super().clean()
        if data.get("role") == Membership.Role.UNIT_CONTACT and not data.get("unit"):
            self.add_error("unit", _("Choose the unit for a unit contact."))
        return data
