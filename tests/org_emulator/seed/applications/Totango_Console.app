<?xml version="1.0" encoding="UTF-8"?>
<CustomApplication xmlns="http://soap.sforce.com/2006/04/metadata">
    <formFactors>Large</formFactors>
    <label>Totango Console</label>
    <navType>Standard</navType>
    <tabs>standard-Account</tabs>
    <uiType>Lightning</uiType>
</CustomApplication>
