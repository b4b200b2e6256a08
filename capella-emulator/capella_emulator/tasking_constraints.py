"""``collectConstraints`` and ``processingConfig`` of tasking and repeat bodies, with the server's defaults.

The server fills the defaults it applied (recorded 2022 answers): offNadirMin 25, offNadirMax 45 (50 for
stripmap), imageLength/imageWidth 5000 m, polarization HH, collectMode (the imaging mode), and the
expected grr/azr/nesz/numLooks figures of the collection type; squint ``enabled`` for a Point, else
``disabled``; ``localTime`` presets expanded to second-of-day ranges. GEO is always produced: it is added
to ``processingConfig.productTypes`` whatever the request lists.
"""

from __future__ import annotations

from typing import Any

from capella_emulator.config import DAY_SECONDS
from capella_emulator.errors import validation_error
from capella_emulator.stac_items import ALL_PRODUCT_TYPES, COLLECTION_TYPE_PROFILES
from capella_emulator.tasking_values import enum_value, is_bool, is_number, number

# These enums mirror the provider's _payloads/vocabulary.py; kept apart on purpose (an independent oracle).
POLARIZATIONS = ("HH", "VV")
ASC_DSC = ("ascending", "descending", "either")
LOOK_DIRECTIONS = ("left", "right", "either")
SQUINT_MODES = ("enabled", "disabled", "forward", "backward")
ORBITAL_PLANES = (45, 53, 97)
LOCAL_TIME_PRESETS: dict[str, list[list[int]]] = {
    "day": [[21600, 64800]],
    "night": [[0, 21600], [64800, 86400]],
    "anytime": [[0, 86400]],
}
REQUIRED_PRODUCT_TYPE = "GEO"
DEFAULT_IMAGE_SIZE_M = 5000


