"""Start-up settings of the Capella API emulator."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

DEFAULT_API_KEY = "emulator-api-key"
DAY_SECONDS = 86_400


@dataclass
class FaultSettings:
    """Faults injected into API and asset responses; changeable at run time through ``/_emulator/faults``.

    Example::

        FaultSettings(fault_5xx_rate=0.1, fault_429_rate=0.05, retry_after=1)
        FaultSettings(fail_next_after=2, fail_next_count=5)  # 2 requests pass, the next 5 fail

    ``scope`` limits faults to ``api`` or ``asset`` requests (default ``all``).
    """

    fault_5xx_rate: float = 0.0
    fault_429_rate: float = 0.0
    fault_drop_rate: float = 0.0
    retry_after: float = 1.0
    latency_ms: float = 0.0
    bandwidth: int | None = None
    fail_next_status: int = 503
    fail_next_count: int = 0
    fail_next_after: int = 0
    scope: str = "all"

    def update(self, changes: dict) -> None:
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise ValueError(f"unknown fault setting(s) {sorted(unknown)}; accepted: {sorted(known)}")
        for name, value in changes.items():
            setattr(self, name, value)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class EmulatorConfig:
    """Everything the emulator is started with; the CLI flags map one to one onto these fields.

    Example::

        config = EmulatorConfig(api_key="KEY", seed=7, catalog_size=500, tasking_step_seconds=0.2)
    """

    api_key: str = DEFAULT_API_KEY
    seed: int = 42
    catalog_size: int = 2400
    asset_size: int = 8 * 1024 * 1024
    tasking_step_seconds: float = 5.0
    budget: float = 1_000_000.0
    order_ttl_seconds: float = 3600.0  # an order (and its presigned URLs) expires one hour after placement
    presign_ttl_seconds: float = (
        3600.0  # search thumbnails; a test knob to expire order URLs before the order
    )
    max_items_per_query: int = 10_000  # the catalog search cap; lower it to test searches past the cap
    clock_offset_seconds: float = 0.0  # added to the wall clock: jump ahead to expire orders and URLs
    order_processing_seconds: float = 0.0  # > 0: orders stay "processing" this long before completing
    auto_approve_review: bool = False  # True: approve every request in review one step later (not the API)
    reorders_are_free: bool = True  # False: products the organization ordered before are charged again
    free_products_priced: bool = False  # True: owned, shared and public products cost their list price too
    next_link_host: str | None = None
    download_rate: int | None = None  # strict mode: bytes/s each presigned download is served at
    digest_format: str = "emulator"  # the product digest's shape (asset_content.DIGEST_FORMATS)
    asset_revision: int = 0  # raise it to replace every generated asset (new bytes, new ETag)
    change_assets_after: int = 0  # > 0: asset_revision rises once that many ranged asset GETs are served
    faults: FaultSettings = field(default_factory=FaultSettings)
    user_id: str = "6c4e5c2f-2a0e-4d3b-9d5f-0f1e2d3c4b5a"
    organization_id: str = "a1b2c3d4-e5f6-4a5b-8c7d-9e0f1a2b3c4d"
    email: str = "emulator@example.com"
