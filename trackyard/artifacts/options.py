"""`trackyard server` flags for artifact destinations, kept beside the code they configure.

The flags arrive as keyword arguments named like the `ServerConfig` fields they set.
"""

from __future__ import annotations

import click

from ..config import DATA_DIR

# Where artifacts live, for the server and for the commands that work beside it (`gc`).
ARTIFACTS_DESTINATION = click.option(
    "--artifacts-destination",
    default=str(DATA_DIR / "artifacts"),
    show_default=True,
    envvar="TRACKYARD_ARTIFACTS_DESTINATION",
    help="Where the server stores artifacts it proxies: a folder, sftp://... or s3://...",
)

OPTIONS = [
    click.option(
        "--sftp-key-file",
        default=None,
        envvar="TRACKYARD_SFTP_KEY_FILE",
        help="Private key for sftp:// destinations [default: ~/.ssh/id_* or the URI's password].",
    ),
    click.option(
        "--sftp-known-hosts",
        default=None,
        envvar="TRACKYARD_SFTP_KNOWN_HOSTS",
        help="known_hosts file with the SFTP server's host key (~/.ssh/known_hosts is read too).",
    ),
    click.option(
        "--sftp-insecure-skip-host-key-check",
        is_flag=True,
        default=False,
        envvar="TRACKYARD_SFTP_INSECURE_SKIP_HOST_KEY_CHECK",
        help="Accept any SFTP host key. Insecure: only for throwaway set-ups.",
    ),
    click.option(
        "--s3-endpoint-url",
        default=None,
        envvar=["TRACKYARD_S3_ENDPOINT_URL", "MLFLOW_S3_ENDPOINT_URL"],
        help="Endpoint of an S3-compatible store (MinIO, Ceph, ...) for s3:// destinations.",
    ),
]
