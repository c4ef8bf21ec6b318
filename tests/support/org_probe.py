"""Raw Metadata API, REST and Tooling calls to an org, as the conformance tests send them.

``OrgProbe`` speaks to any org it is given the address and a session of: the org emulator
(``tests/contracts/test_conformance.py``) or a live org (``tests/live``). It sends plain
``requests`` calls, so the answer compared is exactly what the org sent.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import quote

import requests

from tasks.totango_sf.metadata.package_xml import package_xml
from tasks.totango_sf.salesforce.metadata_api import zip_base64
from tests.support.recorded_answers import MD_NS, SOAP_NS, body_child

API = "63.0"


@dataclass
class Answer:
    status: int
    content: bytes


def answer_text(answer: Answer, tag: str) -> str:
    """The text of the first ``tag`` in a 200 SOAP answer."""
    assert answer.status == 200, answer.content[:500]
    return (body_child(answer.content).findtext(f".//{{{MD_NS}}}{tag}") or "").strip()


def empty_package(api: str = API) -> dict[str, bytes]:
    """A package.xml naming nothing: a deploy of it changes nothing."""
    return {"package.xml": package_xml([], api)}


class OrgProbe:
    """Calls to one org; subclasses say where it is and which session to send."""

    api = API

    @property
    def instance_url(self) -> str:
        raise NotImplementedError

    @property
    def access_token(self) -> str:
        raise NotImplementedError

    @property
    def org_id(self) -> str:
        raise NotImplementedError

    # -- Metadata API ----------------------------------------------------------------
    def soap(self, operation: str, session: str | None = None) -> Answer:
        token = self.access_token if session is None else session
        envelope = (
            f'<soapenv:Envelope xmlns:soapenv="{SOAP_NS}"><soapenv:Header>'
            f'<SessionHeader xmlns="{MD_NS}"><sessionId>{token}</sessionId></SessionHeader>'
            f"</soapenv:Header><soapenv:Body>{operation}</soapenv:Body></soapenv:Envelope>"
        )
        response = requests.post(
            f"{self.instance_url}/services/Soap/m/{self.api}/{self.org_id}",
            data=envelope.encode(),
            headers={"Content-Type": "text/xml", "SOAPAction": "x"},
            timeout=60,
        )
        return Answer(response.status_code, response.content)

    def deploy(
        self,
        files: dict[str, bytes],
        *,
        check_only: bool = False,
        test_level: str = "NoTestRun",
    ) -> str:
        answer = self.soap(
            f'<deploy xmlns="{MD_NS}"><ZipFile>{zip_base64(files)}</ZipFile><DeployOptions>'
            f"<checkOnly>{str(check_only).lower()}</checkOnly><rollbackOnError>true</rollbackOnError>"
            f"<testLevel>{test_level}</testLevel></DeployOptions></deploy>"
        )
        return answer_text(answer, "id")

    def check_deploy(self, deploy_id: str, *, details: bool = True) -> Answer:
        return self.soap(
            f'<checkDeployStatus xmlns="{MD_NS}"><asyncProcessId>{deploy_id}</asyncProcessId>'
            f"<includeDetails>{str(details).lower()}</includeDetails></checkDeployStatus>"
        )

    def check_deploy_until(
        self, deploy_id: str, statuses: set[str], polls: int = 20, pause: float = 0.0
    ) -> Answer | None:
        """The first answer whose status is one of ``statuses``; None once the deploy is
        done in another status, or after ``polls`` answers."""
        for _ in range(polls):
            answer = self.check_deploy(deploy_id)
            status = answer_text(answer, "status")
            if status in statuses:
                return answer
            if answer_text(answer, "done") == "true":
                return None
            time.sleep(pause)
        return None

    def retrieve(self, request: str) -> str:
        answer = self.soap(
            f'<retrieve xmlns="{MD_NS}"><retrieveRequest><apiVersion>{self.api}</apiVersion>'
            f"{request}</retrieveRequest></retrieve>"
        )
        return answer_text(answer, "id")

    def check_retrieve(self, retrieve_id: str, polls: int = 10, pause: float = 0.0) -> Answer:
        for _ in range(polls):
            answer = self.soap(
                f'<checkRetrieveStatus xmlns="{MD_NS}"><asyncProcessId>{retrieve_id}'
                "</asyncProcessId><includeZip>true</includeZip></checkRetrieveStatus>"
            )
            if answer_text(answer, "done") == "true":
                return answer
            time.sleep(pause)
        raise AssertionError(f"retrieve {retrieve_id} never finished")

    # -- REST ------------------------------------------------------------------------
    def rest(
        self,
        method: str,
        path: str,
        *,
        body=None,
        token: str | None = None,
        form=None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        sent = {"Authorization": f"Bearer {self.access_token if token is None else token}"}
        response = requests.request(
            method,
            f"{self.instance_url}{path}",
            json=body,
            data=form,
            headers={**sent, **(headers or {})},
            timeout=60,
        )
        return Answer(response.status_code, response.content)

    def query(
        self, soql: str, *, tooling: bool = False, headers: dict[str, str] | None = None
    ) -> Answer:
        base = f"/services/data/v{self.api}/" + ("tooling/" if tooling else "")
        return self.rest("GET", f"{base}query/?q={quote(soql)}", headers=headers)
