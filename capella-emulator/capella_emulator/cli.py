"""``capella-emulator``: run the emulator in the foreground.

Example::

    capella-emulator --host 127.0.0.1 --port 8765 --api-key KEY --tasking-step-seconds 1
"""

from __future__ import annotations

import argparse
import sys

from capella_emulator.config import DEFAULT_API_KEY, EmulatorConfig, FaultSettings


def _probability(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be a probability between 0 and 1, got {text}")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="capella-emulator", description="An offline, stateful stand-in for api.capellaspace.com."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0: a free port, announced in --port-file")
    parser.add_argument("--port-file", default=None, help="write the port once bound (for launchers)")
    parser.add_argument("--api-key", default=DEFAULT_API_KEY, help="the only key accepted (ApiKey or Bearer)")
    parser.add_argument("--seed", type=int, default=42, help="seed of the synthetic catalog")
    parser.add_argument("--catalog-size", type=_non_negative_int, default=2400, help="archive items")
    parser.add_argument("--asset-size", type=_non_negative_int, default=8 * 1024 * 1024, help="raster bytes")
    parser.add_argument(
        "--tasking-step-seconds",
        type=_positive_float,
        default=5.0,
        help="seconds per tasking status step (and per day of a repeat series)",
    )
    parser.add_argument(
        "--auto-approve-review",
        action="store_true",
        help="approve every tasking/repeat request one step after review (the API waits for approval)",
    )
    parser.add_argument(
        "--order-processing-seconds",
        type=float,
        default=0.0,
        help="seconds an order stays processing before its download URLs exist (default 0: at once)",
    )
    parser.add_argument("--budget", type=float, default=1_000_000.0, help="order budget in USD")
    parser.add_argument("--bandwidth", type=_non_negative_int, default=None, help="bytes/s per connection")
    parser.add_argument(
        "--download-rate", type=_non_negative_int, default=None, help="slow presigned bytes/s"
    )
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--fault-5xx-rate", type=_probability, default=0.0)
    parser.add_argument("--fault-429-rate", type=_probability, default=0.0)
    parser.add_argument("--fault-drop-rate", type=_probability, default=0.0)
    parser.add_argument("--retry-after", type=float, default=1.0, help="Retry-After seconds sent with 429s")
    parser.add_argument("--log-level", default="info")
    return parser


def config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    faults = FaultSettings(
        fault_5xx_rate=args.fault_5xx_rate,
        fault_429_rate=args.fault_429_rate,
        fault_drop_rate=args.fault_drop_rate,
        retry_after=args.retry_after,
        latency_ms=args.latency_ms,
        bandwidth=args.bandwidth or None,
    )
    return EmulatorConfig(
        api_key=args.api_key,
        seed=args.seed,
        catalog_size=args.catalog_size,
        asset_size=args.asset_size,
        tasking_step_seconds=args.tasking_step_seconds,
        budget=args.budget,
        download_rate=args.download_rate or None,
        auto_approve_review=args.auto_approve_review,
        order_processing_seconds=args.order_processing_seconds,
        faults=faults,
    )


def main(argv: list[str] | None = None) -> int:
    import uvicorn

    from capella_emulator.app import create_app
    from capella_emulator.server import announce_port, bind_socket, uvicorn_config

    args = build_parser().parse_args(argv)
    sock = bind_socket(args.host, args.port)
    port = int(sock.getsockname()[1])
    print(f"Capella emulator on http://{args.host}:{port} (API key: {args.api_key})", file=sys.stderr)
    app = create_app(config_from_args(args))
    announce_port(args.port_file, port)
    uvicorn.Server(uvicorn_config(app, args.host, port, log_level=args.log_level)).run(sockets=[sock])
    return 0
