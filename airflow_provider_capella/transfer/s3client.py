"""The S3 client: from an Airflow AWS connection when the amazon provider is installed, else boto3's chain."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def s3_client(aws_conn_id: str | None, *, max_pool_connections: int) -> Any:
    """A thread-safe S3 client with a connection pool large enough for ``max_pool_connections`` threads.

    With ``aws_conn_id`` and ``apache-airflow-providers-amazon`` installed, credentials, region and
    endpoint come from that Airflow connection. Otherwise (no ``aws_conn_id``, or no amazon provider)
    boto3's default chain applies, ``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_S3`` included; Airflow itself
    is then not imported.

    Example::

        client = s3_client("aws_default", max_pool_connections=8)
    """
    from botocore.config import Config

    config = Config(
        max_pool_connections=max_pool_connections,
        retries={"mode": "standard", "max_attempts": 5},
        connect_timeout=10,
        read_timeout=120,
    )
    if not aws_conn_id:
        return _default_chain_client(config)
    try:
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook
    except ImportError:
        log.warning(
            "aws_conn_id=%r is ignored: apache-airflow-providers-amazon is not installed, so boto3's "
            "default credential chain is used (pip install 'airflow-provider-capella[amazon]')",
            aws_conn_id,
        )
        return _default_chain_client(config)
    return S3Hook(aws_conn_id=aws_conn_id, config=config).get_conn()


def _default_chain_client(config: Any) -> Any:
    import boto3

    return boto3.session.Session().client("s3", config=config)
