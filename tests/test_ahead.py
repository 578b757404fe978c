"""Items made in worker threads ahead of the caller (:mod:`bot.ahead`): taken in turn and in
order, errors raised where the item would have been taken, workers stopped when the caller
stops taking."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from bot.ahead import made_ahead


def test_items_come_in_turn_in_the_order_of_each_work() -> None:
    days = list(range(11))
    with made_ahead([days[0::3], days[1::3], days[2::3]], depth=2) as taken:
        assert list(taken) == days


def test_each_work_is_made_in_its_own_thread() -> None:
    def makers(count: int) -> Iterator[threading.Thread]:
        for _ in range(count):
            yield threading.current_thread()

    with made_ahead([makers(2), makers(2)], depth=1) as taken:
        made = list(taken)
    assert threading.current_thread() not in made
    assert made[0] is made[2] and made[1] is made[3] and made[0] is not made[1]


def test_an_error_is_raised_where_its_item_would_have_been_taken() -> None:
    def failing() -> Iterator[int]:
        yield 1
        raise ValueError("broken day")

    taken_before: list[int] = []
    with pytest.raises(ValueError, match="broken day"), made_ahead([failing()], 1) as taken:
        taken_before.extend(taken)
    assert taken_before == [1]


def test_a_caller_that_stops_taking_stops_the_workers() -> None:
    made: list[int] = []

    def endless() -> Iterator[int]:
        number = 0
        while True:
            made.append(number)
            yield number
            number += 1

    before = threading.active_count()
    with made_ahead([endless()], depth=2) as taken:
        assert next(taken) == 0
    assert threading.active_count() == before
    assert len(made) <= 5  # the one taken, two waiting, one being put, one being made
