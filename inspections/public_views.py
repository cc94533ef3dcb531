"""The enterprise's pages, reached from the task's QR code without an account (扫码入企, 企业评价).

The signed token in the URL is the only key: a forged or altered one answers 400, an expired one 410,
each with a page saying so. The page shows who is inspecting (names and certificate numbers, so the
enterprise can check them), lets the enterprise confirm the team's arrival, and — once the result is
approved — rate the inspection, once.
"""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core import ratelimit
from core.errors import DomainError

from . import codes, objections, services
from .enums import CodePurpose, InspectionTaskStatus
from .forms import ArrivalForm, EvaluationForm, ObjectionForm
from .models import CheckIn, Evaluation, InspectionTask, Objection, Publication, TaskMember
from .services import APPROVED_STATES
from .tokens import (
    CHECKIN_GRACE_DAYS,
    TokenExpired,
    TokenInvalid,
    read_objection_token,
    read_token,
    token_valid_until,
)


class _Refused(Exception):
    def __init__(self, response):
        self.response = response


def _task_from_token(request, token) -> InspectionTask:
    try:
        task_id = read_token(token)
    except TokenExpired as exc:
        context = {"expired_on": exc.expired_on}
        raise _Refused(render(request, "inspections/public/expired.html", context, status=410)) from exc
    except TokenInvalid as exc:
        raise _Refused(render(request, "inspections/public/invalid.html", status=400)) from exc
    task = InspectionTask.objects.select_related("bureau", "enterprise").filter(pk=task_id).first()
    if task is None:
        raise _Refused(render(request, "inspections/public/invalid.html", status=400))
    return task


def _client(request) -> dict:
    return {
        "ip": request.META.get("REMOTE_ADDR") or None,
        "user_agent": request.META.get("HTTP_USER_AGENT", ""),
        "marks": codes.client_marks(request),
    }


def _page(request, task, token, *, arrival_form=None, evaluation_form=None, status=200):
    team = TaskMember.objects.filter(task=task, active=True).select_related("inspector", "expert").order_by("position")
    today = timezone.localdate()
    context = {
        "task": task,
        "token": token,
        "team": list(team),
        "checkin": CheckIn.objects.filter(task=task).first(),
        "evaluation": Evaluation.objects.filter(task=task).first(),
        "cancelled": task.status == InspectionTaskStatus.CANCELLED,
        "can_evaluate": task.status in APPROVED_STATES,
        "arrival_open": task.status == InspectionTaskStatus.ASSIGNED
        and task.planned_start <= today <= task.planned_end + timedelta(days=CHECKIN_GRACE_DAYS),
        "arrival_form": arrival_form or ArrivalForm(),
        "evaluation_form": evaluation_form or EvaluationForm(),
        "valid_until": token_valid_until(task),
        "can_receive_code": codes.channel_for(task.enterprise) is not None,
    }
    return render(request, "inspections/public/task.html", context, status=status)


@login_not_required
@never_cache
@require_GET
def page(request, token):
    try:
        task = _task_from_token(request, token)
    except _Refused as refused:
        return refused.response
    return _page(request, task, token)


@login_not_required
@never_cache
@require_POST
def confirm(request, token):
    try:
        task = _task_from_token(request, token)
    except _Refused as refused:
        return refused.response
    form = ArrivalForm(request.POST)
    if form.is_valid():
        try:
            services.checkin_confirm(
                task=task,
                confirmed_by_name=form.cleaned_data["confirmed_by_name"],
                code=form.cleaned_data["code"],
                user=request.user if request.user.is_authenticated else None,
                **_client(request),
            )
        except DomainError as exc:
            for name, message in (getattr(exc, "errors", None) or {None: str(exc)}).items():
                form.add_error(name if name in form.fields else None, message)
        else:
            return redirect("checkin:page", token=token)
    return _page(request, task, token, arrival_form=form, status=400)


@login_not_required
@never_cache
@require_POST
def evaluate(request, token):
    try:
        task = _task_from_token(request, token)
    except _Refused as refused:
        return refused.response
    form = EvaluationForm(request.POST)
    if form.is_valid():
        try:
            services.evaluation_submit(
                task=task,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
                code=form.cleaned_data["code"],
                **_client(request),
            )
        except DomainError as exc:
            for name, message in (getattr(exc, "errors", None) or {None: str(exc)}).items():
                form.add_error(name if name in form.fields else None, message)
        else:
            return redirect("checkin:page", token=token)
    return _page(request, task, token, evaluation_form=form, status=400)


@login_not_required
@never_cache
@require_POST
def send_code(request, token):
    """Send a one-time code to the enterprise's registered contact (never shown here, nor to staff)."""
    try:
        task = _task_from_token(request, token)
    except _Refused as refused:
        return refused.response
    purpose = request.POST.get("purpose", "")
    if purpose not in (CodePurpose.ARRIVAL, CodePurpose.EVALUATION):  # an objection's code: its own page
        return _page(request, task, token, status=400)
    try:
        codes.code_send(task=task, purpose=purpose, ip=request.META.get("REMOTE_ADDR") or None)
    except DomainError as exc:
        messages.error(request, str(exc))
        return _page(request, task, token, status=429 if isinstance(exc, codes.CodeThrottled) else 400)
    messages.success(request, _("A code was sent to the enterprise's registered contact."))
    anchor = "arrival" if purpose == CodePurpose.ARRIVAL else "evaluation"
    return redirect(f"{reverse('checkin:page', args=[token])}#{anchor}")


