"""The HTTPS server: routing, bearer-token checks, faults and history around each call."""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.org_emulator import app_authorization, soap, user_permissions
from tests.org_emulator.app_authorization import CONSUMER_KEYS
from tests.org_emulator.faults import Faults
from tests.org_emulator.history import Call, History
from tests.org_emulator.metadata_api import MetadataApi
from tests.org_emulator.rest import QUERY_PAGE_SIZE, RestApi, versions
from tests.org_emulator.rest_errors import RestError, invalid_session, request_limit
from tests.org_emulator.state import OrgState
from tests.org_emulator.tls import CA_CERT, load_or_create_ca, server_context


class _DropConnection(Exception):
    """Raised by a fault: close the socket without answering."""


class OrgEmulatorServer:
    """An emulated Salesforce org served over HTTPS on 127.0.0.1 (a test double)."""

    def __init__(
        self,
        state: OrgState,
        folder: Path,
        *,
        port: int = 0,
        deploy_polls: int = 2,
        deploy_seconds: float = 0.0,
        deploy_tick: float = 1.0,
        retrieve_polls: int = 1,
        install_polls: int = 2,
        query_page_size: int = QUERY_PAGE_SIZE,
        persist: bool = False,
        fault_seed: int = 0,
        ca_folder: Path | None = None,
    ):
        self.state = state
        self.folder = Path(folder)
        self.persist = persist
        self.history = History()
        self.faults = Faults(fault_seed)
        self.metadata = MetadataApi(
            state,
            self.faults,
            deploy_polls,
            retrieve_polls,
            deploy_seconds=deploy_seconds,
            deploy_tick=deploy_tick,
        )
        self.rest = RestApi(state, install_polls, query_page_size)
        # Emulators may share one CA, so a single REQUESTS_CA_BUNDLE trusts them all.
        ca_folder = Path(ca_folder or self.folder)
        self.ca = load_or_create_ca(ca_folder)
        self.ca_bundle = str(ca_folder / CA_CERT)
        self._httpd = _QuietServer(("127.0.0.1", port), _handler_for(self))
        self._httpd.daemon_threads = True
        context = server_context(self.ca)
        # Handshake in the handler thread, so one stalled client cannot block accept().
        self._httpd.socket = context.wrap_socket(
            self._httpd.socket, server_side=True, do_handshake_on_connect=False
        )
        self.port = self._httpd.server_address[1]
        self.instance_url = f"https://127.0.0.1:{self.port}"
        self.rest.instance_url = self.instance_url
        # Set by the move_instance fault: the host the org now answers on.
        self.moved_to_host: str | None = None
        self._thread: threading.Thread | None = None
        self._ticking = threading.Event()

    # -- lifecycle ------------------------------------------------------------------
    def start(self) -> OrgEmulatorServer:
        # A short poll interval keeps stop() (and so fixture teardown) quick.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name="org-emulator", daemon=True
        )
        self._thread.start()
        self._start_clock()
        return self

    def serve_forever(self) -> None:
        self._start_clock()
        self._httpd.serve_forever()

    def _start_clock(self) -> None:
        """Deploys progress with wall-clock time, whether or not anyone polls them."""
        self._ticking.set()

        def tick() -> None:
            while self._ticking.is_set():
                with self.state.lock:
                    if self.metadata.advance() and self.persist:
                        self.state.save(self.folder)
                time.sleep(0.05)

        threading.Thread(target=tick, name="org-emulator-clock", daemon=True).start()

    def stop(self) -> None:
        self._ticking.clear()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def save(self) -> None:
        with self.state.lock:
            self.state.save(self.folder)

    # -- credentials ----------------------------------------------------------------
    @property
    def access_token(self) -> str:
        """A currently valid token (issuing one if every session was revoked)."""
        with self.state.lock:
            own = sorted(self.state.access_tokens - set(self.state.token_users))
            return own[0] if own else self.state.issue_access_token()

    def connection_info(self) -> dict:
        return {
            "instance_url": self.instance_url,
            "access_token": self.access_token,
            "refresh_token": self.state.refresh_token,
            "org_id": self.state.org_id,
            "username": self.state.user["Username"],
            "ca_bundle": self.ca_bundle,
            "integration_user": self.integration_user(),
        }

    def integration_user(self) -> dict | None:
        """Totango's connection user (seeded) and a session of theirs, for tests to act as."""
        with self.state.lock:
            user = self.state.get("User", self.state.integration_user_id or "")
            if user is None:
                return None
            token = next(
                (t for t, u in self.state.token_users.items() if u == user["Id"]),
                None,
            ) or self.state.issue_access_token(user["Id"])
            return {"username": user["Username"], "access_token": token}

    # -- dispatch -------------------------------------------------------------------
    def dispatch(self, method: str, raw_path: str, headers, body: bytes):
        """Returns (status, content type, body bytes)."""
        url = urlsplit(raw_path)
        path = url.path.rstrip("/") or "/"
        params = {k: v[-1] for k, v in parse_qs(url.query).items()}
        kind, route = self._route(method, path)
        if route == "soap":
            # An unparsable envelope keeps kind "soap" and is answered as a fault below.
            with contextlib.suppress(soap.SoapFault):
                kind = soap.local(soap.parse_request(body)[1].tag)
        call = self.history.add(Call(kind, method, raw_path))
        call.detail["host"] = str(headers.get("Host", "")).rsplit(":", 1)[0]
        # What crossed the wire, for benchmarks (bodies only, without HTTP headers).
        call.detail["bytes_in"] = len(body)
        is_soap = route == "soap"
        for hook in self.faults.take_hooks(kind):
            hook()
        try:
            with self.state.lock:
                lost = self._apply_faults(kind, call)
            with self.state.lock:
                self.metadata.advance()
                status, ctype, payload = self._answer(
                    route, method, path, params, headers, body, call
                )
            if lost:
                # The org did the work; only its answer never reaches the client.
                call.status = status
                if self.persist:
                    self.save()
                raise _DropConnection()
        except _DropConnection:
            raise
        except _FaultResponse as fault:
            status, ctype, payload = fault.status, fault.ctype, fault.body
            if is_soap and fault.soap_body is not None:
                status, ctype, payload = 500, "text/xml", fault.soap_body
        except soap.SoapFault as exc:
            status, ctype, payload = 500, "text/xml", soap.fault(exc.code, exc.message)
        except RestError as exc:
            status, ctype, payload = exc.status, "application/json", json.dumps(exc.body()).encode()
        call.status = status
        call.detail["bytes_out"] = len(payload)
        if call.success is None and kind not in ("deploy", "deployRecentValidation"):
            call.success = status < 400
        if self.persist:
            self.save()
        return status, ctype, payload

    def _route(self, method: str, path: str) -> tuple[str, str]:
        parts = path.strip("/").split("/")
        if path.startswith("/services/Soap/m/"):
            return "soap", "soap"  # the SOAP operation name replaces the kind later
        if path == "/services/oauth2/token":
            return "token", "token"
        if path == "/services/oauth2/userinfo":
            return "userinfo", "userinfo"
        if path.startswith("/id/"):
            return "userinfo", "userinfo"
        if path == "/services/data":
            return "versions", "versions"
        if len(parts) >= 3 and parts[:2] == ["services", "data"]:
            rest = parts[3:]
            tooling = bool(rest) and rest[0] == "tooling"
            return self.rest.kind(method, rest[1:] if tooling else rest, tooling), "rest"
        return "unknown", "unknown"

    def _apply_faults(self, kind: str, call: Call) -> bool:
        """Apply the faults that fire before the answer; True when the answer is to be lost."""
        lost = False
        for rule in self.faults.take(kind):
            call.fault = rule.name
            if rule.name == "lost":
                lost = True
            elif rule.name == "latency":
                # Sleeping without the lock would let calls overtake; tests want order.
                time.sleep(float(rule.params.get("seconds", 0.2)))
            elif rule.name == "drop":
                raise _DropConnection()
            elif rule.name in ("http_500", "http_503"):
                code = int(rule.name[-3:])
                raise _FaultResponse(code, "text/plain", b"emulated server error")
            elif rule.name == "invalid_session":
                self.state.revoke_sessions()
            elif rule.name == "move_instance":
                self.moved_to_host = "localhost"
                self.state.revoke_sessions()
            elif rule.name == "request_limit":
                err = request_limit()
                raise _FaultResponse(
                    err.status,
                    "application/json",
                    json.dumps(err.body()).encode(),
                    soap.request_limit_fault(),
                )
        return lost

    def _authorized(self, headers, session_id: str | None = None) -> bool:
        token = session_id if session_id is not None else _bearer(headers)
        return token in self.state.access_tokens

    def _answer(self, route, method, path, params, headers, body, call: Call):
        if route == "token":
            return self._token(body)
        if route == "soap":
            session, operation = soap.parse_request(body)
            if not self._authorized(headers, session or ""):
                return 500, "text/xml", soap.invalid_session_fault()
            if not user_permissions.may_use_metadata_api(
                self.state, self.state.user_of_token(session or "")
            ):
                raise soap.SoapFault(
                    "sf:INSUFFICIENT_ACCESS", user_permissions.METADATA_API_REFUSED
                )
            response = self.metadata.handle(operation, call)
            return 200, "text/xml", soap.envelope(response)
        if not self._authorized(headers) or not self._on_current_host(headers, route):
            raise invalid_session()
        if route == "userinfo":
            return _json(200, self._userinfo())
        if route == "versions":
            return _json(200, versions())
        if route == "rest":
            parts = path.strip("/").split("/")
            version = parts[2].lstrip("v")
            rest = parts[3:]
            tooling = bool(rest) and rest[0] == "tooling"
            payload = json.loads(body) if body else None
            status, data = self.rest.handle(
                method,
                version,
                rest[1:] if tooling else rest,
                params,
                payload,
                tooling,
                user_id=self.state.user_of_token(_bearer(headers)),
            )
            if status == 204:
                return 204, "application/json", b""
            return _json(status, data)
        raise RestError(404, "NOT_FOUND", "The requested resource does not exist")

    def _on_current_host(self, headers, route: str) -> bool:
        """After a move, REST calls to the old host fail; the token endpoint stays."""
        if self.moved_to_host is None or route != "rest":
            return True
        return str(headers.get("Host", "")).rsplit(":", 1)[0] == self.moved_to_host

    @property
    def current_instance_url(self) -> str:
        if self.moved_to_host is None:
            return self.instance_url
        return f"https://{self.moved_to_host}:{self.port}"

    def _token(self, body: bytes):
        form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
        if form.get("grant_type") == "password" and form.get("client_id") in CONSUMER_KEYS:
            return self._app_sign_in(CONSUMER_KEYS[form["client_id"]], form.get("username", ""))
        if (
            form.get("grant_type") != "refresh_token"
            or form.get("refresh_token") != self.state.refresh_token
        ):
            return _json(
                400, {"error": "invalid_grant", "error_description": "expired access/refresh token"}
            )
        token = self.state.issue_access_token()
        return _json(
            200,
            {
                "access_token": token,
                "instance_url": self.current_instance_url,
                "id": f"{self.current_instance_url}/id/{self.state.org_id}/{self.state.user_id}",
                "token_type": "Bearer",
                "issued_at": str(int(time.time() * 1000)),
                "signature": "ZW11bGF0b3I=",
                "scope": "web full refresh_token",
            },
        )

    def _app_sign_in(self, app: str, username: str):
        """A user signs in through one of the org's connected apps (app_authorization.py)."""
        user = next(
            (u for u in self.state.rows("User") if u["Username"] == username and u["IsActive"]),
            None,
        )
        if user is None:
            return _json(
                400, {"error": "invalid_grant", "error_description": "authentication failure"}
            )
        refused = app_authorization.refusal(self.state, app, str(user["Id"]))
        if refused is not None:
            return _json(400, {"error": refused[0], "error_description": refused[1]})
        app_authorization.record_authorization(self.state, app, str(user["Id"]))
        token = self.state.issue_access_token(str(user["Id"]))
        return _json(
            200,
            {
                "access_token": token,
                "instance_url": self.current_instance_url,
                "id": f"{self.current_instance_url}/id/{self.state.org_id}/{user['Id']}",
                "token_type": "Bearer",
                "issued_at": str(int(time.time() * 1000)),
                "signature": "ZW11bGF0b3I=",
            },
        )

    def _userinfo(self) -> dict:
        user, org_id = self.state.user, self.state.org_id
        base = self.instance_url
        return {
            "sub": f"{base}/id/{org_id}/{user['Id']}",
            "user_id": user["Id"],
            "organization_id": org_id,
            "preferred_username": user["Username"],
            "nickname": user["Alias"],
            "name": user["Name"],
            "email": user["Email"],
            "email_verified": True,
            "given_name": user["FirstName"],
            "family_name": user["LastName"],
            "zoneinfo": "America/Los_Angeles",
            "active": True,
            "user_type": "STANDARD",
            "language": "en_US",
            "locale": "en_US",
            "utcOffset": -28800000,
            "is_app_installed": True,
            "urls": {
                "enterprise": f"{base}/services/Soap/c/{{version}}/{org_id[:15]}",
                "metadata": f"{base}/services/Soap/m/{{version}}/{org_id[:15]}",
                "partner": f"{base}/services/Soap/u/{{version}}/{org_id[:15]}",
                "rest": f"{base}/services/data/v{{version}}/",
                "sobjects": f"{base}/services/data/v{{version}}/sobjects/",
                "query": f"{base}/services/data/v{{version}}/query/",
                "tooling_rest": f"{base}/services/data/v{{version}}/tooling/",
            },
        }


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up (it was interrupted, or a fault dropped it) is no error."""

    def handle_error(self, request, client_address) -> None:
        if isinstance(sys.exc_info()[1], OSError | ssl.SSLError):
            return
        super().handle_error(request, client_address)


class _FaultResponse(Exception):
    def __init__(self, status: int, ctype: str, body: bytes, soap_body: bytes | None = None):
        super().__init__(status)
        self.status, self.ctype, self.body, self.soap_body = status, ctype, body, soap_body


def _bearer(headers) -> str:
    auth = headers.get("Authorization", "")
    return auth.split(" ", 1)[1].strip() if " " in auth else ""


def _json(status: int, data) -> tuple[int, str, bytes]:
    return status, "application/json;charset=UTF-8", json.dumps(data).encode()


def _handler_for(server: OrgEmulatorServer):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "OrgEmulator/1.0"
        # Headers and body go out as two writes on a keep-alive connection; with Nagle's
        # algorithm on, the second waits for the client's delayed ACK (about 40 ms per answer).
        disable_nagle_algorithm = True

        def setup(self) -> None:
            super().setup()
            try:
                self.request.do_handshake()
            except (ssl.SSLError, OSError):
                self.close_connection = True

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            try:
                status, ctype, payload = server.dispatch(
                    self.command, self.path, self.headers, body
                )
            except _DropConnection:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _serve

        def log_message(self, format, *args) -> None:  # noqa: A002 - stdlib signature
            pass  # the history is the log

    return Handler
