"""Run the emulator by hand: ``python -m tests.org_emulator --port N --state DIR``.

Prints one JSON line with the connection details, then serves until interrupted.
The org is saved to DIR after every call and reloaded on the next start.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path

from tests.org_emulator.emulator import OrgEmulator
from tests.org_emulator.faults import Faults
from tests.org_emulator.rest import QUERY_PAGE_SIZE
from tests.org_emulator.seed import FLAVOURS
from tests.org_emulator.user_permissions import METADATA_API_PERMISSIONS, set_profile_permission


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.org_emulator", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--state", required=True, help="folder holding the org and its CA")
    parser.add_argument("--flavour", choices=sorted(FLAVOURS), default="sandbox")
    parser.add_argument("--package-installed", action="store_true")
    parser.add_argument(
        "--gateway-installed", action="store_true", help="as after the OAuth Usage Install click"
    )
    parser.add_argument("--namespace", default="totango")
    parser.add_argument("--deploy-polls", type=int, default=2)
    parser.add_argument(
        "--deploy-tick",
        type=float,
        default=1.0,
        help="seconds per deploy step when nobody polls (deploys progress with wall time)",
    )
    parser.add_argument(
        "--deploy-seconds", type=float, default=0.0, help="no deploy finishes sooner (slow org)"
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="KIND:CALL:COUNT",
        help="inject a fault, e.g. lost:deploy:1, drop:checkDeployStatus:2, http_503:retrieve:1,"
        " request_limit:query:*, invalid_session:*:1, latency:*:3, stuck:deploy:50 (repeatable)",
    )
    parser.add_argument(
        "--query-page-size",
        type=int,
        default=QUERY_PAGE_SIZE,
        help="records per query answer before nextRecordsUrl (a real org: 2000)",
    )
    parser.add_argument(
        "--without-metadata-api",
        action="store_true",
        help="the admin's profile lacks Modify All Data and Modify Metadata (INSUFFICIENT_ACCESS)",
    )
    parser.add_argument("--reset", action="store_true", help="reseed even if DIR holds an org")
    parser.add_argument(
        "--org-name",
        default="emu",
        help="also write DIR/env.sh exporting this org for cci and totango-sf (default: emu)",
    )
    args = parser.parse_args(argv)
    faults = Faults()
    for spec in args.fault:
        try:
            faults.add_spec(spec)
        except ValueError as exc:
            parser.error(str(exc))
    emulator = OrgEmulator.create(
        args.state,
        flavour=args.flavour,
        package_installed=args.package_installed,
        gateway_installed=args.gateway_installed,
        namespace=args.namespace,
        load_existing=not args.reset,
        port=args.port,
        deploy_polls=args.deploy_polls,
        deploy_tick=args.deploy_tick,
        deploy_seconds=args.deploy_seconds,
        query_page_size=args.query_page_size,
        persist=True,
    )
    if args.without_metadata_api:
        for permission in METADATA_API_PERMISSIONS:
            set_profile_permission(emulator.state, emulator.user_id, permission, False)
    emulator.faults.adopt(faults)
    emulator.save()
    info = emulator.connection_info()
    emulator.save()  # keeps a token issued for the printed line
    write_env_script(Path(args.state) / "env.sh", emulator.env(args.org_name))
    print(json.dumps(info), flush=True)
    try:
        emulator.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.save()
    return 0


# The bundle a shell trusts: this emulator's CA appended to whatever the shell trusted
# before, so sourcing a second emulator's env.sh keeps the first one trusted.
TRUST_BUNDLE = (
    "trusted={trusted}\n"
    'if [ -n "${{REQUESTS_CA_BUNDLE:-}}" ] && [ -f "$REQUESTS_CA_BUNDLE" ] &&'
    ' ! grep -qxF "$(sed -n 2p {ca})" "$REQUESTS_CA_BUNDLE"; then\n'
    '  cat "$REQUESTS_CA_BUNDLE" {ca} > "$trusted.tmp" && mv "$trusted.tmp" "$trusted"\n'
    '  export REQUESTS_CA_BUNDLE="$trusted" SSL_CERT_FILE="$trusted"\n'
    'elif [ -z "${{REQUESTS_CA_BUNDLE:-}}" ]; then\n'
    "  export REQUESTS_CA_BUNDLE={ca} SSL_CERT_FILE={ca}\n"
    "fi\n"
)


def write_env_script(path: Path, env: dict[str, str]) -> None:
    """``source DIR/env.sh`` points a shell's cci and totango-sf at this org.

    Written whole (a temporary file renamed into place), so a shell that sources it
    while the emulator starts reads all of it or finds none of it.
    """
    ca = env.get("REQUESTS_CA_BUNDLE", "")
    plain = {k: v for k, v in env.items() if k not in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")}
    lines = [f"export {key}={shlex.quote(value)}" for key, value in sorted(plain.items())]
    script = (
        "\n".join(lines)
        + "\n"
        + (
            TRUST_BUNDLE.format(
                ca=shlex.quote(ca), trusted=shlex.quote(str(path.with_name("trusted.pem")))
            )
            if ca
            else ""
        )
    )
    # It holds a refresh token and the keychain key: readable by the owner only.
    partial = path.with_name(path.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(script)
    os.chmod(partial, 0o600)
    os.replace(partial, path)


if __name__ == "__main__":
    sys.exit(main())
