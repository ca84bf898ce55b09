"""The handheld apps' words, in the reader's language (the page hands them to the scripts
through json_script). Placeholders are %(name)s, filled in by the scripts."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from cases.models import RequestType, Status
from cases.workflow import TRANSITIONS


def _common() -> dict[str, Any]:
    return {
        "offline_error": _("No network. Try again when you have a signal."),
        "server_unavailable": _("The server could not answer; try again in a moment."),
        "photo_unavailable": _("Photo not available offline."),
        "photo_unreadable": _("That photo could not be read; try another."),
        "session_expired": _("Your login has expired or was ended; log in again."),
        "install_app": _("Install app"),
        "log_in": _("Log in"),
        "log_out": _("Log out"),
        "logout_needs_network": _(
            "Logging out needs the network (the login is ended on the server)."
        ),
        "logout_with_waiting": _(
            "%(n)s items are not sent yet and will be lost if you log out. Log out anyway?"
        ),
        "password": _("Password"),
        "tab_report": _("Report"),
        "tab_inbox": _("Messages"),
        "unread": _("Unread"),
        "unread_messages": _("unread messages"),
        "mark_all_read": _("Mark all read"),
        "no_messages": _("No messages yet."),
        "n_waiting": _("%(n)s waiting to send"),
        "all_sent": _("All sent"),
        "waiting_to_send": _("Waiting to send"),
        "try_again": _("Try again"),
        "saved_offline": _("Saved on this phone; it will be sent when the network is back."),
        "saved_copy": _("No network: showing what was saved at %(at)s."),
        "left": _("%(span)s left"),
        "overdue_by": _("Overdue by %(span)s"),
        "n_days": _("%(n)s d"),
        "n_hours": _("%(n)s h"),
        "n_minutes": _("%(n)s min"),
        "n_metres": _("%(n)s m"),
        "n_km": _("%(n)s km"),
        "n_photos": _("%(n)s photos"),
        "photo_n": _("Photo %(n)s"),
        "remove_photo_n": _("Remove photo %(n)s"),
        "take_photo": _("Take or choose photos"),
        "compressing": _("Making the photos smaller…"),
        "where": _("Where"),
        "drag_the_pin": _("Drag the pin to the exact spot"),
        "use_my_position": _("Use my position"),
        "no_position": _("Your position is not available; allow location or drag the pin."),
        "you_are_here": _("You are here"),
        "address_optional": _("Address or landmark (optional)"),
        "description": _("Description"),
        "describe_problem": _("Describe the problem."),
        "form_has_errors": _("Please check the marked fields."),
        "my_reports": _("My reports"),
        "status": {value: str(label) for value, label in Status.choices},
    }


def inspector_strings() -> dict[str, Any]:
    return {
        **_common(),
        "login_title": _("Inspector login"),
        "login_lead": _("Log in with your platform account. You stay logged in on this phone."),
        "username": _("Username"),
        "tab_today": _("Today"),
        "tab_patrol": _("Patrol"),
        "n_failed": _("%(n)s not accepted"),
        "not_sent": _("Not accepted"),
        "my_grids": _("My grids: %(names)s"),
        "no_grids": _("You have no grid posted to you."),
        "map_of_my_grids": _("Map of my grids and tasks"),
        "map_of_the_case": _("Map of the case and where you are"),
        "my_tasks": _("My tasks"),
        "no_tasks": _("No verify or check tasks now."),
        "no_reports": _("No reports yet."),
        "kind_verify": _("Verify"),
        "kind_check": _("Check"),
        "done_waiting": _("Done, waiting to send"),
        "back_to_today": _("‹ Back to today"),
        "photos_before": _("Photos when reported"),
        "photos_after_handling": _("Photos after handling"),
        "no_photos": _("No photos."),
        "no_task_now": _("This case has no task for you now."),
        "photo_on_site": _("Photo on site"),
        "photo_after": _("Photo after"),
        "verify_question": _("Is the problem there?"),
        "verify_found": _("Yes, found on site"),
        "verify_not_found": _("No, not found"),
        "check_question": _("Has it been fixed?"),
        "check_pass": _("Pass: fixed"),
        "check_fail": _("Fail: not fixed"),
        "note_optional": _("Note (optional)"),
        "reason_label": _("Reason (needed when it fails)"),
        "reason_needed": _("Say why the check fails."),
        "submit_task": _("Save and send"),
        "saved_sending": _("Saved; sending now."),
        "photos_of_problem": _("Photos of the problem"),
        "point_at": _("Point: %(lon)s, %(lat)s"),
        "inside_grid": _("Inside your grid %(name)s"),
        "outside_my_grids": _("Outside your grids: inspectors report in their own grids."),
        "item": _("Item"),
        "search_items": _("Search items by name or code"),
        "no_item_chosen": _("No item chosen yet."),
        "item_chosen": _("Chosen: %(name)s (%(code)s)"),
        "recent_items": _("Recently used"),
        "frequent_items": _("Often used"),
        "all_items": _("All items"),
        "no_items_match": _("No item matches."),
        "choose_item": _("Choose an item."),
        "dictate": _("Dictate"),
        "listening": _("Listening… speak now."),
        "dictation_failed": _("Dictation did not work; please type."),
        "self_handled_label": _("I fixed it on the spot (self-handled)"),
        "self_handled_hint": _(
            "The case is reported and closed at once; add a photo of the result."
        ),
        "how_handled": _("How it was handled"),
        "save_and_send": _("Save and send"),
        "report_short": _("Report"),
        "self_handled_short": _("Self-handled"),
        "start_duty": _("Start duty"),
        "stop_duty": _("Stop duty"),
        "duty_started": _("On duty: your position is recorded."),
        "duty_stopped": _("Off duty."),
        "on_duty_since": _("On duty since %(at)s"),
        "off_duty": _("Off duty"),
        "gps_waiting": _("Waiting for the GPS signal…"),
        "gps_ok": _("GPS signal: accurate to %(m)s m."),
        "gps_lost": _(
            "No GPS signal since %(at)s. You are still on duty; the track goes on when the "
            "signal is back."
        ),
        "gps_denied": _(
            "This app may not use your location, so the patrol cannot be recorded. Allow "
            "location for this site in the browser's settings."
        ),
        "gps_unsupported": _(
            "This browser cannot give a position, so a patrol cannot be recorded."
        ),
        "patrol_hint": _(
            "While on duty and this app is open, your position is recorded every few seconds "
            "and sent in batches."
        ),
        "todays_track": _("Today's track"),
        "distance_today": _("Distance today"),
        "fixes_today": _("Positions today"),
        "fixes_waiting": _("Positions waiting"),
        "fixes_waiting_n": _("%(n)s positions waiting to send."),
        "track_offline": _("No network: the track shows what this phone knows."),
        "outbox_title": _("Waiting to send"),
        "outbox_online": _("Sent in the order they were made; each is counted once."),
        "outbox_offline": _("No network: these are kept on this phone and sent when it is back."),
        "nothing_waiting": _("Nothing is waiting: everything has been sent."),
        "discard": _("Discard"),
        "discard_confirm": _("Discard this item? It will not be sent."),
        "send_now": _("Send now"),
        "still_offline": _("Still no network."),
        "actions": {str(action): str(row.label) for action, row in TRANSITIONS.items()},
    }


def citizen_strings() -> dict[str, Any]:
    return {
        **_common(),
        "tab_map": _("Map"),
        "tab_mine": _("Mine"),
        "my_account": _("My account"),
        "map_lead": _(
            "Reports near you. Move the map so the cross is on the problem, then report it."
        ),
        "map_of_reports": _("Map of reports nearby"),
        "report_here": _("Report a problem here"),
        "legend_open": _("Being handled"),
        "legend_closed": _("Closed"),
        "reports_here": _("Reported here lately"),
        "n_reports_in_view": _("%(n)s reports in this part of the map."),
        "no_reports_in_view": _("Nothing reported in this part of the map lately."),
        "reported_at": _("Reported"),
        "account_lead": _("An account lets you follow your reports and hear when they are fixed."),
        "log_in_with_code": _("Log in with a code"),
        "register": _("Register"),
        "register_title": _("Register with your phone"),
        "phone": _("Mobile phone"),
        "code": _("Verification code"),
        "send_code": _("Send code"),
        "code_sent": _("Code sent by SMS."),
        "dev_code": _("Development install: the code is %(code)s"),
        "choose_password": _("Choose a password"),
        "password_hint": _("At least 8 characters, not only digits."),
        "name_optional": _("Your name (optional, never published)"),
        "notifications": _("Notifications"),
        "notification_settings": _("Notification settings"),
        "push_unavailable": _(
            "This browser or server cannot send notifications; see Messages in the app."
        ),
        "push_on": _("This phone is told when your reports change."),
        "push_off": _("Turn on to be told on this phone when your reports change."),
        "push_turn_on": _("Turn on notifications"),
        "push_turn_off": _("Turn off notifications"),
        "push_denied": _("Notifications are blocked in the browser's settings."),
        "category": _("What is the problem?"),
        "search_categories": _("Search, e.g. rubbish, manhole, lamp"),
        "no_category_chosen": _("Nothing chosen yet."),
        "category_chosen": _("Chosen: %(name)s"),
        "no_categories_match": _("Nothing matches; try another word."),
        "choose_category": _("Choose what the problem is."),
        "request_type": _("This is"),
        "request_types": {value: str(label) for value, label in RequestType.choices},
        "description_hint": _("What, and exactly where. Do not write phone or ID numbers."),
        "photos_optional": _("Photos (optional, up to 6)"),
        "drag_the_pin_hint": _("Drag the pin or tap the map to put it on the spot."),
        "same_kind_title": _("Is it one of these? Already reported nearby:"),
        "same_kind_hint": _("If it is, you need not report it again."),
        "send_report": _("Send report"),
        "report_sending": _("Thank you! Your report is being sent."),
        "no_reports_yet": _("You have not reported anything yet."),
        "please_rate": _("Closed: please rate how it was handled"),
        "back_to_mine": _("‹ Back to my reports"),
        "timeline": _("What happened"),
        "your_rating": _("Your rating"),
        "rating_waiting": _("Your rating is waiting to be sent."),
        "rate_title": _("How was it handled?"),
        "rate_question": _("Stars, from 1 (bad) to 5 (very good)"),
        "n_of_5": _("%(n)s of 5"),
        "comment_optional": _("Comment (optional)"),
        "send_rating": _("Send rating"),
        "choose_stars": _("Choose 1 to 5 stars."),
        "rating_of": _("Rating: %(name)s"),
    }
