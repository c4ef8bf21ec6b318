*** Settings ***
Documentation
...  Sets the Totango connected app's Permitted Users policy to
...  "Admin approved users are pre-authorized".
...
...  The ConnectedApplication sObject is read-only and the ConnectedApp
...  metadata type does not cover apps installed by a managed package, so this
...  switch has no API: the task drives Setup > Manage Connected Apps in a
...  browser, then verifies the result through the API. Running it again on an
...  org that is already set changes nothing.
...
...  cci task run totango_connected_app_policy --org dev
...  (-o vars CONNECTED_APP:OtherApp to target another app)
# totango.robot first: it keeps a dry run from asking an org for anything.
Resource        ../resources/totango.robot
Resource        cumulusci/robotframework/Salesforce.robot
Suite Setup     Open Test Browser
Suite Teardown  Close All Browsers

*** Test Cases ***
# A "Test Cases" header, not "Tasks": Robot refuses to run tasks and tests in one
# run, and CI dry-runs the whole robot/ folder at once.
Set Admin Approved Users Policy
    Connected Application  ${CONNECTED_APP}
    Open Connected App Detail  ${CONNECTED_APP}
    ${already}=  Run Keyword And Return Status
    ...  Page Should Contain Element  //td[normalize-space(.)='${ADMIN_APPROVED}']
    IF  not ${already}  Edit Policies To Admin Approved
    Unselect Frame
    Admin Approved Policy Should Be Set  ${CONNECTED_APP}

*** Keywords ***
Open Connected App Detail
    [Arguments]  ${name}
    Go To Classic Setup Page  ConnectedApplication
    ${link}=  Set Variable  //a[normalize-space(.)='${name}']
    Wait Until Page Contains Element  ${link}  timeout=60s
    Click Element  ${link}
    Wait Until Page Contains  Connected App Detail  timeout=60s

Edit Policies To Admin Approved
    Click Element  //input[@value='Edit Policies'] | //a[normalize-space(.)='Edit Policies']
    Wait Until Page Contains  Connected App Edit  timeout=60s
    Select From List By Label  id:userpolicy  ${ADMIN_APPROVED}
    Accept Confirmation If Shown
    Click Element  (//input[@value='Save'] | //input[@title='Save'])[1]
    Accept Confirmation If Shown
    Wait Until Page Contains  Connected App Detail  timeout=60s
    Page Should Contain  ${ADMIN_APPROVED}
