from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from polku.accounts.forms import AcceptInvitationSignupForm
from polku.accounts.models import User
from polku.core.tenancy import OrganisationRequest, organisation_view
from polku.organisations import selectors, services
from polku.organisations.forms import InvitationForm, OrganisationForm, UnitForm, UnitImportForm
from polku.organisations.rules import grantable_roles, has_perm
from polku.paths.selectors import path_list


@login_required
def home(request: HttpRequest) -> HttpResponse:
    memberships = selectors.organisation_list_for_user(user=request.user)  # type: ignore[arg-type]
    if len(memberships) == 1 and not request.user.is_facilitator:  # type: ignore[union-attr]
        return redirect("organisations:detail", org_slug=memberships[0].organisation.slug)
    return render(request, "organisations/home.html", {"memberships": memberships})


@login_required
def organisation_create(request: HttpRequest) -> HttpResponse:
    if not request.user.is_facilitator:  # type: ignore[union-attr]
        raise PermissionDenied
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = services.organisation_create(
                created_by=request.user,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Organisation created. Next, add its units."))
            return redirect("organisations:units", org_slug=organisation.slug)
    return render(request, "organisations/organisation_form.html", {"form": form})


@organisation_view("organisation.view")
def organisation_detail(request: OrganisationRequest) -> HttpResponse:
    membership = request.membership
    return render(
        request,
        "organisations/organisation_detail.html",
        {
            "paths": path_list(membership=membership),
            "unit_count": request.organisation.units.count(),
            "can_manage": has_perm(membership, "organisation.manage"),
            "can_create_path": has_perm(membership, "path.create"),
        },
    )


@organisation_view("organisation.view")
def unit_list(request: OrganisationRequest) -> HttpResponse:
    organisation = request.organisation
    can_manage = has_perm(request.membership, "organisation.manage")
    form = UnitForm(organisation=organisation)
    import_form = UnitImportForm()
    import_result = None
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if "file" in request.FILES or request.POST.get("action") == "import":
            import_form = UnitImportForm(request.POST, request.FILES)
            if import_form.is_valid():
                try:
                    import_result = services.unit_import_csv(
                        organisation=organisation,
                        data=import_form.cleaned_data["file"].read(),
                        valid_rows_only=import_form.cleaned_data["valid_rows_only"],
                    )
                except ValidationError as exc:
                    import_form.add_error("file", exc)
                else:
                    if import_result.created:
                        messages.success(
                            request, _("%(n)d units imported.") % {"n": len(import_result.created)}
                        )
                    if not import_result.errors:
                        return redirect("organisations:units", org_slug=organisation.slug)
        else:
            form = UnitForm(request.POST, organisation=organisation)
            if form.is_valid():
                try:
                    services.unit_create(organisation=organisation, **form.cleaned_data)
                except ValidationError as exc:
                    form.add_error(None, exc)
                else:
                    messages.success(request, _("Unit added."))
                    return redirect("organisations:units", org_slug=organisation.slug)
    return render(
        request,
        "organisations/unit_list.html",
        {
            "tree": selectors.unit_tree(organisation=organisation),
            "form": form,
            "import_form": import_form,
            "import_result": import_result,
            "can_manage": can_manage,
        },
    )


@organisation_view("organisation.manage")
def unit_edit(request: OrganisationRequest, pk: int) -> HttpResponse:
    organisation = request.organisation
    unit = selectors.unit_get(organisation=organisation, pk=pk)
    initial = {"name": unit.name, "code": unit.code, "parent": unit.parent, "kind": unit.kind}
    form = UnitForm(request.POST or None, organisation=organisation, exclude=unit, initial=initial)
    if request.method == "POST":
        if request.POST.get("action") == "delete":
            try:
                services.unit_delete(unit=unit)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                return redirect("organisations:unit_edit", org_slug=organisation.slug, pk=unit.pk)
            messages.success(request, _("Unit removed."))
            return redirect("organisations:units", org_slug=organisation.slug)
        if form.is_valid():
            try:
                services.unit_update(unit=unit, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Unit saved."))
                return redirect("organisations:units", org_slug=organisation.slug)
    return render(request, "organisations/unit_edit.html", {"form": form, "unit": unit})


@organisation_view("organisation.view")
def member_list(request: OrganisationRequest) -> HttpResponse:
    organisation = request.organisation
    membership = request.membership
    can_manage = has_perm(membership, "organisation.manage")
    form = InvitationForm(organisation=organisation, inviter=membership)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        form = InvitationForm(request.POST, organisation=organisation, inviter=membership)
        if form.is_valid():
            try:
                services.invitation_create(
                    organisation=organisation,
                    invited_by=request.user,
                    language=get_language(),
                    **form.cleaned_data,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request,
                    _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]},
                )
                return redirect("organisations:members", org_slug=organisation.slug)
    return render(
        request,
        "organisations/member_list.html",
        {
            "members": selectors.member_list(organisation=organisation),
            "invitations": selectors.invitation_list(organisation=organisation)
            if can_manage
            else [],
            "form": form,
            "can_manage": can_manage,
            "grantable": grantable_roles(membership),
        },
    )


@require_POST
@organisation_view("organisation.manage")
def invitation_revoke(request: OrganisationRequest, pk: int) -> HttpResponse:
    organisation = request.organisation
    invitation = selectors.invitation_list(organisation=organisation).filter(pk=pk).first()
    if invitation is not None:
        services.invitation_revoke(invitation=invitation)
        messages.success(request, _("Invitation revoked."))
    return redirect("organisations:members", org_slug=organisation.slug)


@require_POST
@organisation_view("organisation.manage")
def member_remove(request: OrganisationRequest, pk: int) -> HttpResponse:
    organisation = request.organisation
    target = selectors.member_list(organisation=organisation).filter(pk=pk).first()
    if target is not None:
        try:
            services.membership_remove(membership=target, by=request.membership)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Member removed."))
    return redirect("organisations:members", org_slug=organisation.slug)


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = selectors.invitation_by_token(token=token)
    if invitation is None or not invitation.is_open:
        return render(
            request,
            "organisations/invitation_invalid.html",
            {"invitation": invitation},
            status=410 if invitation else 404,
        )
    user = request.user
    if user.is_authenticated:
        if user.email.lower() != invitation.email:
            return render(
                request,
                "organisations/invitation_wrong_user.html",
                {"invitation": invitation},
                status=403,
            )
        if request.method == "POST":
            services.invitation_accept(invitation=invitation, user=user)
            messages.success(
                request, _("Welcome to %(org)s.") % {"org": invitation.organisation.name}
            )
            return redirect("organisations:detail", org_slug=invitation.organisation.slug)
        return render(request, "organisations/invitation_accept.html", {"invitation": invitation})
    existing = User.objects.filter(email__iexact=invitation.email).exists()
    if existing:
        return render(
            request,
            "organisations/invitation_accept.html",
            {"invitation": invitation, "needs_login": True},
        )
    form = AcceptInvitationSignupForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        new_user = User.objects.create_user(
            email=invitation.email,
            password=form.cleaned_data["password1"],
            name=form.cleaned_data["name"],
        )
        services.invitation_accept(invitation=invitation, user=new_user)
        login(request, new_user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome to %(org)s.") % {"org": invitation.organisation.name})
        return redirect("organisations:detail", org_slug=invitation.organisation.slug)
    return render(
        request, "organisations/invitation_accept.html", {"invitation": invitation, "form": form}
    )
