*** Settings ***
Documentation
...  Keywords shared by the Totango UI tasks and tests.
...
...  Setup pages for connected apps are still Classic pages that Lightning
...  shows inside an iframe, so the keywords here switch into that frame
...  before looking for buttons, and always switch back out afterwards.
Library         DryRunOrg.py
Resource        cumulusci/robotframework/Salesforce.robot

*** Variables ***
${CONNECTED_APP}        TotangoApp
${GATEWAY_APP}          Totango Gateway
${TOTANGO_TAB}          Totango
${ADMIN_APPROVED}       Admin approved users are pre-authorized
${SETUP_FRAME}          //iframe[contains(@name,'vfFrameId')]

*** Keywords ***
Lightning Base Url
    [Documentation]  The org's Lightning domain, as the Salesforce library uses it.
    ${cci}=  Get Library Instance  cumulusci.robotframework.CumulusCI
    RETURN  ${cci.org.lightning_base_url}

Go To Lightning Path
    [Documentation]  Opens a path such as ``/lightning/setup/ConnectedApplication/home``.
    [Arguments]  ${path}
    ${base}=  Lightning Base Url
    Go To  ${base}${path}
    Wait Until Loading Is Complete

Go To Classic Setup Page
    [Documentation]  Opens a Lightning Setup page and enters its Classic iframe.
    [Arguments]  ${setup_node}
    Go To Lightning Path  /lightning/setup/${setup_node}/home
    Enter Setup Frame

Enter Setup Frame
    Unselect Frame
    Wait Until Page Contains Element  ${SETUP_FRAME}  timeout=60s
    Select Frame  ${SETUP_FRAME}

Accept Confirmation If Shown
    [Documentation]
    ...  Some Classic setup buttons ask "Are you sure?" in a browser dialog and
    ...  others do not, depending on the release; accept it when it appears.
    Run Keyword And Ignore Error  Handle Alert  ACCEPT  timeout=5s

Connected Application
    [Documentation]
    ...  The ConnectedApplication row for ``name``; fails with a clear message
    ...  when the managed package (or the Gateway) is not there.
    [Arguments]  ${name}
    @{apps}=  Salesforce Query  ConnectedApplication
    ...  select=Id,Name,OptionsAllowAdminApprovedUsersOnly
    ...  Name=${name}
    ${count}=  Get Length  ${apps}
    Should Be True  ${count} > 0
    ...  msg=No connected app named '${name}' in this org: is the Totango package installed?
    RETURN  ${apps}[0]

Connected Application Count
    [Arguments]  ${name}
    @{apps}=  Salesforce Query  ConnectedApplication  Name=${name}
    ${count}=  Get Length  ${apps}
    RETURN  ${count}

Admin Approved Policy Should Be Set
    [Documentation]  Verifies over the API what the browser task changed.
    [Arguments]  ${name}=${CONNECTED_APP}
    ${app}=  Connected Application  ${name}
    Should Be True  ${app}[OptionsAllowAdminApprovedUsersOnly]
    ...  msg=Connected app '${name}' is not set to "${ADMIN_APPROVED}"

Gateway Should Be Installed
    [Arguments]  ${name}=${GATEWAY_APP}
    ${count}=  Connected Application Count  ${name}
    Should Be True  ${count} > 0
    ...  msg=Connected app '${name}' is not installed in this org

Open Record Details
    [Documentation]
    ...  Opens a record page on its Details tab: layout sections (and so the
    ...  Totango widget) live there, and some record pages open on Related.
    [Arguments]  ${record_id}
    Go To Record Home  ${record_id}
    ${details}=  Set Variable  //a[@role='tab'][@data-label='Details' or normalize-space(.)='Details']
    ${has_tab}=  Run Keyword And Return Status  Wait Until Page Contains Element  ${details}  timeout=5s
    IF  ${has_tab}  Click Element  ${details}

Totango Section Should Be Visible
    [Arguments]  ${label}=Totango
    Wait Until Page Contains Element
    ...  //*[self::h3 or self::span or self::button][normalize-space(.)='${label}']
    ...  timeout=30s

Visualforce Widget Should Show Fields
    [Documentation]
    ...  Enters the widget's iframe (its src names the page, with or without a
    ...  namespace prefix) and checks each label is rendered.
    [Arguments]  ${page}  @{labels}
    ${frame}=  Set Variable  //iframe[contains(@src,'${page}')]
    Wait Until Page Contains Element  ${frame}  timeout=30s
    SeleniumLibrary.Scroll Element Into View  ${frame}
    Select Frame  ${frame}
    TRY
        FOR  ${label}  IN  @{labels}
            Wait Until Page Contains  ${label}  timeout=30s
        END
    FINALLY
        Unselect Frame
    END
