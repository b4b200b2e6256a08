"""Satellite passes over a target: a small circular-orbit model of the Capella constellation.

Each spacecraft flies a circular orbit at 525 km in its orbital plane (inclination 45, 53 or 97.5 degrees,
the last sun-synchronous through the J2 drift of its node). Its node and phase are drawn from the seed, so
passes are deterministic. Once per revolution the ground track comes closest to the target; that moment
is an *access* when the off-nadir angle there lies in the requested band. The access window spans the
time around it while the squint stays under :data:`MAX_SQUINT_DEGREES` and the off-nadir angle under the
band's maximum.

What follows from the geometry, without being written anywhere: a plane only sees latitudes up to its
inclination plus the reach of the largest off-nadir angle (about 6 degrees at 50), tracks crowd near that
latitude (more passes there), and the 97 degree plane sees the poles on every revolution.

Example::

    passes = find_passes(lat=51.95, lon=4.05, window_open=t0, window_close=t0 + 86_400,
                         spacecraft=[(5, 97), (6, 53)], seed=42, off_nadir=(25.0, 50.0))
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from capella_emulator.stac_items import stable_rng

EARTH_RADIUS_KM = 6371.0
WGS84_A_M = 6_378_137.0
WGS84_E2 = 6.694_379_990_14e-3
EQUATORIAL_RADIUS_KM = 6378.137
ALTITUDE_KM = 525.0
MU_KM3_S2 = 398_600.4418
J2 = 1.082_63e-3
PLANE_INCLINATIONS = {45: 45.0, 53: 53.0, 97: 97.5}
MAX_SQUINT_DEGREES = 30.0
EPOCH = 1_735_689_600.0  # 2025-01-01T00:00:00Z: the epoch of every spacecraft's drawn elements
NEWTON_STEPS = 4
ROUGH_STEPS = 2  # enough to tell a revolution that passes far from the target, the common case
REACH_MARGIN = 0.02  # radians (~130 km) of slack for the rough estimate

SEMI_MAJOR_KM = EQUATORIAL_RADIUS_KM + ALTITUDE_KM
MEAN_MOTION = math.sqrt(MU_KM3_S2 / SEMI_MAJOR_KM**3)  # rad/s
PERIOD_S = 2 * math.pi / MEAN_MOTION


@dataclass(frozen=True)
class Pass:
    """One access: a spacecraft's closest approach to the target and the window around it.

    Example::

        best = max(passes, key=lambda p: p.elevation_max)
        best.spacecraft_id, best.window_open, best.off_nadir_min
    """

    spacecraft_id: int
    orbital_plane: int
    closest: float
    window_open: float
    window_close: float
    ascending: bool
    left: bool
    off_nadir_min: float
    off_nadir_max: float
    elevation_min: float
    elevation_max: float
    azimuth_open: float
    azimuth_close: float
    local_time: int


def find_passes(
    *,
    lat: float,
    lon: float,
    window_open: float,
    window_close: float,
    spacecraft: list[tuple[int, int]],
    seed: int,
    off_nadir: tuple[float, float],
) -> list[Pass]:
    """Every access of ``spacecraft`` (``(id, plane)`` pairs) whose closest approach is in the window.

    Sorted by time. ``off_nadir`` is the allowed band in degrees; the pass filters of direction, plane and
    local time are the caller's.
    """
    target = unit_vector(lat, lon)
    reach = central_angle_for(off_nadir[1]) + REACH_MARGIN
    found: list[Pass] = []
    for spacecraft_id, plane in spacecraft:
        orbit = _Orbit.draw(spacecraft_id, plane, seed)
        moment = window_open - PERIOD_S / 2
        while moment < window_close + PERIOD_S:
            closest = orbit.closest_approach(target, moment, ROUGH_STEPS)
            if window_open - 60 <= closest <= window_close + 60 and orbit.within(target, closest, reach):
                closest = orbit.closest_approach(target, closest, NEWTON_STEPS)
                access = orbit.access(spacecraft_id, plane, target, closest, lon, off_nadir)
                if access is not None and window_open <= closest <= window_close:
                    found.append(access)
            moment = max(closest, moment) + PERIOD_S
    return sorted(found, key=lambda access: (access.closest, access.spacecraft_id))


def unit_vector(lat: float, lon: float) -> tuple[float, float, float]:
    phi, lam = math.radians(lat), math.radians(lon)
    return (math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi))


def ecef_m(lat: float, lon: float, height_m: float = 0.0) -> list[float]:
    """WGS84 Earth-centred, Earth-fixed coordinates in metres of a geodetic position."""
    phi, lam = math.radians(lat), math.radians(lon)
    normal = WGS84_A_M / math.sqrt(1 - WGS84_E2 * math.sin(phi) ** 2)
    return [
        round((normal + height_m) * math.cos(phi) * math.cos(lam), 3),
        round((normal + height_m) * math.cos(phi) * math.sin(lam), 3),
        round((normal * (1 - WGS84_E2) + height_m) * math.sin(phi), 3),
    ]


def off_nadir_degrees(central_angle: float) -> float:
    """Return the off-nadir (look) angle from 525 km to a ground point ``central_angle`` radians away."""
    radius = EARTH_RADIUS_KM + ALTITUDE_KM
    return math.degrees(
        math.atan2(
            EARTH_RADIUS_KM * math.sin(central_angle), radius - EARTH_RADIUS_KM * math.cos(central_angle)
        )
    )


def central_angle_for(off_nadir: float) -> float:
    """Invert :func:`off_nadir_degrees` (radians); the horizon when the angle misses the Earth."""
    ratio = (EARTH_RADIUS_KM + ALTITUDE_KM) / EARTH_RADIUS_KM * math.sin(math.radians(off_nadir))
    if ratio >= 1.0:
        return math.acos(EARTH_RADIUS_KM / (EARTH_RADIUS_KM + ALTITUDE_KM))
    return math.asin(ratio) - math.radians(off_nadir)


def _gmst(moment: float) -> float:
    """Greenwich mean sidereal angle (radians) at epoch second ``moment``."""
    days = moment / 86_400.0 + 2_440_587.5 - 2_451_545.0
    return math.radians((280.460_618_37 + 360.985_647_366_29 * days) % 360.0)


def _wrap(angle: float) -> float:
    return (angle + math.pi) % (2 * math.pi) - math.pi


def _dot(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _latlon(vector: tuple[float, float, float]) -> tuple[float, float]:
    x, y, z = vector
    return math.degrees(math.asin(max(-1.0, min(1.0, z)))), math.degrees(math.atan2(y, x))


def _bearing(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Return the great-circle bearing from point 1 to point 2, degrees clockwise from north."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    delta = math.radians(lon2 - lon1)
    east = math.sin(delta) * math.cos(phi2)
    north = math.cos(phi1) * math.sin(phi2) - math.sin(phi1) * math.cos(phi2) * math.cos(delta)
    return round(math.degrees(math.atan2(east, north)) % 360.0, 2)


@dataclass(frozen=True)
class _Orbit:
    inclination: float
    node0: float
    phase0: float
    node_rate: float

    @classmethod
    def draw(cls, spacecraft_id: int, plane: int, seed: int) -> _Orbit:
        rng = stable_rng("capella-orbit", seed, spacecraft_id)
        inclination = math.radians(PLANE_INCLINATIONS[plane])
        ratio = (EQUATORIAL_RADIUS_KM / SEMI_MAJOR_KM) ** 2
        node_rate = -1.5 * MEAN_MOTION * J2 * ratio * math.cos(inclination)
        return cls(inclination, rng.uniform(0, 2 * math.pi), rng.uniform(0, 2 * math.pi), node_rate)

    def frame(self, moment: float) -> tuple[tuple[float, float, float], ...]:
        """Earth-fixed node direction, in-plane normal to it, and orbit normal at ``moment``."""
        node = self.node0 + self.node_rate * (moment - EPOCH) - _gmst(moment)
        sin_i, cos_i = math.sin(self.inclination), math.cos(self.inclination)
        sin_n, cos_n = math.sin(node), math.cos(node)
        return (
            (cos_n, sin_n, 0.0),
            (-cos_i * sin_n, cos_i * cos_n, sin_i),
            (sin_i * sin_n, -sin_i * cos_n, cos_i),
        )

    def phase(self, moment: float) -> float:
        return self.phase0 + MEAN_MOTION * (moment - EPOCH)

    def position(self, moment: float) -> tuple[float, float, float]:
        node, quarter, _ = self.frame(moment)
        u = self.phase(moment)
        cos_u, sin_u = math.cos(u), math.sin(u)
        return tuple(node[k] * cos_u + quarter[k] * sin_u for k in range(3))  # type: ignore[return-value]

    def within(self, target: tuple[float, float, float], moment: float, reach: float) -> bool:
        """Tell whether the target lies within ``reach`` radians of the orbit's ground track."""
        _, _, normal = self.frame(moment)
        return abs(_dot(target, normal)) <= math.sin(reach)

    def closest_approach(self, target: tuple[float, float, float], guess: float, steps: int) -> float:
        """Find the moment near ``guess`` (within half a revolution) when the track passes closest."""
        moment = guess
        for _ in range(steps):
            node, quarter, _ = self.frame(moment)
            target_phase = math.atan2(_dot(target, quarter), _dot(target, node))
            moment -= _wrap(self.phase(moment) - target_phase) / MEAN_MOTION
        return moment

    def access(
        self,
        spacecraft_id: int,
        plane: int,
        target: tuple[float, float, float],
        closest: float,
        lon: float,
        band: tuple[float, float],
    ) -> Pass | None:
        _, _, normal = self.frame(closest)
        cross = math.asin(max(-1.0, min(1.0, _dot(target, normal))))
        gamma = abs(cross)
        look = off_nadir_degrees(gamma)
        horizon = central_angle_for(90.0)
        if not band[0] <= look <= band[1] or gamma >= horizon:
            return None
        edge = math.acos(min(1.0, math.cos(central_angle_for(band[1])) / max(math.cos(gamma), 1e-9)))
        squint_limit = math.atan(math.tan(math.radians(MAX_SQUINT_DEGREES)) * math.tan(max(gamma, 1e-4)))
        half_angle = max(min(edge, squint_limit), 1e-4)
        half = half_angle / MEAN_MOTION
        edge_gamma = math.acos(math.cos(gamma) * math.cos(half_angle))
        edge_look = off_nadir_degrees(edge_gamma)
        lat_t, lon_t = _latlon(target)
        open_lat, open_lon = _latlon(self.position(closest - half))
        close_lat, close_lon = _latlon(self.position(closest + half))
        return Pass(
            spacecraft_id=spacecraft_id,
            orbital_plane=plane,
            closest=closest,
            window_open=closest - half,
            window_close=closest + half,
            ascending=math.cos(self.phase(closest)) > 0,
            left=cross > 0,
            off_nadir_min=round(look, 2),
            off_nadir_max=round(edge_look, 2),
            elevation_min=round(90.0 - edge_look - math.degrees(edge_gamma), 2),
            elevation_max=round(90.0 - look - math.degrees(gamma), 2),
            azimuth_open=_bearing(lat_t, lon_t, open_lat, open_lon),
            azimuth_close=_bearing(lat_t, lon_t, close_lat, close_lon),
            local_time=int((closest % 86_400 + lon / 15.0 * 3600) % 86_400),
        )
