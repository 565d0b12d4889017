from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from polku.live import meeting


class JoinCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Workshop code"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split()).upper()
        if not code.isascii() or not code.isalnum():
            raise forms.ValidationError(_("Check the code: it has letters and numbers only."))
        return code


class RememberForm(forms.Form):
    secret = forms.CharField(
        label=_("Email address or your own return code"),
        max_length=254,
        help_text=_(
            "We store only a protected fingerprint of it, to recognise you at the next "
            "workshop days of this path. We do not send you email."
        ),
    )


class SlotConfigForm:
    @staticmethod
    def build(form_class: type[forms.Form], data, *, initial: dict, path=None) -> forms.Form:
        """An activity's settings form; one that says `takes_path` gets the agenda item's path
        (the canvas offers the path's own measures)."""
        if getattr(form_class, "takes_path", False):
            return form_class(data, initial=initial, path=path)  # type: ignore[call-arg]
        return form_class(data, initial=initial)


class MeetingLinkForm(forms.Form):
    template = forms.CharField(
        label=_("Address of your own video service"),
        max_length=meeting.MAX_TEMPLATE,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "url", "spellcheck": "false"}),
        help_text=_(
            "For example https://meet.example.fi/ (a self-hosted Jitsi Meet). Each group of a "
            "remote or hybrid workshop then gets its own room whose name nobody can guess; "
            "write {room} where the name goes if your service needs it elsewhere. Leave empty "
            "to type a link for each group instead."
        ),
    )

    def clean_template(self) -> str:
        try:
            return meeting.template_clean(self.cleaned_data["template"])
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from None
