"""The data's weeks as Monday-keyed weekly partitions, one data week each."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from orchestration.partitions import WEEK_PARTITIONS, partition_of_week, week_of_partition

pytestmark = pytest.mark.unit


def test_there_is_one_partition_per_data_week() -> None:
    keys = WEEK_PARTITIONS.get_partition_keys()

    assert len(keys) == 53
    assert (keys[0], keys[-1]) == ("2016-12-26", "2017-12-25")


def test_week_one_is_the_partition_holding_sunday_2017_01_01() -> None:
    window = WEEK_PARTITIONS.time_window_for_partition_key(partition_of_week(1))

    assert window.start.date() <= date(2017, 1, 1) < window.end.date()
    assert window.end.date() == date(2017, 1, 2)


@pytest.mark.parametrize("week", [2, 12, 53])
def test_a_later_week_starts_on_the_monday_the_dbt_macro_gives(week: int) -> None:
    dbt_week_start = date(2017, 1, 2) + timedelta(weeks=week - 2)

    assert partition_of_week(week) == dbt_week_start.isoformat()
    assert week_of_partition(partition_of_week(week)) == week


def test_a_week_outside_the_data_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="week 54 is outside the data's weeks 1-53"):
        partition_of_week(54)
