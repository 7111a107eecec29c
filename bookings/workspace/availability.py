"""Workspace pages for a partner's weekly free times and time off (see chats.py)."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from bookings import bank_holidays, partner_services, weekly_ranges
from bookings.errors import BookingError
from bookings.models import AvailabilityRule, TimeOff
from bookings.workspace.access import owned, partner_required, post_only
from bookings.workspace.forms import BankHolidaysForm, TimeOffForm, WeeklyRangeForm
from bookings.zones import format_clock

UPCOMING_DAYS = 366  # the bank holidays listed on the page: the next few within a year
UPCOMING_SHOWN = 4


def _week(partner):
    """Each weekly range once, with every day it covers (so "Change" plainly changes all of
    them), in week order; the days with no free time; and rules with patterns the editor cannot
    change."""
    ranges, others, covered = [], [], set()
    for rule in AvailabilityRule.objects.filter(partner=partner).order_by("start_time", "pk"):
        plain = weekly_ranges.plain_weekly_days(rule.recurrence)
        if plain is None:
            others.append({"rule": rule, "text": weekly_ranges.describe(rule.recurrence)})
            continue
        covered.update(plain)
        ranges.append({"rule": rule, "days": weekly_ranges.day_list(plain), "first": min(plain, default=7)})
    ranges.sort(key=lambda item: (item["first"], item["rule"].start_time, item["rule"].pk))
    free = [n for n in range(7) if n not in covered]
    return ranges, weekly_ranges.day_list(free) if free else "", others


def _bank_holidays_form(partner, data=None):
    initial = {"nation": partner.nation, "works_bank_holidays": partner.works_bank_holidays}
    return BankHolidaysForm(data, initial=initial)


def _availability_page(request, form, holidays_form=None, status=200):
    partner = request.partner
    ranges, days_off, others = _week(partner)
    today = timezone.localdate()  # the partner's zone is active (partner_required)
    upcoming = bank_holidays.bank_holidays(partner.nation, today, today + timedelta(days=UPCOMING_DAYS))
    context = {
        "ranges": ranges,
        "days_off": days_off,
        "others": others,
        "form": form,
        "holidays_form": holidays_form or _bank_holidays_form(partner),
        "nation": dict(bank_holidays.NATIONS)[partner.nation],
        "upcoming_holidays": list(upcoming.items())[:UPCOMING_SHOWN],
        "nav": "availability",
    }
    return render(request, "bookings/workspace/availability.html", context, status=status)


@partner_required
def bank_holidays_save(request):
    if request.method != "POST":
        return _availability_page(request, WeeklyRangeForm())
    form = _bank_holidays_form(request.partner, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            partner_services.set_bank_holidays(
                request.partner,
                data["nation"],
                data["works_bank_holidays"],
                actor=request.user,
                now=timezone.now(),
            )
        except BookingError as exc:
            form.add_error(None, exc.message)
        else:
            if data["works_bank_holidays"]:
                messages.success(request, "Saved. People can book you on bank holidays too.")
            else:
                messages.success(request, "Saved. Nobody can book you on a bank holiday.")
            return redirect("workspace:availability")
    return _availability_page(request, WeeklyRangeForm(), holidays_form=form)


@partner_required
def availability(request):
    form = WeeklyRangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = partner_services.save_weekly_range(
                request.partner,
                weekdays=data["weekdays"],
                start_time=data["start_time"],
                end_time=data["end_time"],
                starts_on=timezone.localdate(),  # the partner's zone is active (partner_required)
                actor=request.user,
                now=timezone.now(),
            )
        except BookingError as exc:
            form.add_error(None, exc.message)
        else:
            days = weekly_ranges.day_list(data["weekdays"])
            messages.success(
                request,
                f"Added {format_clock(data['start_time'])} to {format_clock(data['end_time'])} on {days}"
                f" ({len(created)} range{'s' if len(created) != 1 else ''}).",
            )
            return redirect("workspace:availability")
    return _availability_page(request, form)


@partner_required
@owned(AvailabilityRule, url_kwarg="rule_id")
def range_change(request, rule):
    days = weekly_ranges.plain_weekly_days(rule.recurrence)
    if days is None:
        # Patterns such as "every other week" are set up by the team; changing them here would
        # quietly turn them into weekly ones.
        raise Http404()
    initial = {"weekdays": list(days), "start_time": rule.start_time, "end_time": rule.end_time}
    form = WeeklyRangeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            partner_services.save_weekly_range(
                request.partner,
                weekdays=data["weekdays"],
                start_time=data["start_time"],
                end_time=data["end_time"],
                rule=rule.pk,
                actor=request.user,
                now=timezone.now(),
            )
        except BookingError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Your free time is changed.")
            return redirect("workspace:availability")
    context = {"rule": rule, "days": weekly_ranges.day_list(days), "form": form, "nav": "availability"}
    return render(request, "bookings/workspace/range_change.html", context)


@partner_required
@owned(AvailabilityRule, url_kwarg="rule_id")
@post_only
def range_remove(request, rule):
    try:
        partner_services.remove_rule(request.partner, rule.pk, actor=request.user)
    except ObjectDoesNotExist:
        raise Http404() from None
    messages.success(
        request,
        f"Removed {format_clock(rule.start_time)} to {format_clock(rule.end_time)}."
        " Chats already booked then are kept.",
    )
    return redirect("workspace:availability")


@partner_required
def time_off(request):
    partner = request.partner
    now = timezone.now()
    form = TimeOffForm(request.POST or None, time_zone=partner.time_zone)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            partner_services.add_time_off(
                partner,
                start=data["start"],
                end=data["end"],
                now=now,
                reason=data["reason"],
                actor=request.user,
            )
        except BookingError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Your time off is saved. Nobody can book you during it.")
            return redirect("workspace:time_off")
    entries = list(TimeOff.objects.filter(partner=partner, end__gt=now).order_by("start", "pk"))
    # One query for every entry's clashes, not one per entry.
    chats = list(
        partner.bookings.blocking()
        .filter(blocked_end__gt=min(entry.start for entry in entries))
        .values_list("blocked_start", "blocked_end")
        if entries
        else []
    )
    context = {
        "entries": [
            (entry, sum(1 for start, end in chats if start < entry.end and end > entry.start))
            for entry in entries
        ],
        "form": form,
        "nav": "time_off",
    }
    return render(request, "bookings/workspace/time_off.html", context)


@partner_required
@owned(TimeOff, url_kwarg="time_off_id")
@post_only
def time_off_remove(request, entry):
    try:
        partner_services.remove_time_off(request.partner, entry.pk, actor=request.user, now=timezone.now())
    except ObjectDoesNotExist:
        raise Http404() from None
    messages.success(request, "That time off is removed.")
    return redirect("workspace:time_off")
