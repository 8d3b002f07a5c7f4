"""The requests each scenario sends (built ahead of time, so the load generator only replays)."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from bench.config import (
    CREATE_DAYS,
    HOT_DAY,
    HOURS,
    SEARCH_DAY,
    SEARCH_HOURS,
    WINDOW_DAYS,
    WINDOW_START_DAY,
    Config,
    resource_id,
)
from bench.load import Req

COLD_OFFSETS_MIN = range(0, 24 * 60, 30)  # 48 distinct week windows per resource


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


class Requests:
    def __init__(self, cfg: Config, tokens: list[str]) -> None:
        self.cfg, self.tokens = cfg, tokens
        self.rng = random.Random(11)
        self._creates = self._create_slots(cfg.layout.bookable)
        self._probe_creates = self._create_slots(cfg.layout.probes)
        self._token_turn = 0
        self.hot_races = 0

    # --- reads ---

    def availability(self, index: int, offset_min: int = 0) -> Req:
        start = self.cfg.at(WINDOW_START_DAY) + timedelta(minutes=offset_min)
        end = start + timedelta(days=WINDOW_DAYS)
        return Req("GET", f"/api/v1/resources/{resource_id(index)}/availability?start={iso(start)}&end={iso(end)}")

    def availability_cold(self, resources: range | list[int], limit: int | None = None) -> list[Req]:
        """A different cache key every request: (resource, window) pairs never repeated."""
        reqs = [self.availability(r, offset) for offset in COLD_OFFSETS_MIN for r in resources]
        return reqs[:limit] if limit else reqs

    def search(self, day: int = SEARCH_DAY, hours: tuple[int, int] = SEARCH_HOURS, quantity: int = 1) -> Req:
        start, end = self.cfg.at(day, hours[0]), self.cfg.at(day, hours[1])
        return Req("GET", f"/api/v1/resources?available_from={iso(start)}&available_to={iso(end)}&quantity={quantity}")

    def searches(self) -> list[Req]:
        days = range(WINDOW_START_DAY, WINDOW_START_DAY + WINDOW_DAYS)
        return [self.search(d, h, q) for d in days for h in ((10, 12), (14, 16)) for q in (1, 2)]

    # --- writes ---

    def _create_slots(self, resources: range) -> Iterator[tuple[int, int, int]]:
        for day in range(*CREATE_DAYS):
            for hour in HOURS:
                for r in resources:
                    yield r, day, hour

    def _token(self) -> str:
        self._token_turn += 1
        return self.tokens[self._token_turn % len(self.tokens)]

    def booking(self, index: int, start: datetime, token: str) -> Req:
        body = {
            "resource": str(resource_id(index)),
            "start": iso(start),
            "end": iso(start + timedelta(hours=1)),
            "confirm": True,
        }
        return Req("POST", "/api/v1/bookings", token, json.dumps(body, separators=(",", ":")))

    def creates(self, count: int, *, on_probes: bool = False) -> list[Req]:
        """``count`` bookings on (resource, slot) pairs never used before: uncontended."""
        source = self._probe_creates if on_probes else self._creates
        reqs = []
        for _ in range(count):
            r, day, hour = next(source)
            reqs.append(self.booking(r, self.cfg.at(day, hour), self._token()))
        return reqs

    def hot(self, index: int, clients: int) -> tuple[list[Req], datetime]:
        """``clients`` different customers asking for the same slot."""
        start = self.cfg.at(HOT_DAY, HOURS[self.hot_races % len(HOURS)])
        self.hot_races += 1
        return [self.booking(index, start, self.tokens[i % len(self.tokens)]) for i in range(clients)], start

    # --- mixed ---

    def mixed(self, count: int) -> list[Req]:
        """80 % reads (60 % availability of probe resources, mostly cache hits that writes to
        the same resources invalidate; 20 % search), 20 % booking creates (half on probes)."""
        probes = self.cfg.layout.probes
        searches = self.searches()
        reqs = []
        for _ in range(count):
            roll = self.rng.random()
            if roll < 0.6:
                reqs.append(self.availability(self.rng.choice(probes)))
            elif roll < 0.8:
                reqs.append(self.rng.choice(searches))
            else:
                reqs.extend(self.creates(1, on_probes=self.rng.random() < 0.5))
        return reqs
