"""Pages for people who work, review and manage: the home page by role, project settings with the
interface builder, items, members, the progress dashboard and an item's history.

Views are thin: they read through ``dure.work.dashboards`` and the selectors, and write through the
services. Every project page goes through ``project_access`` (404 for people without a role there).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dure.accounts.models import MANAGING_ROLES, Membership, Role, User
from dure.core.errors import DureError, PermissionDenied
from dure.core.http import user_of
from dure.payments.selectors import earnings
from dure.projects import services as project_services
from dure.projects.models import Project, ProjectMember, ProjectRole, ProjectStatus
from dure.projects.selectors import Access, project_access, spec_of, visible_projects
from dure.projects.services import TRANSITIONS
from dure.quality import selectors as quality_selectors
from dure.web import builder
from dure.web.project_forms import MAX_ITEM_FILE_BYTES, ItemUploadForm, MemberForm, ProjectForm
from dure.web.rendering import render_markdown
from dure.work import dashboards
from dure.work.item_files import parse_item_file
from dure.work.models import ItemState, SlotState
from dure.work.selectors import item_for_manager, progress
from dure.work.services import add_items

# --- home -------------------------------------------------------------------------------------------------


def _accesses(user: User) -> list[Access]:
    projects = list(visible_projects(user=user)[:200])
    org_roles = dict(Membership.objects.filter(user=user).values_list("organization_id", "role"))
    project_roles = dict(
        ProjectMember.objects.filter(user=user, project__in=projects).values_list("project_id", "role")
    )
    return [
        Access(project=p, org_role=org_roles.get(p.organization_id), project_role=project_roles.get(p.pk))
        for p in projects
    ]


_LIVE = {ProjectStatus.OPEN, ProjectStatus.PAUSED}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """What each person needs first: their work (rework first), their review queues, the projects they run."""
    user = user_of(request)
    accesses = _accesses(user)
    working = [
        a.project
        for a in accesses
        if a.project_role in {ProjectRole.WORKER, ProjectRole.REVIEWER} and a.project.status in _LIVE
    ]
    reviewing = [
        a.project
        for a in accesses
        if (a.project_role == ProjectRole.REVIEWER or a.org_role == Role.REVIEWER)
        and a.project.status in _LIVE
    ]
    managed = [a for a in accesses if a.can_manage or a.org_role == Role.VIEWER]

    work_overview = dashboards.worker_overview(user=user, projects=working)
    work_rows: list[dict[str, Any]] = sorted(
        ({"project": p, **work_overview[p.pk]} for p in working),
        key=lambda r: (-r["rework"], r["project"].status != ProjectStatus.OPEN, -r["open"]),
    )
    review_overview = dashboards.review_overview(projects=reviewing)
    review_rows: list[dict[str, Any]] = sorted(
        ({"project": p, **review_overview[p.pk]} for p in reviewing),
        key=lambda r: (r["project"].status != ProjectStatus.OPEN, -r["waiting"]),
    )
    manage_rows = [
        {"project": a.project, "progress": progress(project=a.project), "access": a} for a in managed
    ]
    summary = None
    if work_rows or review_rows:
        money = earnings(user=user, days=1)
        done = sum(r["done"] for r in work_rows)
        rejected = sum(r["rejected"] for r in work_rows)
        summary = {
            "rework": sum(r["rework"] for r in work_rows),
            "done": done,
            "approval_rate": done / (done + rejected) if done + rejected else None,
            "earnings": money["available"],
            "reviews_waiting": sum(r["waiting"] for r in review_rows),
        }
    return render(
        request,
        "web/home.html",
        {
            "work_rows": work_rows,
            "review_rows": review_rows,
            "manage_rows": manage_rows,
            "summary": summary,
            "can_create": Membership.objects.filter(user=user, role__in=MANAGING_ROLES).exists(),
            "nothing": not (work_rows or review_rows or manage_rows),
        },
    )


# --- create / edit with the interface builder ---------------------------------------------------------------


def _managed_organizations(user: User) -> list[tuple[int, str]]:
    return list(
        Membership.objects.filter(user=user, role__in=MANAGING_ROLES)
        .order_by("organization__name")
        .values_list("organization_id", "organization__name")
    )


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _initial(project: Project | None) -> dict[str, Any]:
    if project is None:
        return {
            "price_per_item": 50,
            "review_price": 10,
            "overlap": 1,
            "max_rework_rounds": 2,
            "lease_minutes": 30,
            "rework_hours": 72,
            "second_review_percent": 0,
            "second_review_new_reviewer_decisions": 0,
            "visibility": "private",
        }
    return {
        "name": project.name,
        "description": project.description,
        "guideline": project.guideline,
        "price_per_item": project.price_per_item,
        "review_price": project.review_price,
        "overlap": project.overlap,
        "max_rework_rounds": project.max_rework_rounds,
        "lease_minutes": max(1, project.lease_seconds // 60),
        "rework_hours": project.rework_hours,
        "second_review_percent": round(project.second_review_rate * 100),
        "second_review_new_reviewer_decisions": project.second_review_new_reviewer_decisions,
        "visibility": project.visibility,
        "language": project.language,
    }


def _project_form(
    request: HttpRequest, project: Project | None, access: Access | None = None
) -> HttpResponse:
    user = user_of(request)
    organizations = _managed_organizations(user) if project is None else []
    frozen = project is not None and project.status != ProjectStatus.DRAFT
    builder_errors: list[str] = []
    if request.method == "POST":
        form = ProjectForm(request.POST, organizations=organizations)
        inputs, outputs = builder.rows_from_form(request.POST)
        if frozen:
            assert project is not None
            inputs, outputs = builder.rows_from_spec(project.spec)
        action = request.POST.get("builder_action", "")
        if action and not frozen:
            builder.apply_action(action, inputs, outputs)
        else:
            spec = builder.spec_from_rows(inputs, outputs)
            builder_errors = [] if frozen else builder.validate(spec, inputs, outputs)
            if form.is_valid() and not builder_errors:
                saved = _save(request, form, project, spec, organizations, frozen)
                if saved is not None:
                    return redirect("web:project", project_id=saved.pk)
    else:
        form = ProjectForm(initial=_initial(project), organizations=organizations)
        inputs, outputs = builder.rows_from_spec(project.spec if project else builder.DEFAULT_SPEC)
    spec = builder.spec_from_rows(inputs, outputs)
    return render(
        request,
        "web/projects/form.html",
        {
            "project": project,
            "access": access,
            "form": form,
            "spec_json": builder.spec_json(spec),
            "preview": _preview_context(spec),
            **builder.context(inputs, outputs, errors=builder_errors, frozen=frozen),
        },
    )


def _save(
    request: HttpRequest,
    form: ProjectForm,
    project: Project | None,
    spec: dict[str, Any],
    organizations: list[tuple[int, str]],
    frozen: bool,
) -> Project | None:
    fields = form.project_fields()
    try:
        if project is None:
            organization_id = form.cleaned_data.get("organization") or organizations[0][0]
            membership = Membership.objects.select_related("organization").get(
                user=user_of(request), organization_id=organization_id, role__in=MANAGING_ROLES
            )
            created = project_services.create_project(
                organization=membership.organization,
                actor=user_of(request),
                name=form.cleaned_data["name"],
                spec=spec,
                **fields,
            )
            messages.success(request, _("The project was created as a draft. Add items, then open it."))
            return created
        changes = {"name": form.cleaned_data["name"], **fields}
        if frozen:
            # What an answer is and how many people answer may not change once work started.
            changes.pop("overlap")
        else:
            changes["spec"] = spec
        updated = project_services.update_project(project=project, changes=changes)
        messages.success(request, _("The project was saved."))
        return updated
    except DureError as error:
        form.add_error(None, str(error.message))
        return None


@login_required
def project_create(request: HttpRequest) -> HttpResponse:
    if not _managed_organizations(user_of(request)):
        raise PermissionDenied(_("Only an organization's owners and managers create projects."))
    return _project_form(request, None)


@login_required
def project_edit(request: HttpRequest, project_id: int) -> HttpResponse:
    access = project_access(user=user_of(request), project_id=project_id)
    access.require(access.can_manage)
    return _project_form(request, access.project, access)


@login_required
@require_POST
def builder_rows(request: HttpRequest) -> HttpResponse:
    """htmx: the builder re-rendered after a button (add, remove, move) or a change of type."""
    inputs, outputs = builder.rows_from_form(request.POST)
    action = request.POST.get("builder_action", "")
    if action:
        builder.apply_action(action, inputs, outputs)
    spec = builder.spec_from_rows(inputs, outputs)
    preview = _preview_context(spec)
    # the preview follows the builder (an out-of-band swap), with the new rows' problems listed
    preview["errors"] = _preview_errors(spec)
    preview["spec_json"] = builder.spec_json(spec)
    return render(
        request, "web/projects/_builder_response.html", {**builder.context(inputs, outputs), **preview}
    )


def _preview_errors(spec: dict[str, Any]) -> list[str]:
    inputs, outputs = builder.rows_from_spec(spec)
    general = builder.validate(spec, inputs, outputs)
    return general + [
        f"{row.name or '?'}: {message}" for row in [*inputs, *outputs] for message in row.errors
    ]


@login_required
@require_POST
def builder_preview(request: HttpRequest) -> HttpResponse:
    """htmx: the spec of the current rows, validated, and the fields a worker will see (read-only)."""
    inputs, outputs = builder.rows_from_form(request.POST)
    spec = builder.spec_from_rows(inputs, outputs)
    context = _preview_context(spec)
    context["errors"] = _preview_errors(spec)
    context["spec_json"] = builder.spec_json(spec)
    return render(request, "web/projects/_preview.html", context)


def _preview_context(spec: dict[str, Any]) -> dict[str, Any]:
    types = dict(builder.OUTPUT_TYPES)
    input_types = dict(builder.INPUT_TYPES)
    outputs = []
    for output in spec.get("outputs", []):
        entry = dict(output)
        entry["type_label"] = types.get(output.get("type"), output.get("type"))
        for key in ("options", "labels", "criteria"):
            entry[key] = [
                {"value": o, "label": o}
                if isinstance(o, str)
                else {**o, "label": o.get("label") or o.get("value")}
                for o in output.get(key, [])
                if isinstance(o, str | dict)
            ]
        if output.get("type") == "rating":
            entry["scale"] = list(range(int(output.get("min", 1)), int(output.get("max", 5)) + 1))[:11]
        outputs.append(entry)
    inputs = [
        {**i, "type_label": input_types.get(i.get("type"), i.get("type"))} for i in spec.get("inputs", [])
    ]
    return {"spec": spec, "preview_inputs": inputs, "preview_outputs": outputs}


@login_required
@require_POST
def guideline_preview(request: HttpRequest) -> HttpResponse:
    return HttpResponse(render_markdown(request.POST.get("guideline", "")))


@login_required
@require_POST
def project_status(request: HttpRequest, project_id: int) -> HttpResponse:
    access = project_access(user=user_of(request), project_id=project_id)
    access.require(access.can_manage)
    status = request.POST.get("status", "")
    if status not in ProjectStatus.values:
        messages.error(request, _("Unknown status."))
    else:
        try:
            project_services.set_status(project=access.project, status=status)
            messages.success(
                request, _("The project is now “%(status)s”.") % {"status": ProjectStatus(status).label}
            )
        except DureError as error:
            messages.error(request, str(error.message))
    return redirect("web:project", project_id=project_id)


# --- dashboard, items, history ------------------------------------------------------------------------------


def throughput_chart(points: list[dict[str, Any]], *, width: int = 720, height: int = 180) -> dict[str, Any]:
    """Two bars per hour (submitted, approved) for an inline SVG; no chart library."""
    top = max((max(p["submitted"], p["approved"]) for p in points), default=0) or 1
    slot = width / max(1, len(points))
    bar = max(1.0, (slot - 4) / 2)
    hours = []
    for index, point in enumerate(points):
        x = index * slot + 2
        bars = []
        for offset, key in enumerate(("submitted", "approved")):
            h = round(point[key] / top * (height - 24), 1)
            bars.append(
                {
                    "key": key,
                    "x": round(x + offset * bar, 1),
                    "y": round(height - h, 1),
                    "w": round(bar, 1),
                    "h": h,
                }
            )
        hours.append({**point, "bars": bars, "tick": index % 3 == 0, "x": round(x + bar, 1)})
    return {"hours": hours, "width": width, "height": height, "top": top}


@login_required
def project_page(request: HttpRequest, project_id: int) -> HttpResponse:
    access = project_access(user=user_of(request), project_id=project_id)
    access.require(access.can_view_progress)
    project = access.project
    stats = dashboards.project_dashboard(project=project, now=timezone.now())
    total = stats["slot_total"] or 1
    for slot in stats["slots"]:
        slot["share"] = round(slot["count"] / total * 100, 2)
    return render(
        request,
        "web/projects/dashboard.html",
        {
            "project": project,
            "access": access,
            "stats": stats,
            "chart": throughput_chart(stats["throughput"]),
            "transitions": sorted(TRANSITIONS[ProjectStatus(project.status)], key=list(ProjectStatus).index),
            "spec": spec_of(project),
        },
    )


@login_required
def item_list(request: HttpRequest, project_id: int) -> HttpResponse:
    access = project_access(user=user_of(request), project_id=project_id)
    access.require(access.can_view_progress)
    state = request.GET.get("state") or None
    if state not in dashboards.ITEM_FILTERS:
        state = None
    try:
        before = int(request.GET.get("before", "") or 0) or None
    except ValueError:
        before = None
    rows, next_before = dashboards.item_page(project=access.project, state=state, before=before)
    return render(
        request,
        "web/projects/items.html",
        {
            "project": access.project,
            "access": access,
            "rows": rows,
            "state": state,
            "filters": _filters(),
            "next_before": next_before,
        },
    )


def _filters() -> list[tuple[str, str]]:
    labels = {s.value: s.label for s in SlotState}
    return [
        (ItemState.OPEN.value, str(_("Not done"))),
        (ItemState.DONE.value, str(ItemState.DONE.label)),
        *[(key, str(labels[key])) for key in dashboards.ITEM_FILTERS[2:]],
    ]


@login_required
def item_detail(request: HttpRequest, project_id: int, item_id: int) -> HttpResponse:
    access = project_access(user=user_of(request), project_id=project_id)
    access.require(access.can_view_progress)
    item = item_for_manager(project=access.project, item_id=item_id)
    return render(
        request,
        "web/projects/item.html",
        {
            "project": access.project,
            "access": access,
            "item": item,
            "timeline": dashboards.item_timeline(item=item, names=access.can_manage),
            "aggregate": quality_selectors.item_aggregate(item=item),
            "names": access.can_manage,
        },
    )


@login_required
def item_upload(request: HttpRequest, project_id: int) -> HttpResponse:
    access = project_access(user=user_of(request), project_id=project_id)
    access.require(access.can_manage)
    project = access.project
    form = ItemUploadForm()
    problems: list[dict[str, Any]] = []
    problem_message = ""
    if request.method == "POST":
        form = ItemUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > MAX_ITEM_FILE_BYTES:
                form.add_error("file", _("The file is larger than 50 MB; use the API or the CLI for it."))
            else:
                try:
                    records = parse_item_file(name=upload.name, content=upload.read(), spec=spec_of(project))
                    if not records:
                        form.add_error("file", _("The file holds no items."))
                    else:
                        added = add_items(project=project, records=records)
                        messages.success(
                            request,
                            _("%(created)d items added, %(skipped)d already present were skipped.")
                            % {"created": added.created, "skipped": added.skipped},
                        )
                        return redirect("web:items", project_id=project.pk)
                except DureError as error:
                    problem_message = str(error.message)
                    problems = list(error.details.get("errors", []))
    spec = spec_of(project)
    return render(
        request,
        "web/projects/upload.html",
        {
            "project": project,
            "access": access,
            "form": form,
            "problems": problems,
            "problem_message": problem_message,
            "inputs": spec.inputs,
            "example": _example_record(spec),
        },
    )


def _example_record(spec: Any) -> str:
    samples = {"text": "…", "prompt": "…", "number": 1, "json": {}}
    data = {
        i.name: samples.get(i.type, f"https://example.com/{i.name}.{_extension(i.type)}") for i in spec.inputs
    }
    return json.dumps({"external_id": "item-1", "data": data}, ensure_ascii=False)


def _extension(kind: str) -> str:
    return {"image": "jpg", "audio": "wav", "video": "mp4", "document": "pdf"}.get(kind, "html")


@login_required
def members(request: HttpRequest, project_id: int) -> HttpResponse:
    access = project_access(user=user_of(request), project_id=project_id)
    access.require(access.can_manage)
    project = access.project
    form = MemberForm()
    if request.method == "POST":
        if "remove" in request.POST:
            member = ProjectMember.objects.filter(project=project, pk=request.POST.get("remove") or 0).first()
            if member is not None:
                name = str(member.user)
                project_services.remove_project_member(project=project, user=member.user)
                messages.success(request, _("%(name)s was removed from the project.") % {"name": name})
            return redirect("web:members", project_id=project.pk)
        form = MemberForm(request.POST)
        if form.is_valid():
            username = form.cleaned_data["username"].strip()
            user = User.objects.filter(
                Q(username=username) | Q(email__iexact=username), is_active=True
            ).first()
            if user is None:
                form.add_error("username", _("There is no one with that username."))
            else:
                member = project_services.set_project_member(
                    project=project, user=user, role=form.cleaned_data["role"]
                )
                messages.success(
                    request,
                    _("%(name)s is now a %(role)s in this project.")
                    % {"name": str(user), "role": member.get_role_display()},
                )
                return redirect("web:members", project_id=project.pk)
    return render(
        request,
        "web/projects/members.html",
        {
            "project": project,
            "access": access,
            "form": form,
            "members": ProjectMember.objects.filter(project=project)
            .select_related("user")
            .order_by("role", "id"),
        },
    )
