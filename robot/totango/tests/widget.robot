*** Settings ***
Documentation
...  The Totango widget on Account, Lead and Opportunity record pages: each
...  test inserts a record with Totango insights over the API, opens it, and
...  checks the "Totango" layout section and the Visualforce page inside it.
...  Records created here are deleted in the suite teardown.
# totango.robot first: it keeps a dry run from asking an org for anything.
Resource        ../resources/totango.robot
Resource        cumulusci/robotframework/Salesforce.robot
Suite Setup     Open Test Browser
Suite Teardown  Delete Records and Close Browser
Test Template   Totango Widget Should Show Insights
Force Tags      totango  widget

*** Variables ***
${SECTION_LABEL}    Totango
@{FIELD_LABELS}     Account Health  Health Profile  Is Online  Last Update  License Utilization
...                 Usage Frequency  Active Users Last 14 Days  Engagement  Engagement Change  Insights
&{INSIGHTS}         Totango_Account_Health__c=Good
...                 Totango_Health_Profile__c=Robot Profile
...                 Totango_Is_Online__c=${True}
...                 Totango_Last_Update__c=2024-05-01T10:30:00.000Z
...                 Totango_License_Utilization__c=${87.5}
...                 Totango_Usage_Frequency__c=Weekly
...                 Totango_Active_Users_Last_14_Days__c=${42}
...                 Totango_Engagement__c=${73}
...                 Totango_Engagement_Change__c=${-4.5}
...                 Totango_Insights__c=Champion;Renewal Due
...                 Totango_URL__c=https://app.totango.com/#/customer/robot-0001

*** Test Cases ***        OBJECT         PAGE                            REQUIRED FIELDS
Account Widget            Account        Totango_Account_Insights        Name=Totango Robot Account
Lead Widget               Lead           Totango_Lead_Insights           LastName=Robot  Company=Totango Robot Lead Co  Status=Open - Not Contacted
Opportunity Widget        Opportunity    Totango_Opportunity_Insights    Name=Totango Robot Opportunity  StageName=Prospecting  CloseDate=2030-01-31

*** Keywords ***
Totango Widget Should Show Insights
    [Arguments]  ${object}  ${page}  &{required}
    ${record_id}=  Salesforce Insert  ${object}  &{required}  &{INSIGHTS}
    Open Record Details  ${record_id}
    Totango Section Should Be Visible  ${SECTION_LABEL}
    Visualforce Widget Should Show Fields  ${page}  @{FIELD_LABELS}  Good  Open in Totango
