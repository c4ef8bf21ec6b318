"""totango-sf: the Totango-in-Salesforce setup as code, one folder per stage."""
