"""``scalpernet nightly``: run a pass on the configured cron schedule until stopped.

APScheduler's BlockingScheduler with a CronTrigger (default ``0 2 * * *`` in Asia/Shanghai).
One job, never two at once; a run missed while the host slept still happens if it is less
than an hour late (several missed runs make one). Each pass is independent: a failed or
refused pass is logged and the service waits for the next time.
"""

from __future__ import annotations

import logging
import signal
from datetime import datetime
from types import FrameType

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

from scalpernet.config import Settings
from scalpernet.errors import InputError
from scalpernet.nightly.lock import PassLocked
from scalpernet.nightly.passes import nightly_zone, run_pass

log = logging.getLogger(__name__)

#: A run missed by less than this (host asleep, service restarted) still happens.
MISFIRE_GRACE_S = 3600


_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _cron_day(token: str) -> int:
    token = token.strip().lower()
    if token.isdigit() and 0 <= int(token) <= 7:
        return int(token)
    if token[:3] in _CRON_DAYS:
        return _CRON_DAYS.index(token[:3])
    raise ValueError(f"{token!r} is not a weekday (0-7 or sun-sat)")


def cron_weekdays(field: str) -> str:
    """A cron weekday field (0 or 7 = Sunday) as APScheduler weekday names.

    APScheduler 3 counts weekdays from Monday = 0, so handing it cron's numbers as they are
    (as its own ``from_crontab`` does) shifts every numbered weekday by one: ``1-5`` would
    run Tuesday to Saturday. The field is expanded to names instead.
    """
    if field in ("*", "?"):
        return "*"
    days: set[int] = set()
    for part in field.split(","):
        span, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"bad step in {part!r}")
        if span == "*":
            first, last = 0, 6
        elif "-" in span:
            first, last = (_cron_day(t) for t in span.split("-", 1))
        else:
            first = last = _cron_day(span)
            if step_text:  # "1/2": from Monday, every other day
                last = 6
        if first > last:
            raise ValueError(f"backwards range {part!r}")
        days.update(d % 7 for d in range(first, last + 1, step))
    return ",".join(_CRON_DAYS[d] for d in (1, 2, 3, 4, 5, 6, 0) if d in days)


def schedule_trigger(settings: Settings) -> CronTrigger:
    """The cron trigger of ``SCALPERNET_NIGHTLY_CRON`` in ``SCALPERNET_NIGHTLY_TZ``.

    Fields as in crontab(5): minute hour day-of-month month weekday. When both day-of-month
    and weekday are restricted, APScheduler runs on days matching both (cron: either).
    """
    zone = nightly_zone(settings)
    try:
        fields = settings.nightly_cron.split()
        if len(fields) != 5:
            raise ValueError(f"5 fields expected, got {len(fields)}")
        minute, hour, day, month, weekday = fields
        return CronTrigger(minute=minute, hour=hour, day=day, month=month,
                           day_of_week=cron_weekdays(weekday), timezone=zone)
    except ValueError as exc:
        raise InputError(f"SCALPERNET_NIGHTLY_CRON={settings.nightly_cron!r} is not a cron "
                         f"expression (minute hour day month weekday): {exc}") from None


def scheduled_pass(settings: Settings) -> None:
    """One scheduled pass; every outcome is logged, none stops the service."""
    try:
        outcome = run_pass(settings)
    except PassLocked as exc:
        log.warning("%s", exc)
        return
    except Exception:
        log.exception("nightly pass crashed")
        return
    level = logging.INFO if outcome.exit_code == 0 else logging.ERROR
    log.log(level, "%s", outcome.summary())


def build_scheduler(settings: Settings) -> BlockingScheduler:
    trigger = schedule_trigger(settings)
    scheduler = BlockingScheduler(timezone=trigger.timezone)
    scheduler.add_job(scheduled_pass, trigger, args=[settings], id="nightly-pass",
                      name="nightly pass", max_instances=1, coalesce=True,
                      misfire_grace_time=MISFIRE_GRACE_S)
    return scheduler


def serve(settings: Settings) -> None:
    """Block, running passes on schedule, until SIGTERM or SIGINT."""
    scheduler = build_scheduler(settings)
    trigger = schedule_trigger(settings)

    def stop(signum: int, frame: FrameType | None) -> None:
        # PID 1 in a container ignores SIGTERM without a handler: docker stop would hang.
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    first = trigger.get_next_fire_time(None, datetime.now(trigger.timezone))
    log.info("nightly service: cron %r in %s, drop folder %s; first pass at %s",
             settings.nightly_cron, settings.nightly_timezone, settings.drop_dir,
             first.isoformat() if first else "never")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("nightly service stopping")
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=False)
