"""The API's vocabulary (data only): accepted enum values (the SDK's) and user-facing → wire field names."""

from __future__ import annotations

PRODUCT_TYPES = ("SLC", "GEO", "GEC", "SICD", "SIDD", "CPHD", "CSI", "CSIDD", "VC", "VS", "ACD")
ASSET_TYPES = (
    "HH", "VV", "raster", "metadata", "thumbnail", "preview", "checksums", "analytic_product",
    "analytic_product_diag", "landmask", "changemap", "log", "profile", "stats", "stats_plots",
)  # fmt: skip
COLLECTION_TYPES = (
    "spotlight", "spotlight_ultra", "spotlight_wide", "stripmap_20", "stripmap_50", "stripmap_100",
    "parallel_stripmap_20", "parallel_stripmap_50", "parallel_stripmap_100",
)  # fmt: skip
# Intended mirror: testing/emulator/tasking_validation.py keeps its own copy as an independent oracle.
TASKING_COLLECTION_TIERS = ("urgent", "priority", "standard", "flexible", "internal")
REPEAT_COLLECTION_TIERS = ("routine", "flexible", "internal", "insar", "insar-internal")
INSAR_TIERS = frozenset({"insar", "insar-internal"})
INSAR_ORBITS = ("MIO_53_2P95", "SSO_97_7P00")
ARCHIVE_HOLDBACKS = ("none", "30_day", "1_year", "permanent")
ARCHIVE_HOLDBACK_ALIASES = {"thirty_day": "30_day", "one_year": "1_year"}
ASC_DSC = ("ascending", "descending", "either")
LOOK_DIRECTIONS = ("right", "left", "either")
POLARIZATIONS = ("HH", "VV")
SQUINT_MODES = ("enabled", "disabled", "forward", "backward")
ORBITAL_PLANES = (45, 53, 97)
INSTRUMENT_MODES = ("spotlight", "stripmap", "sliding_spotlight")
OWNERSHIP_OPTIONS = (
    "ownedByOrganization",
    "sharedWithOrganization",
    "availableForPurchase",
    "publiclyAvailable",
)
REQUEST_STATUSES = (
    "received", "review", "submitted", "active", "accepted", "rejected", "expired", "completed", "anomaly",
    "canceled", "error", "failed", "retrying",
)  # fmt: skip
LOCAL_TIME_OPTIONS = {"day": [[21600, 64800]], "night": [[0, 21600], [64800, 86400]], "anytime": [[0, 86400]]}
DAY_SECONDS = 86_400

# --- catalog search -------------------------------------------------------------------------------
SEARCH_OPERATORS = ("eq", "in", "gt", "gte", "lt", "lte")
SEARCH_ROOT_FIELDS = ("bbox", "intersects", "collections", "ids", "limit")
SEARCH_QUERY_FIELDS: dict[str, str] = {
    "collect_id": "capella:collect_id", "resolution_ground_range": "capella:resolution_ground_range",
    "squint_angle": "capella:squint_angle", "layover_angle": "capella:layover_angle",
    "orbital_plane": "capella:orbital_plane", "billable_area": "capella:billable_area",
    "hash": "capella:hash", "image_formation_algorithm": "capella:image_formation_algorithm",
    "collection_type": "capella:collection_type", "rgt_id": "capella:rgt_id",
    "archive_holdback": "capella:archive_holdback_date", "use_case": "capella:use_case",
    "product_type": "sar:product_type", "instrument_mode": "sar:instrument_mode",
    "polarizations": "sar:polarizations", "frequency_band": "sar:frequency_band",
    "center_frequency": "sar:center_frequency", "looks_azimuth": "sar:looks_azimuth",
    "looks_range": "sar:looks_range", "looks_equivalent_number": "sar:looks_equivalent_number",
    "observation_direction": "sar:observation_direction",
    "pixel_spacing_azimuth": "sar:pixel_spacing_azimuth", "pixel_spacing_range": "sar:pixel_spacing_range",
    "resolution_azimuth": "sar:resolution_azimuth", "resolution_range": "sar:resolution_range",
    "orbit_state": "sat:orbit_state", "relative_orbit": "sat:relative_orbit",
    "absolute_orbit": "sat:absolute_orbit", "incidence_angle": "view:incidence_angle",
    "look_angle": "view:look_angle", "azimuth_angle": "view:azimuth", "local_timezone": "locale:timezone",
    "local_datetime": "locale:datetime", "local_time": "locale:time", "epsg": "proj:epsg",
    "constellation": "constellation", "platform": "platform", "instruments": "instruments",
    "datetime": "datetime", "created": "created", "updated": "updated",
}  # fmt: skip
SEARCH_ENUM_FIELDS: dict[str, tuple] = {
    "product_type": PRODUCT_TYPES, "instrument_mode": INSTRUMENT_MODES,
    "polarizations": ("HH", "VV", "HV", "VH"),
    "frequency_band": ("P", "L", "S", "C", "X", "Ku", "K", "Ka"),
    "observation_direction": ("right", "left"), "orbit_state": ("ascending", "descending"),
    "image_formation_algorithm": ("pfa", "backprojection"), "collection_type": COLLECTION_TYPES,
}  # fmt: skip
SEARCH_NUMBER_FIELDS = frozenset(
    {
        "resolution_ground_range", "squint_angle", "layover_angle", "orbital_plane", "billable_area",
        "center_frequency", "looks_azimuth", "looks_range", "looks_equivalent_number",
        "pixel_spacing_azimuth", "pixel_spacing_range", "resolution_azimuth", "resolution_range",
        "relative_orbit", "absolute_orbit", "incidence_angle", "look_angle", "azimuth_angle", "epsg",
    }
)  # fmt: skip
SEARCH_DATETIME_FIELDS = frozenset({"datetime", "created", "updated", "archive_holdback"})
SEARCH_UUID_FIELDS = frozenset({"collect_id"})
SEARCH_RANGES = {"incidence_angle": (0, 90), "look_angle": (0, 90), "azimuth_angle": (0, 360)}
SEARCH_SORTABLE_ROOT = {"id": "id", "collection": "collection"}
CATALOG_DEFAULT_LIMIT = 500
CATALOG_MAX_LIMIT = 10_000
CATALOG_MAX_PAGE_SIZE = 900
CATALOG_LARGE_PAGE_SIZE = 625  # pages of a multi-page search: 625 divides 10,000, no page asks past the cap

