"""The S3 client: from an Airflow AWS connection (amazon provider required), else boto3's default chain."""

from __future__ import annotations

from typing import Any


def s3_client(aws_conn_id: str | None, *, max_pool_connections: int) -> Any:
    """Make a thread-safe S3 client (without the Amazon provider, an ``aws_conn_id`` is a ValueError)."""
    from botocore.config import Config  # lazy: botocore is loaded only for S3 destinations

    config = Config(
        max_pool_connections=max_pool_connections,
        retries={"mode": "standard", "max_attempts": 5},
        connect_timeout=10,
        read_timeout=120,
        s3={"payload_signing_enabled": False},
    )
    if not aws_conn_id:
        import boto3  # lazy: boto3 is loaded only for S3 destinations

        return boto3.session.Session().client("s3", config=config)
    try:
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook  # lazy: optional (the amazon extra)
    except ImportError:
        raise ValueError(
            f"aws_conn_id={aws_conn_id!r} needs the Amazon provider, which is not installed: "
            "pip install 'airflow-provider-capella[amazon]' (or apache-airflow-providers-amazon), "
            "or leave aws_conn_id unset to use boto3's default credentials"
        ) from None
    return S3Hook(aws_conn_id=aws_conn_id, config=config).get_conn()
