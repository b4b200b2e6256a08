"""What every request carries, and how a URL may appear in a log line: credentials, User-Agent, origins.

The API key travels only in the ``Authorization`` header, only to the API host (and origins the caller
lists, such as a configured search URL); presigned asset URLs never get it. Log lines and exception
messages show :func:`sanitize_url` forms only, which drop the query string (presigned signatures) and
any user info.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

USER_AGENT_PREFIX = "airflow-provider-capella/"
"""Every request the provider sends names itself ``airflow-provider-capella/<version>``."""


def user_agent(role: str | None = None) -> str:
    """Return the provider's one User-Agent, with an optional role such as ``triggerer`` appended.

    API-side logs can then tell a deferred wait's polls (``(triggerer)``) from a worker's calls.

    :param role: a word appended in parentheses, or None for the plain agent.

    Example::

        user_agent()             # 'airflow-provider-capella/1.2.0'
        user_agent("triggerer")  # 'airflow-provider-capella/1.2.0 (triggerer)'
    """
    from airflow_provider_capella import __version__

    agent = f"{USER_AGENT_PREFIX}{__version__}"
    return f"{agent} ({role})" if role else agent


def authorization_header(api_key: str | None = None, token: str | None = None) -> str:
    """Return the ``Authorization`` value: ``ApiKey <key>`` (preferred) or ``Bearer <token>``.

    A value that already starts with its scheme is kept as it is.

    :param api_key: the Capella API key, or None.
    :param token: a bearer token, used when there is no API key.

    Example::

        authorization_header(api_key="abc")  # 'ApiKey abc'
    """
    for secret, prefix in ((api_key, "ApiKey"), (token, "Bearer")):
        if secret and secret.strip():
            value = secret.strip()
            scheme = value.split(" ", 1)[0].lower() if " " in value else ""
            if scheme in ("apikey", "bearer"):
                return value
            return f"{prefix} {value}"
    raise ValueError("no API key or token configured")


def sanitize_url(url: str) -> str:
    """Return a URL fit for logs and messages: no query string (presigned signatures), no user info.

    :param url: any URL, possibly presigned.

    Example::

        sanitize_url("https://bucket.s3.amazonaws.com/a.tif?Signature=abc")  # 'https://bucket.s3.amazonaws.com/a.tif'
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "<unparseable url>"
    host = parts.hostname or ""
    if port:
        host = f"{host}:{port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def origin(url: str) -> tuple[str, str, int | None]:
    """Return ``(scheme, host, port)`` of ``url``, the port made explicit, for same-origin checks.

    :param url: an absolute URL.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port
