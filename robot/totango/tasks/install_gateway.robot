*** Settings ***
Documentation
...  Installs the "Totango Gateway" OAuth app from Setup > Connected Apps
...  OAuth Usage, and unblocks it if it is blocked.
...
...  Installing an OAuth app that users already connect to has no API. The
...  Gateway is listed there only after a Totango user has connected once; if
...  it is neither listed nor installed the task fails and says so. It ends
...  by verifying over the API that a ConnectedApplication of that name exists.
...
...  cci task run totango_install_gateway --org dev
...  (-o vars GATEWAY_APP:"Other Gateway" to target another app)
# totango.robot first: it keeps a dry run from asking an org for anything.
Resource        ../resources/totango.robot
Resource        cumulusci/robotframework/Salesforce.robot
Suite Setup     Open Test Browser
Suite Teardown  Close All Browsers

*** Variables ***
${GATEWAY_ROW}      //tr[.//*[normalize-space(text())='${GATEWAY_APP}']]
${INSTALL_BUTTON}   ${GATEWAY_ROW}//*[(self::a or self::input) and (normalize-space(.)='Install' or @value='Install')]
${UNBLOCK_BUTTON}   ${GATEWAY_ROW}//*[(self::a or self::input) and (normalize-space(.)='Unblock' or @value='Unblock')]

*** Test Cases ***
# A "Test Cases" header, not "Tasks": Robot refuses to run tasks and tests in one
# run, and CI dry-runs the whole robot/ folder at once.
Install And Unblock Totango Gateway
    Open OAuth Usage
    ${listed}=  Run Keyword And Return Status
    ...  Wait Until Page Contains Element  ${GATEWAY_ROW}  timeout=30s
    IF  not ${listed}
        Unselect Frame
        ${installed}=  Connected Application Count  ${GATEWAY_APP}
        Should Be True  ${installed} > 0
        ...  msg='${GATEWAY_APP}' is not in Connected Apps OAuth Usage: a Totango user must connect once before it can be installed
    ELSE
        Click Row Button If Present  ${INSTALL_BUTTON}
        Open OAuth Usage
        Wait Until Page Contains Element  ${GATEWAY_ROW}  timeout=30s
        Click Row Button If Present  ${UNBLOCK_BUTTON}
        Unselect Frame
    END
    Gateway Should Be Installed  ${GATEWAY_APP}

*** Keywords ***
Open OAuth Usage
    Go To Classic Setup Page  ConnectedAppsUsage
    Wait Until Page Contains  Connected Apps OAuth Usage  timeout=60s

Click Row Button If Present
    [Documentation]  Clicks and confirms; a missing button means already done.
    [Arguments]  ${locator}
    ${present}=  Run Keyword And Return Status  Page Should Contain Element  ${locator}
    IF  ${present}
        Click Element  ${locator}
        Accept Confirmation If Shown
        Wait For Condition  return document.readyState == 'complete'  timeout=60s
    END
