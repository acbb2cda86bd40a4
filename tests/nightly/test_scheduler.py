"""The schedule (cron in Asia/Shanghai), its settings, and the service starting and stopping."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from scalpernet.config import PROJECT_ROOT, Settings
from scalpernet.errors import InputError
from scalpernet.nightly.scheduler import build_scheduler, cron_weekdays, schedule_trigger
from tests.nightly.conftest import Drop

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_default_schedule_is_two_in_the_morning_in_shanghai(tmp_path: Path) -> None:
    settings = Settings(SCALPERNET_DATA_DIR=tmp_path)
    trigger = schedule_trigger(settings)
    noon = datetime(2026, 3, 5, 12, 0, tzinfo=SHANGHAI)
    assert trigger.get_next_fire_time(None, noon) == datetime(2026, 3, 6, 2, 0, tzinfo=SHANGHAI)
    job = build_scheduler(settings).get_jobs()[0]
    assert job.max_instances == 1 and job.coalesce


def test_settings_from_the_environment(tmp_path: Path) -> None:
    settings = Settings(SCALPERNET_DATA_DIR=tmp_path, SCALPERNET_NIGHTLY_CRON="30 1 * * 1-5",
                        SCALPERNET_NIGHTLY_RETRY_WAITS="1, 2.5", SCALPERNET_DROP_SETTLE_S="5")
    assert settings.drop_dir == tmp_path / "drop"  # default beside the data
    assert settings.nightly_retry_waits == (1.0, 2.5) and settings.drop_settle_s == 5.0
    friday = datetime(2026, 3, 6, 12, 0, tzinfo=SHANGHAI)
    assert schedule_trigger(settings).get_next_fire_time(None, friday) == datetime(
        2026, 3, 9, 1, 30, tzinfo=SHANGHAI)


def test_bad_cron_or_zone_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="SCALPERNET_NIGHTLY_CRON"):
        schedule_trigger(Settings(SCALPERNET_DATA_DIR=tmp_path, SCALPERNET_NIGHTLY_CRON="2am"))
    with pytest.raises(InputError, match="SCALPERNET_NIGHTLY_TZ"):
        schedule_trigger(Settings(SCALPERNET_DATA_DIR=tmp_path, SCALPERNET_NIGHTLY_TZ="Mars/Base"))


def test_the_service_waits_for_its_time_and_stops_on_sigterm(drop: Drop) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "scalpernet", "nightly"], env=drop.env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        line = ""
        for line in proc.stderr:  # apscheduler says a word of its own first
            if "nightly service" in line:
                break
        assert "nightly service: cron '0 2 * * *' in Asia/Shanghai" in line
        assert "T02:00:00+08:00" in line
        time.sleep(0.5)
        assert proc.poll() is None  # still waiting for 02:00
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_compose_nightly_service_runs_the_scheduler_on_the_drop_volume() -> None:
    compose = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    nightly = compose["services"]["nightly"]
    assert nightly["command"] == ["scalpernet", "nightly"]
    drop_dir = nightly["environment"]["SCALPERNET_DROP_DIR"]
    assert f"drop:{drop_dir}" in nightly["volumes"] and "drop" in compose["volumes"]
    assert nightly["environment"]["NEO4J_URI"] == "bolt://neo4j:7687"


@pytest.mark.parametrize(("field", "names"), [
    ("*", "*"), ("1-5", "mon,tue,wed,thu,fri"), ("0", "sun"), ("7", "sun"),
    ("0,6", "sat,sun"), ("5-7", "fri,sat,sun"), ("*/2", "tue,thu,sat,sun"),
    ("mon-wed", "mon,tue,wed"), ("SAT", "sat")])
def test_cron_weekday_numbers_mean_what_cron_means(field: str, names: str) -> None:
    assert cron_weekdays(field) == names


def test_bad_weekday_is_refused() -> None:
    for field in ("8", "5-1", "funday", "1/0"):
        with pytest.raises(ValueError):
            cron_weekdays(field)
