from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from dure.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied


class CourseNotFound(NotFound):
    code = "course_not_found"
    default_message = _("There is no such course.")


class PracticeItemNotFound(NotFound):
    code = "practice_item_not_found"
    default_message = _("There is no such practice item.")


class ExamNotFound(NotFound):
    code = "exam_not_found"
    default_message = _("There is no such exam.")


class AttemptNotFound(NotFound):
    code = "attempt_not_found"
    default_message = _("There is no such exam attempt.")


class CertificationNotFound(NotFound):
    code = "certification_not_found"
    default_message = _("There is no such certification.")


class ExamCooldown(Conflict):
    code = "exam_cooldown"
    default_message = _(
        "Wait a little before the next attempt; the time you may start again is in the details."
    )


class ExamAttemptsExhausted(Conflict):
    code = "exam_attempts_exhausted"
    default_message = _("You have used every attempt at this exam.")


class ExamAlreadyPassed(Conflict):
    code = "exam_already_passed"
    default_message = _("You have passed this exam already.")


class AttemptClosed(Conflict):
    code = "attempt_closed"
    default_message = _("This attempt is finished already.")


class AttemptTimedOut(Conflict):
    code = "attempt_timed_out"
    default_message = _("The time for this attempt ran out; it was scored with the answers saved before.")


class InvalidExam(InvalidInput):
    code = "invalid_exam"
    default_message = _("The exam is not valid.")


class CertificationRequired(PermissionDenied):
    code = "certification_required"
    default_message = _(
        "This project needs certifications you do not hold yet. Take the exams in the Academy."
    )


class QualificationRequired(PermissionDenied):
    code = "qualification_required"
    default_message = _("Pass this project's qualification test before taking its items.")
