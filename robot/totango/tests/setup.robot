*** Settings ***
Documentation
...  The "Totango" web tab is deployed, visible to the running user and opens
...  Totango, both by its URL and from the App Launcher.
# totango.robot first: it keeps a dry run from asking an org for anything.
Resource        ../resources/totango.robot
Resource        cumulusci/robotframework/Salesforce.robot
Suite Setup     Open Test Browser
Suite Teardown  Close All Browsers
Force Tags      totango  tab

*** Variables ***
${TAB_FRAME}    //iframe[contains(@src,'totango.com')]

*** Test Cases ***
Totango Tab Opens By Url
    Go To Lightning Path  /lightning/n/${TOTANGO_TAB}
    Location Should Contain  /lightning/n/${TOTANGO_TAB}
    Wait Until Page Contains Element  ${TAB_FRAME}  timeout=60s

Totango Tab Opens From App Launcher
    Go To Setup Home
    Select App Launcher Tab  ${TOTANGO_TAB}
    Wait Until Location Contains  /lightning/n/${TOTANGO_TAB}  timeout=60s
    Wait Until Page Contains Element  ${TAB_FRAME}  timeout=60s