# --- the enterprise's objection (异议), from the second QR code of the notice ------------------------------


def _objection_task(request, token) -> tuple[InspectionTask, Publication | None]:
    """The task of an objection token and its publication; a forged token answers 400, an expired one 410."""
    try:
        task_id = read_objection_token(token)
    except TokenInvalid as exc:
        raise _Refused(render(request, "inspections/public/invalid.html", status=400)) from exc
    task = InspectionTask.objects.select_related("bureau", "enterprise").filter(pk=task_id).first()
    if task is None:
        raise _Refused(render(request, "inspections/public/invalid.html", status=400))
    publication = Publication.objects.filter(task=task).first()
    if publication is not None:
        expires = objections.token_expires(publication.published_on)
        if timezone.localdate() > expires.date:
            context = {"expired_on": expires.date}
            raise _Refused(render(request, "inspections/public/objection_expired.html", context, status=410))
    return task, publication


def _objection_page(request, task, publication, token, *, form=None, status=200):
    today = timezone.localdate()
    objection = Objection.objects.filter(task=task).prefetch_related("files").first()
    closes = objections.filing_closes(publication.published_on) if publication else None
    context = {
        "task": task,
        "token": token,
        "publication": publication,
        "objection": objection,
        "closes": closes,
        "valid_until": objections.token_expires(publication.published_on).date if publication else None,
        "filing_open": publication is not None and objection is None and today <= closes.date,
        "can_receive_code": codes.channel_for(task.enterprise) is not None,
        "form": form or ObjectionForm(),
    }
    return render(request, "inspections/public/objection.html", context, status=status)


@login_not_required
@never_cache
@require_GET
def objection_page(request, token):
    try:
        task, publication = _objection_task(request, token)
    except _Refused as refused:
        return refused.response
    return _objection_page(request, task, publication, token)


@login_not_required
@never_cache
@require_POST
def objection_send_code(request, token):
    """Send a one-time code for the objection (the sends are limited as for the arrival and the rating)."""
    try:
        task, publication = _objection_task(request, token)
    except _Refused as refused:
        return refused.response
    if publication is None or Objection.objects.filter(task=task).exists():
        return _objection_page(request, task, publication, token, status=409)
    try:
        codes.code_send(task=task, purpose=CodePurpose.OBJECTION, ip=request.META.get("REMOTE_ADDR") or None)
    except DomainError as exc:
        messages.error(request, str(exc))
        return _objection_page(
            request, task, publication, token, status=429 if isinstance(exc, codes.CodeThrottled) else 400
        )
    messages.success(request, _("A code was sent to the enterprise's registered contact."))
    return redirect(f"{reverse('objection:page', args=[token])}#file")


def _throttled(request, task=None, publication=None, token=""):
    """429: too many filing attempts from this address or with this token; nothing is read or written."""
    message = _(
        "Too many attempts to file an objection. Wait an hour and try again, or object in writing to the bureau."
    )
    if task is None:
        return render(request, "inspections/public/objection_throttled.html", {"message": message}, status=429)
    messages.error(request, message)
    return _objection_page(request, task, publication, token, status=429)


@login_not_required
@never_cache
@require_POST
def objection_submit(request, token):
    """File the objection: with the code sent to the registered contact, or with the token alone when the
    enterprise has none. Attempts are limited per client address (forged tokens included) and per token."""
    address = request.META.get("REMOTE_ADDR") or ""
    if not ratelimit.allow(
        "objection-address", address, limit=objections.FILINGS_PER_ADDRESS, window=objections.RATE_WINDOW
    ):
        return _throttled(request)
    try:
        task, publication = _objection_task(request, token)
    except _Refused as refused:
        return refused.response
    if not ratelimit.allow(
        "objection-task", str(task.pk), limit=objections.FILINGS_PER_TOKEN, window=objections.RATE_WINDOW
    ):
        return _throttled(request, task, publication, token)
    form = ObjectionForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            objections.objection_file(
                task=task,
                text=form.cleaned_data["text"],
                filed_by_name=form.cleaned_data["filed_by_name"],
                code=form.cleaned_data["code"],
                files=form.cleaned_data["files"],
                ip=request.META.get("REMOTE_ADDR") or None,
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
            )
        except objections.ObjectionRefused as exc:
            messages.error(request, str(exc))
            return _objection_page(request, task, publication, token, status=409)
        except DomainError as exc:
            for name, message in (getattr(exc, "errors", None) or {None: str(exc)}).items():
                form.add_error(name if name in form.fields else None, message)
        else:
            messages.success(request, _("Your objection was filed. The bureau will decide on it."))
            return redirect("objection:page", token=token)
    return _objection_page(request, task, publication, token, form=form, status=400)
