"""Schedule views: conference days by local date and a room x time grid for each day.

A conference day starts at DAY_START_HOUR local time (as in pretalx), so a party that runs
until 01:00 stays on the day it began, and a session at 02:00 belongs to the previous day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from eventsite.model.entities import Room, Session

DAY_START_HOUR = 4
SLOT_MINUTES = 5


@dataclass(slots=True)
class GridItem:
    session: Session
    column: int  # 1-based, after the time column
    row: int  # 1-based, in SLOT_MINUTES rows from the grid start
    span: int


@dataclass(slots=True)
class GridColumn:
    room: Room | None  # None: sessions without a room
    lanes: int


@dataclass(slots=True)
class Day:
    index: int
    date: date
    sessions: list[Session] = field(default_factory=list)
    columns: list[GridColumn] = field(default_factory=list)
    items: list[GridItem] = field(default_factory=list)
    grid_start: datetime | None = None
    rows: int = 0
    time_labels: list[tuple[int, datetime]] = field(default_factory=list)

    @property
    def start(self) -> datetime | None:
        return self.sessions[0].start if self.sessions else None

    @property
    def end(self) -> datetime | None:
        ends = [s.end or s.start for s in self.sessions if s.start]
        return max(ends) if ends else None


def conference_date(moment: datetime) -> date:
    return (moment - timedelta(hours=DAY_START_HOUR)).date()


def group_days(sessions: list[Session], rooms: list[Room]) -> list[Day]:
    """Days with their sessions (already in schedule order) and grid layout."""
    by_date: dict[date, list[Session]] = {}
    for session in sessions:
        if session.start is not None:
            by_date.setdefault(conference_date(session.start), []).append(session)
    days = [Day(index=i, date=d, sessions=by_date[d]) for i, d in enumerate(sorted(by_date), 1)]
    for day in days:
        _layout(day, rooms)
    return days


def unscheduled(sessions: list[Session]) -> list[Session]:
    return [s for s in sessions if s.start is None]


def _layout(day: Day, rooms: list[Room]) -> None:
    first = min(s.start for s in day.sessions if s.start)
    grid_start = first.replace(minute=first.minute - first.minute % 30, second=0, microsecond=0)
    day_end = grid_start.replace(hour=0, minute=0) + timedelta(days=1, hours=DAY_START_HOUR)
    lanes_by_room: dict[str | None, list[list[Session]]] = {}
    for session in day.sessions:
        key = session.room.id if session.room else None
        _place(lanes_by_room.setdefault(key, []), session)
    column = 1
    room_order = [r for r in rooms if r.id in lanes_by_room]
    if None in lanes_by_room:
        room_order.append(None)  # type: ignore[arg-type]
    last_row = 1
    for room in room_order:
        lanes = lanes_by_room[room.id if room else None]
        day.columns.append(GridColumn(room=room, lanes=len(lanes)))
        for lane_number, lane in enumerate(lanes):
            for session in lane:
                assert session.start is not None
                row = _row(grid_start, session.start)
                end = min(session.end or session.start, day_end)
                span = max(_row(grid_start, end) - row, 15 // SLOT_MINUTES)
                day.items.append(GridItem(session, column + lane_number, row, span))
                last_row = max(last_row, row + span)
        column += len(lanes)
    day.grid_start = grid_start
    day.rows = last_row - 1
    day.items.sort(key=lambda item: (item.row, item.column))
    step = 30 // SLOT_MINUTES
    day.time_labels = [
        (row, grid_start + timedelta(minutes=(row - 1) * SLOT_MINUTES))
        for row in range(1, last_row, step)
    ]


def _row(grid_start: datetime, moment: datetime) -> int:
    minutes = (moment - grid_start).total_seconds() / 60
    return int(minutes // SLOT_MINUTES) + 1


def _place(lanes: list[list[Session]], session: Session) -> None:
    """Put a session in the first lane of its room where it overlaps nothing."""
    for lane in lanes:
        last = lane[-1]
        if (last.end or last.start).timestamp() <= session.start.timestamp():  # type: ignore[union-attr]
            lane.append(session)
            return
    lanes.append([session])