def normalize_constraints(raw: Any, geometry_type: str, collection_type: str = "spotlight") -> dict[str, Any]:
    """Validate ``collectConstraints`` and fill the defaults the server applies (see the module docstring)."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise validation_error("collectConstraints must be an object", "properties.collectConstraints")
    path = "properties.collectConstraints."
    constraints = dict(raw)
    constraints["lookDirection"] = enum_value(
        raw.get("lookDirection"), LOOK_DIRECTIONS, path + "lookDirection"
    )
    constraints["ascDsc"] = enum_value(raw.get("ascDsc"), ASC_DSC, path + "ascDsc")
    squint_default = "enabled" if geometry_type == "Point" else "disabled"
    constraints["squint"] = enum_value(raw.get("squint"), SQUINT_MODES, path + "squint") or squint_default
    constraints["lookDirection"] = constraints["lookDirection"] or "either"
    constraints["ascDsc"] = constraints["ascDsc"] or "either"
    constraints["localTime"] = local_time(raw.get("localTime"), path + "localTime")
    constraints["orbitalPlanes"] = orbital_planes(raw.get("orbitalPlanes"), path + "orbitalPlanes")
    polarization = enum_value(raw.get("polarization"), POLARIZATIONS, path + "polarization")
    _set_if_given(constraints, "polarization", polarization)
    for key, low, high in (
        ("offNadirMin", 0.0, 90.0),
        ("offNadirMax", 0.0, 90.0),
        ("azimuthAngleMin", 0.0, 360.0),
        ("azimuthAngleMax", 0.0, 360.0),
        ("maxSquintAngle", 0.0, 90.0),
        ("imageWidth", 1.0, 1_000_000.0),
        ("imageLength", 1.0, 1_000_000.0),
    ):
        _set_if_given(constraints, key, number(raw.get(key), path + key, low=low, high=high))
    low_nadir, high_nadir = constraints.get("offNadirMin"), constraints.get("offNadirMax")
    if low_nadir is not None and high_nadir is not None and low_nadir >= high_nadir:
        raise validation_error("offNadirMin must be less than offNadirMax", path + "offNadirMin")
    return _server_defaults(constraints, collection_type)


def _server_defaults(constraints: dict[str, Any], collection_type: str) -> dict[str, Any]:
    """Fill what the server fills when the request leaves it out (the values it then applied)."""
    profile = COLLECTION_TYPE_PROFILES.get(collection_type, COLLECTION_TYPE_PROFILES["spotlight"])
    default_max = 50.0 if profile.instrument_mode == "stripmap" else 45.0
    low, high = constraints.get("offNadirMin"), constraints.get("offNadirMax")
    if low is None:
        low = 25.0 if high is None or high > 25.0 else max(0.0, high - 5.0)
    if high is None:
        high = max(default_max, low + 5.0)
    filled = {
        "offNadirMin": low,
        "offNadirMax": min(90.0, high),
        "imageLength": constraints.get("imageLength", DEFAULT_IMAGE_SIZE_M),
        "imageWidth": constraints.get("imageWidth", DEFAULT_IMAGE_SIZE_M),
        "polarization": constraints.get("polarization", "HH"),
        "collectMode": profile.instrument_mode,
        "grrMin": round(profile.resolution_range * 0.9, 2),
        "grrMax": round(profile.resolution_range * 1.6, 2),
        "azrMin": round(profile.resolution_azimuth * 0.9, 2),
        "azrMax": round(profile.resolution_azimuth * 1.2, 2),
        "neszMax": -10.0 if profile.instrument_mode == "stripmap" else -15.0,
        "numLooks": profile.azimuth_looks,
    }
    return {**filled, **constraints, **{key: filled[key] for key in ("offNadirMin", "offNadirMax")}}


def _set_if_given(target: dict[str, Any], key: str, value: Any) -> None:
    if value is None:
        target.pop(key, None)
    else:
        target[key] = value


def local_time(value: Any, path: str) -> list[list[int]]:
    if value is None:
        return [list(window) for window in LOCAL_TIME_PRESETS["anytime"]]
    if isinstance(value, str):
        if value not in LOCAL_TIME_PRESETS:
            raise validation_error(f"localTime must be one of {list(LOCAL_TIME_PRESETS)} or ranges", path)
        return [list(window) for window in LOCAL_TIME_PRESETS[value]]
    if isinstance(value, list) and len(value) == 2 and all(is_number(v) for v in value):
        value = [value]
    if not isinstance(value, list) or not value:
        raise validation_error("localTime must be a preset or a list of [start, end] seconds of day", path)
    windows = []
    for window in value:
        ok = isinstance(window, list) and len(window) == 2 and all(is_number(v) for v in window)
        if not ok or not 0 <= window[0] < window[1] <= DAY_SECONDS:
            raise validation_error(
                "each localTime range is [start, end] with 0 <= start < end <= 86400", path
            )
        windows.append([int(window[0]), int(window[1])])
    return windows


def orbital_planes(value: Any, path: str) -> list[int]:
    if value is None:
        return []
    if not isinstance(value, list) or any(plane not in ORBITAL_PLANES or is_bool(plane) for plane in value):
        raise validation_error(f"orbitalPlanes must be a list of {list(ORBITAL_PLANES)}", path)
    return [int(plane) for plane in value]


def processing_config(value: Any) -> dict[str, Any] | None:
    path = "properties.processingConfig"
    if value is None:
        return None
    if not isinstance(value, dict):
        raise validation_error("processingConfig must be an object", path)
    unknown = set(value) - {"productTypes"}
    if unknown:
        raise validation_error(
            f"unknown processingConfig field(s) {sorted(unknown)}", f"{path}.{min(unknown)}"
        )
    product_types = value.get("productTypes")
    if product_types is None:
        return {"productTypes": None}
    if not isinstance(product_types, list) or not all(isinstance(p, str) for p in product_types):
        raise validation_error("productTypes must be a list of product type names", f"{path}.productTypes")
    normalized = [p.upper() for p in product_types]
    unknown_types = [p for p in normalized if p not in ALL_PRODUCT_TYPES]
    if unknown_types:
        raise validation_error(
            f"unknown product type(s) {unknown_types}; accepted: {list(ALL_PRODUCT_TYPES)}",
            f"{path}.productTypes",
        )
    return {"productTypes": list(dict.fromkeys(normalized))}


def delivered_product_types(config: dict[str, Any] | None) -> list[str] | None:
    """Product types a completed request delivers: those asked for plus GEO, which is always produced.

    ``None`` (nothing asked for) means the default set, which holds GEO already.
    """
    wanted = (config or {}).get("productTypes")
    if not wanted:
        return None
    return wanted if REQUIRED_PRODUCT_TYPE in wanted else [*wanted, REQUIRED_PRODUCT_TYPE]
