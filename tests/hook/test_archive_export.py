"""Archive exports over real HTTP: the listing, GeoPackage and shapefile files to disk and to S3 (moto)."""

from __future__ import annotations

import sqlite3
import zipfile
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_capella.exceptions import CapellaNotFoundError, CapellaValidationError
from airflow_provider_capella.hooks.capella import CapellaHook
from tests.transfer.conftest import moto_server, s3  # noqa: F401  (real S3 API server fixtures)


def features_in(path: Path) -> list[tuple[str, str, bytes]]:
    """The rows of the GeoPackage's feature layer: (id, product type, geometry blob)."""
    with sqlite3.connect(path) as db:
        (table,) = db.execute("SELECT table_name FROM gpkg_contents WHERE data_type = 'features'").fetchone()
        return db.execute(f"SELECT id, product_type, geom FROM {table}").fetchall()


def test_the_listing_names_every_export_type(hook: CapellaHook) -> None:
    listing = hook.list_archive_exports()
    assert {"latest", "weekly", "full"} <= set(listing)
    assert any(name.endswith(".gpkg") for name in listing["full"])


def test_the_full_geopackage_holds_every_catalog_footprint(
    hook: CapellaHook, capella_emulator: Any, tmp_path: Path
) -> None:
    [path] = hook.download_archive_export(export_type="full", export_format="gpkg", local_dir=tmp_path)

    assert Path(path).parent == tmp_path and path.endswith(".gpkg")
    rows = features_in(Path(path))
    catalog_ids = {item["id"] for item in capella_emulator.state.catalog.items}
    assert len(rows) == len(catalog_ids)
    assert {row[0] for row in rows} == catalog_ids
    assert all(geom[:2] == b"GP" for _, _, geom in rows)  # GeoPackage binary geometries
    asset_requests = capella_emulator.requests(path="/assets/")
    assert asset_requests and all("authorization" not in entry["headers"] for entry in asset_requests)


def test_latest_to_s3_is_one_readable_geopackage(
    hook: CapellaHook,
    s3: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    [uri] = hook.download_archive_export(export_type="latest", local_dir=s3.uri("footprints/"))

    assert uri.startswith(f"s3://{s3.name}/footprints/") and uri.endswith(".gpkg")
    local = tmp_path / "latest.gpkg"
    local.write_bytes(s3.client.get_object(Bucket=s3.name, Key=uri.split("/", 3)[3])["Body"].read())
    rows = features_in(local)
    assert rows and all(row[1] for row in rows)


def test_a_zipped_shapefile_and_chosen_weekly_files(hook: CapellaHook, tmp_path: Path) -> None:
    [shp] = hook.download_archive_export(export_type="full", export_format="shp.zip", local_dir=tmp_path)
    with zipfile.ZipFile(shp) as archive:
        assert {"capella_archive.shp", "capella_archive.dbf", "capella_archive.shx"} <= set(
            archive.namelist()
        )

    weekly = [name for name in hook.list_archive_exports()["weekly"] if name.endswith(".gpkg")]
    written = hook.download_archive_export(export_type="weekly", file_names=weekly[-2:], local_dir=tmp_path)
    assert [Path(path).name for path in written] == [name.rsplit("/", 1)[-1] for name in weekly[-2:]]


def test_a_format_the_api_does_not_list_is_a_clear_error_before_any_url_is_asked(
    hook: CapellaHook, capella_emulator: Any, tmp_path: Path
) -> None:
    with pytest.raises(CapellaNotFoundError, match=r"formats on offer: gpkg, shp\.zip"):
        hook.download_archive_export(export_type="full", export_format="geoparquet", local_dir=tmp_path)
    assert capella_emulator.requests(method="POST") == []
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_file_name_is_a_clear_error(hook: CapellaHook, tmp_path: Path) -> None:
    with pytest.raises(CapellaNotFoundError, match="not offered"):
        hook.download_archive_export(
            export_type="weekly", file_names=["weekly/nope.gpkg"], local_dir=tmp_path
        )


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"export_type": "monthly"}, "export_type"),
        ({"export_type": "full", "export_format": "tiff"}, "export_format"),
        ({"export_type": "full", "export_format": 3}, "export_format"),
        ({"export_type": "weekly", "export_format": "gpkg", "file_names": ["a.gpkg"]}, "file_names"),
        ({"export_type": "weekly", "file_names": []}, "file_names"),
        ({"export_type": "full", "local_dir": "https://example.com/x"}, "local_dir"),
        ({"export_type": "full", "override": "yes"}, "override"),
    ],
)
def test_bad_arguments_are_refused_before_anything_is_sent(
    hook: CapellaHook, capella_emulator: Any, kwargs: dict[str, Any], argument: str
) -> None:
    with pytest.raises(CapellaValidationError) as raised:
        hook.download_archive_export(**kwargs)
    assert raised.value.argument == argument
    assert capella_emulator.requests() == []
