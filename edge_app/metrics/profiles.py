"""Age profiles: speed-zone, sprint and acceleration thresholds.

Every number here is a default that a coach may override per player (`get_profile(name, overrides)`).

Sources (the numbers written next to each profile below):

* Adult: Bradley et al. 2009, J Sports Sci 27(2):159-168 ("High-intensity running in English FA Premier
  League soccer matches"): walking 0.7-7.1, jogging 7.2-14.3, running 14.4-19.7, high-speed running
  19.8-25.1, sprinting >= 25.2 km/h. Di Salvo et al. 2007 (Int J Sports Med 28:222-227) use a similar
  ladder. ARCHITECTURE §4 rounds it to walk < 7.2, jog 7.2-14.4, run 14.4-19.8, hsr 19.8-25.2, sprint > 25.2.
* Youth: Harley et al. 2010, J Sports Sci 28(13):1391-1397 ("Motion analysis of match-play in elite U12
  to U16 age-group soccer players") normalise the velocity thresholds *per age group* by that group's
  sprint speed (mean squad flying-10 m time: U13 1.52 s, U15 1.35 s, U16 1.31 s). We follow that method:
  every adult boundary is multiplied by (age-group peak speed / adult peak speed). The peak speeds are
  approximations taken from the literature, not measured by us:
    - adult reference peak speed ~ 32 km/h (elite adult match/test peaks of 31-34 km/h);
    - U17 ~ 29.5 km/h (maximal sprinting speed of U17 academy players, Mendez-Villanueva et al. 2011,
      J Sports Sci 29(5):477-484, report ~ 29-30 km/h for U16-U17);
    - U15 ~ 26.5 km/h (match peak speed of U15 players, Atan, Foskett & Ali 2016, J Strength Cond Res
      30(9):2416-2423: 26.5 ± 1.7 km/h);
    - U13 ~ 24 km/h (Atan et al. 2016: 23.5 ± 1.7 km/h in matches; flying 10 m of 1.52 s in Harley et al.
      2010 is 23.7 km/h; the issue quotes "about 25 km/h").
  Scale factors (rounded): u17 0.92, u15 0.83, u13 0.75. Cross-check: the U13 sprint threshold this gives
  (18.9 km/h) sits where youth studies with fixed thresholds put sprinting (Buchheit et al. 2010, Int J
  Sports Med 31(11):818-825: sprinting > 19 km/h for U13-U18; Castagna et al. 2009, J Strength Cond Res
  23(7):1954-1959: > 18 km/h for U14).
* Relative mode: the thresholds are fractions of each player's own top speed (individualised thresholds,
  as in Mendez-Villanueva et al. 2013, PLoS ONE 8(9):e75756, and Abbott, Brickley & Smeeton 2018, Int J
  Sports Sci Coach 13(3):421-428). The default fractions are simply the adult boundaries divided by the
  adult reference peak speed (7.2/32, 14.4/32, 19.8/32, 25.2/32 ≈ 0.23, 0.45, 0.62, 0.79): an
  approximation chosen for consistency with the absolute profiles, not a value any single paper prescribes.
* Sprint hysteresis (exit = entry - 1.8 km/h, i.e. 0.5 m/s) is an engineering choice against flicker
  around the threshold, not a literature value. The 1.0 s minimum sprint duration and |a| >= 3 m/s² for
  >= 0.5 s come from ARCHITECTURE §4 (common practice in GPS/optical tracking reports).
* 12.5 m/s (45 km/h) is above any human running speed: faster samples are tracking errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from edge_app.errors import AxolotlError
from edge_app.summary import ProfileInfo

KMH = 1 / 3.6  # km/h -> m/s
ZONE_NAMES = ("walk", "jog", "run", "hsr", "sprint")
ADULT_REFERENCE_PEAK_KMH = 32.0  # approximate adult peak speed used for the youth scaling and relative fractions


class Profile(BaseModel):
    """Thresholds for one age group (or one player, after overrides). Speeds in km/h, accelerations in m/s²."""

    model_config = ConfigDict(extra="forbid")

    name: str
    mode: Literal["absolute", "relative"] = "absolute"
    # absolute mode: zone lower bounds (walk starts at 0)
    jog_kmh: float = 7.2
    run_kmh: float = 14.4
    hsr_kmh: float = 19.8
    sprint_kmh: float = 25.2
    sprint_entry_kmh: float | None = None  # default: sprint_kmh
    sprint_exit_kmh: float | None = None  # default: entry - 1.8 km/h
    # relative mode: fractions of the player's own top speed
    jog_frac: float = 0.23
    run_frac: float = 0.45
    hsr_frac: float = 0.62
    sprint_frac: float = 0.79
    sprint_exit_frac: float = 0.74
    reference_top_speed_kmh: float | None = None  # the player's tested top speed; default: the session's
    relative_floor_kmh: float = 18.0  # relative mode uses at least this top speed (a walk must not be a "sprint")
    # efforts
    sprint_min_duration_s: float = 1.0
    accel_threshold_ms2: float = 3.0
    accel_min_duration_s: float = 0.5
    max_speed_ms: float = 12.5
    source: str = ""

    @model_validator(mode="after")
    def _check(self) -> "Profile":
        if self.sprint_entry_kmh is None:
            self.sprint_entry_kmh = self.sprint_kmh
        if self.sprint_exit_kmh is None:
            self.sprint_exit_kmh = round(self.sprint_entry_kmh - 1.8, 3)
        if not 0 < self.jog_kmh < self.run_kmh < self.hsr_kmh < self.sprint_kmh:
            raise ValueError("zone bounds must increase: 0 < jog < run < hsr < sprint")
        if not 0 < self.jog_frac < self.run_frac < self.hsr_frac < self.sprint_frac <= 1:
            raise ValueError("relative fractions must increase: 0 < jog < run < hsr < sprint <= 1")
        if not 0 < self.sprint_exit_kmh <= self.sprint_entry_kmh:
            raise ValueError("sprint exit threshold must be positive and not above the entry threshold")
        if not 0 < self.sprint_exit_frac <= self.sprint_frac:
            raise ValueError("sprint_exit_frac must be positive and not above sprint_frac")
        for f in (
            "sprint_min_duration_s",
            "accel_threshold_ms2",
            "accel_min_duration_s",
            "max_speed_ms",
            "relative_floor_kmh",
        ):
            if getattr(self, f) <= 0:
                raise ValueError(f"{f} must be > 0")
        return self

    def thresholds(self, top_speed_ms: float | None = None) -> "Thresholds":
        """The thresholds in m/s (m/s²) for a player whose own top speed is `top_speed_ms` (relative mode)."""
        if self.mode == "absolute":
            lowers = (0.0, self.jog_kmh * KMH, self.run_kmh * KMH, self.hsr_kmh * KMH, self.sprint_kmh * KMH)
            entry, exit_ = self.sprint_entry_kmh * KMH, self.sprint_exit_kmh * KMH
        else:
            top = self.reference_top_speed_kmh * KMH if self.reference_top_speed_kmh else (top_speed_ms or 0.0)
            top = max(top, self.relative_floor_kmh * KMH)
            lowers = (0.0, self.jog_frac * top, self.run_frac * top, self.hsr_frac * top, self.sprint_frac * top)
            entry, exit_ = self.sprint_frac * top, self.sprint_exit_frac * top
        return Thresholds(
            lowers, entry, exit_, self.sprint_min_duration_s, self.accel_threshold_ms2, self.accel_min_duration_s
        )

    def info(self) -> ProfileInfo:
        """The profile as the session summary records it (thresholds in m/s; fractions in relative mode)."""
        if self.mode == "absolute":
            t = self.thresholds()
            th = {f"{n}_lower_ms": round(v, 4) for n, v in zip(ZONE_NAMES, t.zone_lowers)}
            th |= {"sprint_entry_ms": round(t.sprint_entry, 4), "sprint_exit_ms": round(t.sprint_exit, 4)}
        else:
            th = {f"{n}_fraction": getattr(self, f"{n}_frac") for n in ZONE_NAMES[1:]}
            th["sprint_exit_fraction"] = self.sprint_exit_frac
            if self.reference_top_speed_kmh:
                th["reference_top_speed_ms"] = round(self.reference_top_speed_kmh * KMH, 4)
        th |= {
            "sprint_min_duration_s": self.sprint_min_duration_s,
            "accel_ms2": self.accel_threshold_ms2,
            "accel_min_duration_s": self.accel_min_duration_s,
            "max_speed_ms": self.max_speed_ms,
        }
        return ProfileInfo(name=self.name, mode=self.mode, thresholds=th)


@dataclass(frozen=True)
class Thresholds:
    zone_lowers: tuple[float, float, float, float, float]  # m/s: walk, jog, run, hsr, sprint
    sprint_entry: float
    sprint_exit: float
    sprint_min_duration: float
    accel: float
    accel_min_duration: float

    @property
    def hsr(self) -> float:
        return self.zone_lowers[3]


def _scaled(name: str, factor: float, source: str) -> Profile:
    r = lambda v: round(v * factor, 1)  # noqa: E731
    return Profile(name=name, jog_kmh=r(7.2), run_kmh=r(14.4), hsr_kmh=r(19.8), sprint_kmh=r(25.2), source=source)


_ADULT_SRC = "Bradley et al. 2009 J Sports Sci 27:159-168; Di Salvo et al. 2007 Int J Sports Med 28:222-227"
_YOUTH_SRC = (
    "adult zones x (age-group peak speed / ~32 km/h adult peak), the per-age-group normalisation of "
    "Harley et al. 2010 J Sports Sci 28:1391-1397; peak speeds: {}"
)

PROFILES: dict[str, Profile] = {
    # adult: walk < 7.2, jog 7.2-14.4, run 14.4-19.8, hsr 19.8-25.2, sprint > 25.2 km/h
    "adult": Profile(name="adult", source=_ADULT_SRC),
    # u17 (x0.92, peak ~29.5 km/h): jog 6.6, run 13.2, hsr 18.2, sprint 23.2 km/h
    "u17": _scaled(
        "u17",
        0.92,
        _YOUTH_SRC.format("U17 ~29.5 km/h, Mendez-Villanueva et al. 2011 J Sports Sci 29:477-484 (approx.)"),
    ),
    # u15 (x0.83, peak ~26.5 km/h): jog 6.0, run 12.0, hsr 16.4, sprint 20.9 km/h
    "u15": _scaled("u15", 0.83, _YOUTH_SRC.format("U15 26.5 km/h, Atan et al. 2016 J Strength Cond Res 30:2416-2423")),
    # u13 (x0.75, peak ~24 km/h): jog 5.4, run 10.8, hsr 14.9, sprint 18.9 km/h
    # (cf. Buchheit et al. 2010: youth sprinting > 19 km/h)
    "u13": _scaled(
        "u13",
        0.75,
        _YOUTH_SRC.format("U13 23.5 km/h, Atan et al. 2016; flying 10 m 1.52 s (23.7 km/h), Harley et al. 2010"),
    ),
}


def get_profile(name: str | Profile = "adult", overrides: dict | None = None) -> Profile:
    """A named profile (adult, u17, u15, u13), optionally with some fields overridden (e.g. for one player).

    `overrides` may hold any Profile field, e.g. {"mode": "relative"} or {"sprint_kmh": 24.0}.
    Unknown names or fields raise a one-line AxolotlError.
    """
    if isinstance(name, Profile):
        base = name
    else:
        key = str(name).lower()
        if key not in PROFILES:
            raise AxolotlError(f"unknown profile '{name}'; choose one of {', '.join(PROFILES)}")
        base = PROFILES[key]
    if not overrides:
        return base
    data = base.model_dump()
    # the derived sprint entry/exit follow an overridden sprint bound unless they are overridden themselves
    if "sprint_kmh" in overrides or "sprint_entry_kmh" in overrides:
        data.setdefault("sprint_entry_kmh", None)
        if "sprint_entry_kmh" not in overrides:
            data["sprint_entry_kmh"] = None
        if "sprint_exit_kmh" not in overrides:
            data["sprint_exit_kmh"] = None
    data.update(overrides)
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "profile"
        raise AxolotlError(f"profile override for '{base.name}' is invalid at '{where}': {err['msg']}") from None
