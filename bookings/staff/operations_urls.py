"""URLs of the staff-operations screens, mounted inside the Wagtail admin under /admin/staff/
(namespace "staff_ops") by wagtail_hooks.py. tests/bookings/test_staff_authorisation.py walks
this list: a new URL needs a filler there."""

from django.urls import path

from bookings.staff import partners, payments, reports, week

app_name = "staff_ops"

urlpatterns = [
    path("week/", week.this_week, name="week"),
    path("partners/invite/", partners.invite, name="invite"),
    path("partners/<int:partner_id>/invitation/", partners.invitation, name="invitation"),
    path(
        "partners/<int:partner_id>/invitation/resend/",
        partners.invitation_action,
        {"action": "resend"},
        name="invitation_resend",
    ),
    path(
        "partners/<int:partner_id>/invitation/revoke/",
        partners.invitation_action,
        {"action": "revoke"},
        name="invitation_revoke",
    ),
    path("partners/<int:partner_id>/deactivate/", partners.deactivate, name="deactivate"),
    path("chats/<uuid:public_id>/settle/", partners.settle, name="settle"),
    path("reports/", reports.index, name="reports"),
    path("reports/<slug:report>/", reports.report, name="report"),
    path("reports/<slug:report>/chart.svg", reports.report_chart, name="report_chart"),
    path("reports/<slug:report>.csv", reports.report_csv, name="report_csv"),
    path("payments/", payments.months, name="payments"),
    path("payments/<str:month>/approve/", payments.approve, name="payments_approve"),
    path("payments/lines/<int:line_id>/reverse/", payments.reverse_line, name="payments_reverse"),
]