# --- tasking / repeat request search ----------------------------------------------------------------
REQUEST_SEARCH_OPERATORS = ("eq", "neq", "in", "gt", "gte", "lt", "lte", "startsWith", "endsWith", "contains")
REQUEST_SEARCH_TEXT_OPERATORS = ("startsWith", "endsWith", "contains")
REQUEST_SEARCH_ORDER_OPERATORS = ("gt", "gte", "lt", "lte")
_REQUEST_COMMON_FIELDS: dict[str, str] = {
    "collection_type": "collectionType", "collection_tier": "collectionTier", "instrument_mode": "type",
    "last_status_time": "lastStatusTime", "last_status_message": "lastStatusMessage",
    "org_id": "organizationIds", "reseller_id": "resellerIds", "status": "lastStatusCode",
    "submission_time": "submissionTime", "user_id": "userId",
    "collect_mode": "collectConstraints.collectMode",
}  # fmt: skip
TASKING_SEARCH_FIELDS: dict[str, str] = {
    **_REQUEST_COMMON_FIELDS,
    "tasking_request_id": "taskingrequestIds",
    "window_close": "windowClose",
    "window_open": "windowOpen",
}
REPEAT_SEARCH_FIELDS: dict[str, str] = {
    **_REQUEST_COMMON_FIELDS,
    "repetition_interval": "repetitionProperties.repetitionInterval",
    "repeat_end": "repetitionProperties.repeatEnd",
    "repeat_request_id": "repeatrequestIds",
    "repeat_start": "repetitionProperties.repeatStart",
}
# dotted wire names under these roots (``collectConstraints.offNadirMax``) may be searched as given
REQUEST_SEARCH_NESTED_ROOTS = ("collectConstraints", "processingConfig", "repetitionProperties", "insar")
REQUEST_SEARCH_DATETIME_FIELDS = frozenset(
    {"last_status_time", "submission_time", "window_open", "window_close", "repeat_start", "repeat_end"}
)
REQUEST_SEARCH_UUID_FIELDS = frozenset(
    {"tasking_request_id", "repeat_request_id", "org_id", "user_id", "reseller_id"}
)
REQUEST_SEARCH_TEXT_FIELDS = frozenset({"last_status_message"})
REQUEST_SEARCH_NUMBER_FIELDS = frozenset({"repetition_interval"})
REQUEST_SEARCH_OPTIONS = ("for_org", "page_size", "threaded", "show_progress", "sort", "order")
REQUEST_SEARCH_PAGE_SIZE = (1, 500)
REQUEST_SEARCH_DEFAULT_PAGE_SIZE = 250
REQUEST_SEARCH_ORDERS = ("asc", "desc")

# --- updates ---------------------------------------------------------------------------------------
_CUSTOM = {"custom_attribute_1": "customAttribute1", "custom_attribute_2": "customAttribute2"}
TASKING_UPDATABLE = {"name": "taskingrequestName", "description": "taskingrequestDescription", **_CUSTOM}
REPEAT_UPDATABLE = {"name": "repeatrequestName", "description": "repeatrequestDescription", **_CUSTOM}
